/* pc_rules.h - the rule language: compile rule files once, explain bind failures many times.
 *
 * Shape (after YARA and PCRE2): a one-shot compiler collects rule text from files, strings,
 * directories and the embedded default catalog, reports every mistake it finds, and builds an
 * immutable pc_ruleset. A ruleset can be shared by any number of threads; each thread evaluates
 * with its own pc_rule_result, which holds the rendered text and the per-thread regex scratch.
 * The language itself is documented in rules/FORMAT.md.
 *
 * Layers: every add_* call is one layer (add_defaults and add_dir are one layer for all their
 * files). Two rules with the same id in one layer are an error; a rule in a later layer replaces
 * the earlier rule with the same id and takes its place in the load order. The built-in
 * fallback rules (FALLBACK-INUSE, FALLBACK-ACCESS, FALLBACK-ADDRNOTAVAIL, FALLBACK-OTHER) are
 * always loaded first and always evaluated last, so every failure gets an explanation.
 *
 * Rules are evaluated by ascending priority (1 first; 1000 when a rule gives none), ties in load
 * order; the first rule whose conditions hold explains the failure. */
#ifndef PC_RULES_H
#define PC_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_facts.h"

typedef struct pc_rules_compiler pc_rules_compiler;
typedef struct pc_ruleset pc_ruleset;

/* Limits of one rule and of one rendered result. Fixed so that evaluation never allocates. */
#define PC_RULES_MAX_FIXES 8
#define PC_RULES_MAX_REFS 8
#define PC_RULES_TEXT_MAX 4096

typedef enum pc_rule_severity { PC_RULE_ERROR = 0, PC_RULE_WARNING = 1, PC_RULE_INFO = 2 } pc_rule_severity;

/* Creates an empty compiler that already holds the built-in fallback rules. Returns PC_OK or
 * PC_ENOMEM. The caller owns *out and frees it with pc_rules_compiler_free. */
int pc_rules_compiler_new(pc_rules_compiler **out);

/* Frees the compiler and everything it still owns. NULL-safe. A ruleset built from it stays
 * valid: it owns its own copy of the rules. */
void pc_rules_compiler_free(pc_rules_compiler *c);

/* Turns PCRE2 JIT compilation on (the default) or off for the regexes compiled after this
 * call. JIT failures are never errors: the interpreter is used instead. */
void pc_rules_compiler_set_jit(pc_rules_compiler *c, bool on);

/* Adds rule text. origin names it in diagnostics ("default/10-neighbours.rules"); len may be
 * (size_t)-1 for a NUL-terminated text. Returns PC_OK, PC_ERULE when this text had errors
 * (they are collected; later add_* calls still work, so every file can be checked in one run),
 * or PC_ENOMEM. */
int pc_rules_compiler_add_string(pc_rules_compiler *c, const char *text, size_t len, const char *origin);

/* Reads and adds one file (diagnostics name it by path). PC_ENOENT/PC_EIO are also recorded
 * as a diagnostic "path:1:1: cannot read the file: ...". */
int pc_rules_compiler_add_file(pc_rules_compiler *c, const char *path);

/* Adds every "*.rules" file of dir (not recursive), in byte order of their names, as one
 * layer. A directory without rule files is an error (it is almost always a wrong path). */
int pc_rules_compiler_add_dir(pc_rules_compiler *c, const char *dir);

/* Adds the default catalog embedded in the binary (the files of rules/default/) as one layer. */
int pc_rules_compiler_add_defaults(pc_rules_compiler *c);

/* Builds the ruleset. Returns PC_OK and sets *out (owned by the caller), or PC_ERULE when any
 * error was collected (see the diagnostics below), or PC_ENOMEM. The compiler is one-shot:
 * after build only the diagnostics getters and _free may be called. */
int pc_rules_compiler_build(pc_rules_compiler *c, pc_ruleset **out);

/* The collected diagnostics, in the order found, each "origin:line:col: message" (line and
 * column 1-based, column in bytes). The strings belong to the compiler. */
size_t pc_rules_compiler_error_count(const pc_rules_compiler *c);
const char *pc_rules_compiler_error(const pc_rules_compiler *c, size_t i);

/* Frees a ruleset. NULL-safe. Every pc_rule_result used with it must be done first. */
void pc_ruleset_free(pc_ruleset *rs);

/* Number of rules the ruleset evaluates, including the built-in fallbacks. */
size_t pc_ruleset_count(const pc_ruleset *rs);

/* How many of them are built-in fallback rules (rules/builtin/). */
size_t pc_ruleset_fallback_count(const pc_ruleset *rs);

/* The id of the i-th rule in evaluation order (i < count), or NULL. Borrowed from rs. */
const char *pc_ruleset_rule_id(const pc_ruleset *rs, size_t i);

/* The outcome of one evaluation. Caller-owned: initialize with pc_rule_result_init (or
 * zero it), reuse it for every evaluation on one thread, and release it with
 * pc_rule_result_free. The first evaluation allocates the regex scratch; later ones do not
 * allocate. String pointers are valid until the next evaluation with the same result or
 * until the ruleset is freed, whichever comes first. */
typedef struct pc_rule_result {
  const char *rule_id;  /* "C01"; borrowed from the ruleset */
  const char *title;    /* rendered */
  const char *severity; /* "error", "warning", "info" (static) */
  pc_rule_severity severity_level;
  bool fallback;                         /* a built-in fallback rule explained it */
  bool truncated;                        /* the rendered text did not fit PC_RULES_TEXT_MAX */
  const char *explanation;               /* rendered */
  const char *fixes[PC_RULES_MAX_FIXES]; /* rendered, fix_count of them */
  size_t fix_count;
  const char *refs[PC_RULES_MAX_REFS]; /* borrowed from the ruleset */
  size_t ref_count;
  /* Regex matches stopped by the match, depth or heap limit since init; each counts as "no
   * match". A rising number means a rule has a catastrophic pattern. */
  uint64_t limit_errors;
  char text[PC_RULES_TEXT_MAX]; /* storage for title, explanation and fixes */
  void *scratch;                /* owned: per-thread regex match data and field cache */
} pc_rule_result;

void pc_rule_result_init(pc_rule_result *r);
void pc_rule_result_free(pc_rule_result *r); /* NULL-safe; the result can be reused after init */

/* Explains facts with the first matching rule. Returns PC_OK (a fallback always matches),
 * PC_EINVAL on NULL arguments, PC_ENOMEM when the first call cannot allocate the scratch. */
int pc_rules_eval(const pc_ruleset *rs, const pc_facts *facts, pc_rule_result *out);

/* ---- Facts from text (for case files, `portclash explain` and tests) ---- */

/* Clears facts to "nothing known": a failed bind, seen once. */
void pc_rules_facts_init(pc_facts *f);

/* Sets one rule field from text, as in a case file ("port", "8080"). "null" leaves it unknown.
 * Numbers are decimal or 0x-hex; booleans true/false; error numbers below 10000 are taken as
 * Linux errno values, others as WSA codes (error_name sets both exactly). Derived fields
 * (wildcard, owner_wildcard, owner_family) cannot be set. Returns PC_OK, PC_ENOENT for an
 * unknown field, PC_EINVAL for a derived one, PC_EPARSE for a bad value. */
int pc_rules_facts_set(pc_facts *f, const char *field, const char *value);

/* ---- Field catalogue (for docs and tests) ---- */

/* Number of fields and the i-th field's name and type ("number", "text", "boolean"). */
size_t pc_rules_field_count(void);
const char *pc_rules_field_name(size_t i);
const char *pc_rules_field_type(size_t i);

#endif
