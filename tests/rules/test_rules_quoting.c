#define _POSIX_C_SOURCE 200809L /* popen, mkstemp */
/* Fix contexts: a hostile field value (a process path chosen by whoever named the binary)
 * interpolated into a fix command must reach the command as ONE argument equal to the
 * value, for every shell a context targets. sh is checked by running the rendered command
 * with /bin/sh; PowerShell and cmd.exe by parsing the rendered text with their quoting rules
 * (written out below from the documentation, since neither shell runs here). Prose values
 * must not carry a control character or a newline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "pc_test.h"
#include "quote_check.h"

/* Every one of these is a path a user can give a binary on Linux (or, but for the newline
 * and the controls, on Windows). */
static const char *const hostile[] = {
    "/tmp/a';id;'b",
    "/tmp/$(id)",
    "/tmp/`id`",
    "/tmp/a\nid",
    "/tmp/a\"b\\\"c",
    "/tmp/100%PATH%!x!",
    "C:\\Program Files\\a b\\",
    "C:\\x\\\\\"&calc&\"",
    "/tmp/ps'‘’‚‛x$(iex)",
    "-rf /tmp/x",
    "/tmp/^&|<>()\t;#~*?[]{}",
    "/tmp/\x1b[2J\302\23331m", /* ESC, then U+009B (CSI) as octal so "31m" stays text */
};

static pc_ruleset *build(const char *text) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return NULL;
  pc_rules_compiler_add_string(c, text, (size_t)-1, "test");
  pc_ruleset *rs = NULL;
  if (pc_rules_compiler_build(c, &rs) != PC_OK)
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      fprintf(stderr, "    %s\n", pc_rules_compiler_error(c, i));
  pc_rules_compiler_free(c);
  return rs;
}

static const char rules[] =
    "rule Q\n"
    "  title \"t {process_path}\"\n"
    "  severity info\n"
    "  priority 1\n"
    "  when true\n"
    "  explain \"e {process_path}\"\n"
    "  fix sh \"printf '%s|' {process_path} END\"\n"
    "  fix powershell \"Get-Item -LiteralPath {process_path} -Force\"\n"
    "  fix cmd \"icacls {process_path} /T\"\n"
    "  fix text \"see {process_path}\"\n"
    "  fix \"see {process_path}\"\n";

static const pc_rule_result *eval(pc_ruleset *rs, pc_rule_result *res, const char *path) {
  pc_facts f;
  pc_rules_facts_init(&f);
  PC_CHECK_INT(pc_rules_facts_set(&f, "process_path", path), PC_OK);
  PC_CHECK_INT(pc_rules_eval(rs, &f, res), PC_OK);
  PC_CHECK(strcmp(res->rule_id, "Q") == 0);
  PC_CHECK_INT(res->fix_count, 5);
  return res;
}

/* Runs script with /bin/sh and returns what it printed (static buffer). */
static const char *run_sh(const char *script) {
  static char out[4096];
  char tmp[] = "/tmp/pc-quote-XXXXXX";
  int fd = mkstemp(tmp);
  PC_CHECK(fd >= 0);
  if (fd < 0) return "";
  PC_CHECK(write(fd, script, strlen(script)) == (ssize_t)strlen(script));
  close(fd);
  char cmd[64];
  snprintf(cmd, sizeof cmd, "/bin/sh %s", tmp);
  FILE *p = popen(cmd, "r");
  size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
  out[n] = '\0';
  if (p) pclose(p);
  unlink(tmp);
  return out;
}

PC_TEST(sh_fix_gives_the_path_as_one_argument) {
  pc_ruleset *rs = build(rules);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  pc_rule_result res;
  pc_rule_result_init(&res);
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    eval(rs, &res, hostile[i]);
    char want[1024];
    snprintf(want, sizeof want, "%s|END|", hostile[i]);
    /* The same in C, by the rules the fuzz target checks with. */
    const char *pre = "printf '%s|' ", *rest = NULL;
    char arg[2048];
    PC_CHECK(strncmp(res.fixes[0], pre, strlen(pre)) == 0);
    PC_CHECK(sh_word(res.fixes[0] + strlen(pre), arg, sizeof arg, &rest) == 0 &&
             strcmp(arg, hostile[i]) == 0 && strcmp(rest, " END") == 0);
    const char *got = run_sh(res.fixes[0]);
    if (strcmp(got, want) != 0)
      pc__test_fail(__FILE__, __LINE__, "sh: fix [%s] printed [%s], want [%s]", res.fixes[0], got, want);
  }
  pc_rule_result_free(&res);
  pc_ruleset_free(rs);
}

PC_TEST(powershell_fix_quotes_per_powershell_rules) {
  pc_ruleset *rs = build(rules);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  pc_rule_result res;
  pc_rule_result_init(&res);
  const char *pre = "Get-Item -LiteralPath ";
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    eval(rs, &res, hostile[i]);
    const char *fx = res.fixes[1], *rest = NULL;
    char arg[2048];
    PC_CHECK(strncmp(fx, pre, strlen(pre)) == 0);
    if (ps_arg(fx + strlen(pre), arg, sizeof arg, &rest) != 0 || strcmp(arg, hostile[i]) != 0 ||
        strcmp(rest, " -Force") != 0)
      pc__test_fail(__FILE__, __LINE__, "powershell: fix [%s] does not carry [%s] as one argument", fx,
                    hostile[i]);
  }
  /* A safe value stays bare. */
  eval(rs, &res, "C:\\Windows\\System32\\svchost.exe");
  PC_CHECK(strcmp(res.fixes[1], "Get-Item -LiteralPath C:\\Windows\\System32\\svchost.exe -Force") == 0);
  pc_rule_result_free(&res);
  pc_ruleset_free(rs);
}

PC_TEST(cmd_fix_quotes_per_cmd_and_argv_rules) {
  pc_ruleset *rs = build(rules);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  pc_rule_result res;
  pc_rule_result_init(&res);
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    eval(rs, &res, hostile[i]);
    const char *fx = res.fixes[2];
    if (strpbrk(hostile[i], "\n\t\x1b")) {
      /* cmd cannot carry control characters: the value is shown as unknown. */
      PC_CHECK(strcmp(fx, "icacls unknown /T") == 0);
      continue;
    }
    char line[4096], args[8][1024];
    int argc = cmd_line(fx, line, sizeof line) == 0 ? argv_split(line, args, 8) : -1;
    if (argc != 3 || strcmp(args[0], "icacls") != 0 || strcmp(args[1], hostile[i]) != 0 ||
        strcmp(args[2], "/T") != 0)
      pc__test_fail(__FILE__, __LINE__,
                    "cmd: fix [%s] does not carry [%s] as one argument (got %d args, [%s])", fx, hostile[i],
                    argc, argc > 1 ? args[1] : "");
  }
  pc_rule_result_free(&res);
  pc_ruleset_free(rs);
}

PC_TEST(prose_values_hold_no_controls) {
  pc_ruleset *rs = build(rules);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  pc_rule_result res;
  pc_rule_result_init(&res);
  for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
    eval(rs, &res, hostile[i]);
    const char *texts[] = {res.title, res.explanation, res.fixes[3], res.fixes[4]};
    for (size_t k = 0; k < 4; k++)
      for (const unsigned char *p = (const unsigned char *)texts[k]; *p; p++)
        if (*p < 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F))
          pc__test_fail(__FILE__, __LINE__, "prose [%s] holds control 0x%02x", texts[k], *p);
  }
  eval(rs, &res, "/tmp/a\nb");
  PC_CHECK(strcmp(res.explanation, "e /tmp/a\\x0ab") == 0);
  pc_rule_result_free(&res);
  pc_ruleset_free(rs);
}

/* The rule from issue 20: L01's setcap command with a path that closes the quote. */
PC_TEST(default_l01_setcap_path_cannot_inject) {
  pc_rules_compiler *c;
  PC_CHECK_INT(pc_rules_compiler_new(&c), PC_OK);
  PC_CHECK_INT(pc_rules_compiler_add_defaults(c), PC_OK);
  pc_ruleset *rs = NULL;
  PC_CHECK_INT(pc_rules_compiler_build(c, &rs), PC_OK);
  pc_rules_compiler_free(c);
  if (!rs) return;
  pc_facts f;
  pc_rules_facts_init(&f);
  pc_rules_facts_set(&f, "error_name", "EACCES");
  pc_rules_facts_set(&f, "port", "80");
  pc_rules_facts_set(&f, "os", "linux");
  pc_rules_facts_set(&f, "process_path", "/tmp/a';id;'b");
  pc_rule_result res;
  pc_rule_result_init(&res);
  PC_CHECK_INT(pc_rules_eval(rs, &f, &res), PC_OK);
  PC_CHECK(strcmp(res.rule_id, "L01") == 0);
  PC_CHECK(strcmp(res.fixes[0],
                  "Grant the capability: sudo setcap 'cap_net_bind_service=+ep' '/tmp/a'\\'';id;'\\''b'") ==
           0);
  pc_rule_result_free(&res);
  pc_ruleset_free(rs);
}

/* A value too long for the result is left out whole rather than cut inside its quotes: the
 * cut command still parses, and every argument it prints is a whole value or a letter. */
PC_TEST(command_value_is_never_cut_inside_quotes) {
  pc_ruleset *rs = build(
      "rule Q\n title \"t\"\n severity info\n priority 1\n when true\n explain \"e\"\n"
      " fix sh \"printf '%s|' a {process_path} b {process_path} c {process_path} d "
      "{process_path} e {process_path} f {process_path} g {process_path}\"\n");
  PC_CHECK(rs != NULL);
  if (!rs) return;
  char path[512];
  memset(path, '\'', sizeof path - 1);
  path[sizeof path - 1] = '\0';
  pc_facts f;
  pc_rules_facts_init(&f);
  pc_rules_facts_set(&f, "process_path", path);
  pc_rule_result res;
  pc_rule_result_init(&res);
  PC_CHECK_INT(pc_rules_eval(rs, &f, &res), PC_OK);
  PC_CHECK(res.truncated);
  const char *out = run_sh(res.fixes[0]);
  PC_CHECK(out[0] == 'a');
  size_t whole = 0;
  for (const char *p = out; *p;) {
    const char *bar = strchr(p, '|');
    PC_CHECK(bar != NULL);
    if (!bar) break;
    size_t n = (size_t)(bar - p);
    PC_CHECK(n == 1 || n == strlen(path));
    whole += n > 1;
    p = bar + 1;
  }
  PC_CHECK(whole >= 1 && whole < 7);
  pc_rule_result_free(&res);
  pc_ruleset_free(rs);
}
