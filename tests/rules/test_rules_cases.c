/* Rule cases as data: every tests/rules/cases/NAME.case holds input facts ("field = value"
 * lines, field names as in FORMAT.md) and expectations:
 *
 *   expect_rule = C01
 *   expect_explanation = <the rendered explanation, exactly>
 *   expect_fix = <the rendered fix>          (optional; repeatable, checked in order)
 *
 * Each case is evaluated against the embedded default catalog, once with PCRE2 JIT and once
 * without, and every rule of the catalog (built-in fallbacks included) must be the expected
 * rule of at least one case, so a new rule without a case fails here. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "pc_test.h"

#define MAX_CASES 512

typedef struct expect {
  bool builtin_only; /* "ruleset = builtin": evaluate with the fallbacks alone */
  char rule[64];
  char explanation[PC_RULES_TEXT_MAX];
  char fixes[PC_RULES_MAX_FIXES][1024];
  size_t fix_count;
} expect;

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
  return s;
}

/* Reads one case file; returns 0 on success (reporting parse problems as failures). */
static int load_case(const char *path, const char *name, pc_facts *f, expect *e) {
  FILE *fp = fopen(path, "r");
  if (!fp) {
    pc__test_fail(__FILE__, __LINE__, "%s: cannot open", name);
    return 1;
  }
  pc_rules_facts_init(f);
  memset(e, 0, sizeof *e);
  char line[8192];
  int lineno = 0, bad = 0;
  while (fgets(line, sizeof line, fp)) {
    lineno++;
    char *s = trim(line);
    if (!*s || *s == '#') continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      pc__test_fail(__FILE__, __LINE__, "%s:%d: expected 'field = value'", name, lineno);
      bad = 1;
      continue;
    }
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    if (strcmp(key, "ruleset") == 0) {
      e->builtin_only = strcmp(val, "builtin") == 0;
    } else if (strcmp(key, "expect_rule") == 0) {
      snprintf(e->rule, sizeof e->rule, "%s", val);
    } else if (strcmp(key, "expect_explanation") == 0) {
      snprintf(e->explanation, sizeof e->explanation, "%s", val);
    } else if (strcmp(key, "expect_fix") == 0) {
      if (e->fix_count < PC_RULES_MAX_FIXES)
        snprintf(e->fixes[e->fix_count++], sizeof e->fixes[0], "%s", val);
    } else {
      int rc = pc_rules_facts_set(f, key, val);
      if (rc != PC_OK) {
        pc__test_fail(__FILE__, __LINE__, "%s:%d: cannot set %s = %s: %s", name, lineno, key, val,
                      pc_strerror(rc));
        bad = 1;
      }
    }
  }
  fclose(fp);
  if (!e->rule[0] || !e->explanation[0]) {
    pc__test_fail(__FILE__, __LINE__, "%s: needs expect_rule and expect_explanation", name);
    bad = 1;
  }
  return bad;
}

static pc_ruleset *build_defaults(bool jit, bool defaults) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return NULL;
  pc_rules_compiler_set_jit(c, jit);
  if (defaults) pc_rules_compiler_add_defaults(c);
  pc_ruleset *rs = NULL;
  if (pc_rules_compiler_build(c, &rs) != PC_OK) {
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      fprintf(stderr, "  %s\n", pc_rules_compiler_error(c, i));
  }
  pc_rules_compiler_free(c);
  return rs;
}

static char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static int cmp_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

PC_TEST(every_case_explains_as_expected_with_and_without_jit) {
  const char *dir = pc_test_source_path("tests/rules/cases");
  PC_CHECK(dir != NULL);
  if (!dir) return;
  char dirbuf[4096];
  snprintf(dirbuf, sizeof dirbuf, "%s", dir);
  pc_ruleset *jit = build_defaults(true, true), *interp = build_defaults(false, true);
  pc_ruleset *builtin = build_defaults(true, false);
  PC_CHECK(jit != NULL);
  PC_CHECK(interp != NULL);
  PC_CHECK(builtin != NULL);
  if (!jit || !interp || !builtin) goto out;

  DIR *d = opendir(dirbuf);
  PC_CHECK(d != NULL);
  if (!d) goto out;
  static char *names[MAX_CASES];
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL && n < MAX_CASES) {
    size_t len = strlen(de->d_name);
    if (len > 5 && strcmp(de->d_name + len - 5, ".case") == 0) names[n++] = copy_string(de->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp_name);
  PC_CHECK(n > 0);

  size_t nrules = pc_ruleset_count(jit);
  bool *covered = calloc(nrules, sizeof *covered);
  bool print = getenv("PC_RULES_CASES_PRINT") != NULL;
  pc_rule_result rj, ri;
  pc_rule_result_init(&rj);
  pc_rule_result_init(&ri);
  for (size_t k = 0; k < n; k++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dirbuf, names[k]);
    pc_facts f;
    expect e;
    if (load_case(path, names[k], &f, &e) && !print) continue;
    PC_CHECK_INT(pc_rules_eval(e.builtin_only ? builtin : jit, &f, &rj), PC_OK);
    PC_CHECK_INT(pc_rules_eval(e.builtin_only ? builtin : interp, &f, &ri), PC_OK);
    if (print) {
      printf("== %s\nexpect_rule = %s\nexpect_explanation = %s\n", names[k], rj.rule_id, rj.explanation);
      for (size_t i = 0; i < rj.fix_count; i++) printf("#fix = %s\n", rj.fixes[i]);
    }
    if (strcmp(rj.rule_id, e.rule) != 0)
      pc__test_fail(__FILE__, __LINE__, "%s: rule %s, expected %s", names[k], rj.rule_id, e.rule);
    else if (strcmp(rj.explanation, e.explanation) != 0)
      pc__test_fail(__FILE__, __LINE__, "%s: explanation\n    got:      %s\n    expected: %s", names[k],
                    rj.explanation, e.explanation);
    for (size_t i = 0; i < e.fix_count; i++) {
      if (i >= rj.fix_count || strcmp(rj.fixes[i], e.fixes[i]) != 0)
        pc__test_fail(__FILE__, __LINE__, "%s: fix %zu\n    got:      %s\n    expected: %s", names[k], i + 1,
                      i < rj.fix_count ? rj.fixes[i] : "(none)", e.fixes[i]);
    }
    PC_CHECK(!rj.truncated);
    /* JIT and interpreter must agree on everything. */
    PC_CHECK_STR(ri.rule_id, rj.rule_id);
    PC_CHECK_STR(ri.explanation, rj.explanation);
    PC_CHECK_INT(ri.fix_count, rj.fix_count);
    for (size_t i = 0; i < nrules; i++)
      if (strcmp(pc_ruleset_rule_id(jit, i), e.rule) == 0) covered[i] = true;
  }
  for (size_t i = 0; i < nrules; i++)
    if (!covered[i])
      pc__test_fail(__FILE__, __LINE__, "rule %s has no case in tests/rules/cases",
                    pc_ruleset_rule_id(jit, i));
  PC_CHECK_INT(rj.limit_errors, 0);
  pc_rule_result_free(&rj);
  pc_rule_result_free(&ri);
  free(covered);
  for (size_t k = 0; k < n; k++) free(names[k]);
out:
  pc_ruleset_free(builtin);
  pc_ruleset_free(jit);
  pc_ruleset_free(interp);
}
