/* rules_internal.h - types shared by the files of the rules module (pc__ prefix).
 *
 * The compiled form: a ruleset is an array of rules in evaluation order; a rule holds a
 * condition tree and templates whose field names were resolved to ids at compile time, so
 * evaluation is a walk over small structs with integer compares, strcmp and pcre2_match. */
#ifndef PC_RULES_INTERNAL_H
#define PC_RULES_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_addr.h"
#include "pc_facts.h"
#include "pc_rules.h"

/* ---- fields.c: the field table and value access ---- */

typedef enum pc__ftype { PC__FT_NUM = 0, PC__FT_STR = 1, PC__FT_BOOL = 2 } pc__ftype;

/* X-macro: id suffix, name, type, shown in hex. The order is the documentation order. */
#define PC__FIELDS(X)                                                  \
  X(ERROR, "error", PC__FT_NUM, 0)                                     \
  X(ERROR_NAME, "error_name", PC__FT_STR, 0)                           \
  X(NTSTATUS, "ntstatus", PC__FT_NUM, 1)                               \
  X(FAILED, "failed", PC__FT_BOOL, 0)                                  \
  X(HYPOTHETICAL, "hypothetical", PC__FT_BOOL, 0)                      \
  X(STAGE, "stage", PC__FT_STR, 0)                                     \
  X(TCPIP_EVENT, "tcpip_event", PC__FT_NUM, 0)                         \
  X(PROTO, "proto", PC__FT_STR, 0)                                     \
  X(FAMILY, "family", PC__FT_STR, 0)                                   \
  X(ADDRESS, "address", PC__FT_STR, 0)                                 \
  X(ENDPOINT, "endpoint", PC__FT_STR, 0)                               \
  X(WILDCARD, "wildcard", PC__FT_BOOL, 0)                              \
  X(PORT, "port", PC__FT_NUM, 0)                                       \
  X(PID, "pid", PC__FT_NUM, 0)                                         \
  X(PROCESS, "process", PC__FT_STR, 0)                                 \
  X(PROCESS_PATH, "process_path", PC__FT_STR, 0)                       \
  X(PROCESS_USER, "process_user", PC__FT_STR, 0)                       \
  X(PROCESS_SERVICE, "process_service", PC__FT_STR, 0)                 \
  X(REUSEADDR, "reuseaddr", PC__FT_BOOL, 0)                            \
  X(EXCLUSIVEADDRUSE, "exclusiveaddruse", PC__FT_BOOL, 0)              \
  X(REUSEPORT, "reuseport", PC__FT_BOOL, 0)                            \
  X(V6ONLY, "v6only", PC__FT_BOOL, 0)                                  \
  X(OWNER_PID, "owner_pid", PC__FT_NUM, 0)                             \
  X(OWNER_PROCESS, "owner_process", PC__FT_STR, 0)                     \
  X(OWNER_PATH, "owner_path", PC__FT_STR, 0)                           \
  X(OWNER_SERVICE, "owner_service", PC__FT_STR, 0)                     \
  X(OWNER_USER, "owner_user", PC__FT_STR, 0)                           \
  X(OWNER_URL, "owner_url", PC__FT_STR, 0)                             \
  X(OWNER_QUEUE, "owner_queue", PC__FT_STR, 0)                         \
  X(OWNER_SAME_USER, "owner_same_user", PC__FT_BOOL, 0)                \
  X(OTHER_NETNS, "other_netns", PC__FT_BOOL, 0)                        \
  X(OWNERS_KNOWN, "owners_known", PC__FT_BOOL, 0)                      \
  X(RANGES_KNOWN, "ranges_known", PC__FT_BOOL, 0)                      \
  X(HOSTSTATE_STALE, "hoststate_stale", PC__FT_BOOL, 0)                \
  X(OWNER_STATE, "owner_state", PC__FT_STR, 0)                         \
  X(OWNER_KERNEL, "owner_kernel", PC__FT_BOOL, 0)                      \
  X(OWNER_ADDRESS, "owner_address", PC__FT_STR, 0)                     \
  X(OWNER_FAMILY, "owner_family", PC__FT_STR, 0)                       \
  X(OWNER_WILDCARD, "owner_wildcard", PC__FT_BOOL, 0)                  \
  X(OWNER_REUSEADDR, "owner_reuseaddr", PC__FT_BOOL, 0)                \
  X(OWNER_EXCLUSIVE, "owner_exclusive", PC__FT_BOOL, 0)                \
  X(OWNER_OPTIONS, "owner_options", PC__FT_STR, 0)                     \
  X(OPTIONS, "options", PC__FT_STR, 0)                                 \
  X(SAME_PROCESS, "same_process", PC__FT_BOOL, 0)                      \
  X(NOT_CHECKED, "not_checked", PC__FT_STR, 0)                         \
  X(EXCLUDED, "excluded", PC__FT_BOOL, 0)                              \
  X(EXCLUDED_START, "excluded_start", PC__FT_NUM, 0)                   \
  X(EXCLUDED_END, "excluded_end", PC__FT_NUM, 0)                       \
  X(EXCLUDED_ADMINISTERED, "excluded_administered", PC__FT_BOOL, 0)    \
  X(EXCLUDED_COUNT, "excluded_count", PC__FT_NUM, 0)                   \
  X(DYNAMIC_START, "dynamic_start", PC__FT_NUM, 0)                     \
  X(DYNAMIC_END, "dynamic_end", PC__FT_NUM, 0)                         \
  X(IN_DYNAMIC, "in_dynamic", PC__FT_BOOL, 0)                          \
  X(DYNAMIC_MOVED, "dynamic_moved", PC__FT_BOOL, 0)                    \
  X(UNPRIVILEGED_PORT_START, "unprivileged_port_start", PC__FT_NUM, 0) \
  X(OS, "os", PC__FT_STR, 0)                                           \
  X(OS_BUILD, "os_build", PC__FT_NUM, 0)                               \
  X(REPEAT_COUNT, "count", PC__FT_NUM, 0)                              \
  X(EVENT, "event", PC__FT_STR, 0)                                     \
  X(RISK_REASON, "risk_reason", PC__FT_STR, 0)                         \
  X(WATCHED, "watched", PC__FT_BOOL, 0)                                \
  X(PREVIOUS_PID, "previous_pid", PC__FT_NUM, 0)                       \
  X(PREVIOUS_PROCESS, "previous_process", PC__FT_STR, 0)

typedef enum pc__field_id {
#define PC__FIELD_ENUM(id, name, type, hex) PC__F_##id,
  PC__FIELDS(PC__FIELD_ENUM)
#undef PC__FIELD_ENUM
      PC__F_COUNT
} pc__field_id;

typedef struct pc__field_info {
  const char *name;
  uint8_t type; /* pc__ftype */
  uint8_t hex;  /* render numbers as 0x%08X */
} pc__field_info;

extern const pc__field_info pc__fields[PC__F_COUNT];

/* Finds a field by name (not NUL-terminated). Returns its id or -1. */
int pc__field_lookup(const char *name, size_t len);

/* Per-evaluation view of one facts struct: derived text (addresses) is formatted on first use
 * and cached here, so a rule set that never looks at addresses never formats one. */
typedef struct pc__view {
  const pc_facts *f;
  bool addr_done, owner_addr_done, err_done, endpoint_done;
  const char *err_name; /* error_name, looked up once per evaluation */
  char addr[PC_ADDR_TEXT_MAX];
  char endpoint[PC_ADDR_TEXT_MAX + 8];
  char owner_addr[PC_ADDR_TEXT_MAX];
  char not_checked[160];
} pc__view;

/* Numeric or boolean value of field id. Returns false when the value is unknown. */
bool pc__field_num(pc__view *v, int id, uint64_t *out);

/* Text value of field id (NUL-terminated, borrowed), or NULL when unknown or empty. */
const char *pc__field_str(pc__view *v, int id);

/* ---- diagnostics (compile.c) ---- */

typedef struct pc__diag_sink pc__diag_sink;
/* Records "origin:line:col: message". Never fails loudly: on ENOMEM the message is counted but
 * dropped, so error counting (and hence build failure) stays right. */
void pc__rules_diag(pc__diag_sink *d, const char *origin, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void pc__vdiag(pc__diag_sink *d, const char *origin, int line, int col, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 0)))
#endif
    ;

/* ---- conditions (parser.c builds, match.c evaluates) ---- */

typedef enum pc__node_kind {
  PC__N_TRUE,
  PC__N_FALSE,
  PC__N_AND,
  PC__N_OR,
  PC__N_NOT,
  PC__N_KNOWN,     /* field is known (also "field != null") */
  PC__N_UNKNOWN,   /* field == null */
  PC__N_NUM,       /* number/boolean field <op> num */
  PC__N_NUM_FIELD, /* number field <op> number field (id in num) */
  PC__N_NUM_IN,    /* number field in ranges */
  PC__N_STR,       /* text field ==/!= str */
  PC__N_STR_IN,    /* text field in strings */
  PC__N_REGEX      /* text field =~ / !~ regex */
} pc__node_kind;

typedef enum pc__op { PC__OP_EQ, PC__OP_NE, PC__OP_LT, PC__OP_LE, PC__OP_GT, PC__OP_GE } pc__op;

typedef struct pc__node {
  uint8_t kind; /* pc__node_kind */
  uint8_t op;   /* pc__op for NUM/STR; for REGEX: 1 = negated (!~) */
  uint16_t field;
  struct pc__node *left, *right; /* AND/OR; NOT uses left */
  uint64_t num;
  char *str;        /* STR: the literal */
  size_t count;     /* NUM_IN: ranges; STR_IN: strings */
  uint64_t *ranges; /* NUM_IN: lo, hi pairs */
  char **strs;      /* STR_IN */
  pcre2_code *re;   /* REGEX */
} pc__node;

void pc__node_free(pc__node *n);

/* ---- templates (template.c) ---- */

typedef struct pc__seg {
  int field;        /* -1 for literal text */
  const char *text; /* literal text, or the default for an unknown field (may be NULL) */
  size_t len;
} pc__seg;

/* Where a template's output goes, which decides how field values are escaped (FORMAT.md,
 * "Fix contexts"). Literal text and defaults are the rule author's and never escaped. */
typedef enum pc__tctx {
  PC__CTX_TEXT = 0,   /* prose: control characters in values become visible escapes */
  PC__CTX_SH,         /* a POSIX sh command: values in single quotes, ' as '\'' */
  PC__CTX_POWERSHELL, /* a PowerShell command: values in single quotes, ' as '' */
  PC__CTX_CMD         /* a cmd.exe command: values in ^"...^" with carets (see template.c) */
} pc__tctx;

typedef struct pc__template {
  pc__seg *segs;
  size_t n;
  char *buf;   /* owns the literal text the segments point into */
  uint8_t ctx; /* pc__tctx */
} pc__template;

/* The context named by word[0..len) ("text", "sh", "powershell", "cmd"), or -1. */
int pc__tctx_lookup(const char *word, size_t len);

/* Appends value (text from the facts, untrusted) escaped for ctx to buf[*pos..cap), always
 * NUL-terminated. In a command context the quoted value is written whole or not at all, so
 * a cut never leaves a quote open. Returns false when it did not fit, or (cmd) when the
 * value holds a character cmd cannot carry (a control character); then nothing is written
 * and *unquotable is set. */
bool pc__value_escape(int ctx, const char *value, size_t len, char *buf, size_t cap, size_t *pos,
                      bool *unquotable);

/* Compiles template text (already unescaped from its string literal). cols[i] is the source
 * column of text[i] (cols[len] the column just after), used to place errors. Returns PC_OK,
 * PC_ERULE (errors reported) or PC_ENOMEM. */
int pc__template_compile(pc__template *t, const char *text, size_t len, const int *cols, pc__diag_sink *d,
                         const char *origin, int line);
void pc__template_free(pc__template *t);

/* Appends src to dst with sep between (when dst is not empty); src is consumed either way on
 * success. Returns PC_OK or PC_ENOMEM (both unchanged). */
int pc__template_concat(pc__template *dst, pc__template *src, const char *sep);

/* Appends the rendered template to buf[*pos..cap), always NUL-terminating. Returns false when
 * it had to truncate. */
bool pc__template_render(const pc__template *t, pc__view *v, char *buf, size_t cap, size_t *pos);

/* ---- rules and rulesets ---- */

typedef struct pc__rule {
  char *id;
  char *origin;
  int line, id_col;
  int layer;
  bool fallback;
  bool broken;      /* had errors: kept only to detect duplicate ids */
  uint8_t severity; /* pc_rule_severity */
  long priority;
  size_t seq; /* load order, for stable ties */
  pc__node *cond;
  pc__template title;
  pc__template explain;
  pc__template fixes[PC_RULES_MAX_FIXES];
  size_t fix_count;
  char *refs[PC_RULES_MAX_REFS];
  size_t ref_count;
} pc__rule;

void pc__rule_free(pc__rule *r);

/* ---- the rule index (index.c) ---- */

#define PC__INDEX_FIELDS 7

/* One indexed field: a bitset of candidate rules (words 64-bit words each) per key. Row 0 is
 * for an unknown value or one no rule names; row 1 + i for key i: the i-th distinct string
 * (vals, sorted) or the elementary interval [starts[i], starts[i + 1]) of numbers. */
typedef struct pc__index_field {
  int field;
  bool numeric;
  size_t nkeys;
  const char **vals; /* borrowed from the rules' nodes */
  uint64_t *starts;
  uint64_t *bits;
} pc__index_field;

typedef struct pc__rule_index {
  size_t words; /* per bitset: (rule count + 63) / 64 */
  size_t nfields;
  pc__index_field fields[PC__INDEX_FIELDS];
} pc__rule_index;

/* Builds the index of rules[0..n) (in evaluation order). *out is NULL when no field is worth
 * indexing. Returns PC_OK or PC_ENOMEM. */
int pc__rule_index_build(pc__rule *const *rules, size_t n, pc__rule_index **out);
void pc__rule_index_free(pc__rule_index *ix);

/* The candidate bitset of field k for the facts of v (borrowed from the index). */
const uint64_t *pc__rule_index_row(const pc__rule_index *ix, size_t k, pc__view *v);

struct pc_ruleset {
  pc__rule **rules; /* evaluation order: by priority, then load order; fallbacks last */
  size_t count;
  pcre2_match_context *mctx;
  pc__rule_index *index; /* NULL: every rule is a candidate */
};

/* pc_rules_eval with the index (linear = false) or a plain first-match scan (true, for
 * tests that compare the two). */
int pc__rules_eval_mode(const pc_ruleset *rs, const pc_facts *facts, pc_rule_result *out, bool linear);

/* Regex limits: generous for the short fields rules look at (<= 520 bytes) and small enough
 * that a catastrophic pattern gives up within about a millisecond. */
#define PC__MATCH_LIMIT 100000u
#define PC__DEPTH_LIMIT 1000u
#define PC__HEAP_LIMIT_KIB 1024u

/* ---- the parser (parser.c) ---- */

typedef struct pc__parse_out {
  /* Called for each complete, error-free rule; takes ownership of r. Returns PC_OK or
   * PC_ENOMEM; duplicates are reported by the callee. */
  int (*on_rule)(void *ud, pc__rule *r);
  void *ud;
  pc__diag_sink *diag;
  bool jit;
} pc__parse_out;

/* Parses a whole rule text. Returns PC_OK, PC_ERULE (errors reported) or PC_ENOMEM. */
int pc__parse(const char *text, size_t len, const char *origin, int layer, pc__parse_out *out);

/* ---- embedded text (generated) ---- */

typedef struct pc__embedded_file {
  const char *name;
  const char *text;
  size_t len;
} pc__embedded_file;

extern const pc__embedded_file pc__default_rules[];
extern const size_t pc__default_rules_count;
extern const pc__embedded_file pc__builtin_rules[];
extern const size_t pc__builtin_rules_count;

#endif
