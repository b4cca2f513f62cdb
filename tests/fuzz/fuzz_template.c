/* fuzz_template.c - any bytes as a process path, rendered into a fix of every context.
 * Invariants: in sh, PowerShell and cmd the value comes back, parsed by that shell's
 * quoting rules (tests/rules/quote_check.h), as ONE argument equal to the value (cmd: or
 * as "unknown" when it holds a control character cmd cannot carry); the literal text
 * after it is intact; prose holds no control character; a value too long for the result
 * is left out whole, never cut inside its quotes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "quote_check.h"

static void check(int ok, const char *what, const char *out) {
  if (!ok) {
    fprintf(stderr, "invariant broken: %s\noutput: [%s]\n", what, out);
    abort();
  }
}

/* One rule per context (selected by the process name), so that even a value that quadruples when
 * quoted fits the result; LONG renders it eight times in sh, so a long value no longer
 * fits and must be left out whole. */
#define RULE(id, prio, fix)                                                               \
  "rule " id "\n title \"t\"\n severity info\n priority " prio "\n when process == \"" id \
  "\"\n"                                                                                  \
  " explain \"e\"\n fix " fix "\n"
static const char rules[] = RULE("sh", "1", "sh \"x {process_path} y\"")
    RULE("ps", "2", "powershell \"x {process_path} y\"") RULE("cmd", "3", "cmd \"x {process_path} y\"")
        "rule text\n title \"t {process_path}\"\n severity info\n priority 4\n when process == \"text\"\n"
        " explain \"e {process_path}\"\n fix \"x {process_path} y\"\n"
        "rule long\n title \"t\"\n severity info\n priority 5\n when process == \"long\"\n"
        " explain \"e\"\n fix sh \"x {process_path} {process_path} {process_path} "
        "{process_path} {process_path} {process_path} {process_path} {process_path} y\"\n";

/* Evaluates with process = ev (which picks the rule); checks the rule and that nothing was cut (but for
 * "long"). */
static void eval_as(pc_ruleset *set, pc_facts *f, const char *ev, pc_rule_result *r) {
  pc_rules_facts_set(f, "process", ev);
  if (pc_rules_eval(set, f, r) != PC_OK) abort();
  check(strcmp(r->rule_id, ev) == 0 && r->fix_count == 1, "rule", r->rule_id);
  /* A command value (at most 4 times its 519 bytes) always fits; prose three times over
   * may not, and is then cut between escapes (checked below). */
  if (strcmp(ev, "long") != 0 && strcmp(ev, "text") != 0) check(!r->truncated, "cut", r->fixes[0]);
}

static pc_ruleset *rs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!rs) {
    pc_rules_compiler *c;
    if (pc_rules_compiler_new(&c) != PC_OK) abort();
    pc_rules_compiler_add_string(c, rules, (size_t)-1, "fuzz");
    if (pc_rules_compiler_build(c, &rs) != PC_OK) abort();
    pc_rules_compiler_free(c);
  }
  char value[520];
  if (size == 0 || size >= sizeof value || memchr(data, 0, size)) return 0;
  memcpy(value, data, size);
  value[size] = '\0';
  pc_facts f;
  pc_rules_facts_init(&f);
  /* "null" is how case files say "unknown": not a value. */
  if (strcmp(value, "null") == 0 || pc_rules_facts_set(&f, "process_path", value) != PC_OK) return 0;
  pc_rule_result r;
  pc_rule_result_init(&r);
  char arg[4096], args[8][1024], line[4096];
  const char *rest = NULL;
  eval_as(rs, &f, "sh", &r);
  check(strncmp(r.fixes[0], "x ", 2) == 0 && sh_word(r.fixes[0] + 2, arg, sizeof arg, &rest) == 0 &&
            strcmp(arg, value) == 0 && strcmp(rest, " y") == 0,
        "sh: not one argument equal to the value", r.fixes[0]);
  eval_as(rs, &f, "ps", &r);
  check(strncmp(r.fixes[0], "x ", 2) == 0 && ps_arg(r.fixes[0] + 2, arg, sizeof arg, &rest) == 0 &&
            strcmp(arg, value) == 0 && strcmp(rest, " y") == 0,
        "powershell: not one argument equal to the value", r.fixes[0]);
  bool controls = false;
  for (size_t i = 0; i < size; i++) controls |= data[i] < 0x20 || data[i] == 0x7F;
  eval_as(rs, &f, "cmd", &r);
  if (controls) {
    check(strcmp(r.fixes[0], "x unknown y") == 0, "cmd: a control character was not refused", r.fixes[0]);
  } else {
    int argc = cmd_line(r.fixes[0], line, sizeof line) == 0 ? argv_split(line, args, 8) : -1;
    check(argc == 3 && strcmp(args[0], "x") == 0 && strcmp(args[1], value) == 0 && strcmp(args[2], "y") == 0,
          "cmd: not one argument equal to the value", r.fixes[0]);
  }
  eval_as(rs, &f, "text", &r);
  const char *prose[] = {r.title, r.explanation, r.fixes[0]};
  for (size_t k = 0; k < 3; k++)
    for (const unsigned char *p = (const unsigned char *)prose[k]; *p; p++)
      check(*p >= 0x20 && *p != 0x7F && !(p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F),
            "prose: control character", prose[k]);

  /* Too long: every value that is there is whole, and the text around them parses. */
  eval_as(rs, &f, "long", &r);
  const char *p = r.fixes[0];
  check(strncmp(p, "x ", 2) == 0, "long: prefix", p);
  p += 2;
  int words = 0;
  while (*p) {
    if (*p == ' ') {
      p++;
      continue;
    }
    check(sh_word(p, arg, sizeof arg, &rest) == 0 && (strcmp(arg, value) == 0 || strcmp(arg, "y") == 0),
          "long: a value was cut inside its quotes", r.fixes[0]);
    words++;
    p = rest;
  }
  check(words >= 1, "long: nothing rendered", r.fixes[0]);
  pc_rule_result_free(&r);
  return 0;
}
