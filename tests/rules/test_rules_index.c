/* The rule index never changes the answer: over the default catalog (and a synthetic set of
 * 1000 rules with overlapping port ranges), random facts are explained by the same rule with
 * the same text whether evaluation uses the index or scans linearly. The facts are the rule
 * cases (tests/rules/cases, which reach every catalog rule, regexes included) with a few
 * fields changed, or made from scratch; values come from the constants the rules compare
 * against, their neighbours, the values in the cases, unknowns and strangers. */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_rules.h"
#include "pc_test.h"
#include "rules_internal.h"

#define MAX_POOL 64

#define MAX_CASES 128

typedef struct pool {
  size_t n[PC__F_COUNT];
  char vals[PC__F_COUNT][MAX_POOL][48];
  size_t ncases;
  pc_facts cases[MAX_CASES];
} pool;

static void pool_add(pool *p, int field, const char *v) {
  if (p->n[field] >= MAX_POOL) return;
  for (size_t i = 0; i < p->n[field]; i++)
    if (strcmp(p->vals[field][i], v) == 0) return;
  snprintf(p->vals[field][p->n[field]++], 48, "%s", v);
}

static void pool_num(pool *p, int field, uint64_t v) {
  char b[32];
  for (int d = -1; d <= 1; d++) {
    if ((d < 0 && v == 0) || (d > 0 && v == UINT64_MAX)) continue;
    snprintf(b, sizeof b, "%" PRIu64, v + (uint64_t)(int64_t)d);
    pool_add(p, field, b);
  }
}

/* Collects the constants each field is compared with. */
static void harvest(pool *p, const pc__node *n) {
  if (!n) return;
  switch (n->kind) {
    case PC__N_STR:
      pool_add(p, n->field, n->str);
      break;
    case PC__N_STR_IN:
      for (size_t i = 0; i < n->count; i++) pool_add(p, n->field, n->strs[i]);
      break;
    case PC__N_NUM:
      if (pc__fields[n->field].type == PC__FT_NUM) pool_num(p, n->field, n->num);
      break;
    case PC__N_NUM_IN:
      for (size_t i = 0; i < n->count; i++) {
        pool_num(p, n->field, n->ranges[2 * i]);
        pool_num(p, n->field, n->ranges[2 * i + 1]);
      }
      break;
    default:
      break;
  }
  harvest(p, n->left);
  harvest(p, n->right);
}

/* Reads the facts of every case file, adding their values to the pool. */
static void load_cases(pool *p) {
  const char *dir = pc_test_source_path("tests/rules/cases");
  DIR *d = dir ? opendir(dir) : NULL;
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && p->ncases < MAX_CASES) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".case") != 0) continue;
    char path[2048], line[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    pc_facts *fc = &p->cases[p->ncases++];
    pc_rules_facts_init(fc);
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\r\n")] = '\0';
      char *eq = strstr(line, " = ");
      if (line[0] == '#' || !eq || strncmp(line, "expect", 6) == 0) continue;
      *eq = '\0';
      const char *v = eq + 3;
      pc_rules_facts_set(fc, line, v);
      for (int k = 0; k < PC__F_COUNT; k++)
        if (strcmp(pc__fields[k].name, line) == 0 && strlen(v) < 48) pool_add(p, k, v);
    }
    fclose(f);
  }
  closedir(d);
}

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void random_facts(const pool *p, uint64_t *seed, pc_facts *f) {
  static const char *const strangers[] = {"x", "WSAEINTR", "tcp6", "freebsd", "other_event", "node.exe"};
  /* Half the time a case with one to three fields changed (to a value or unknown). */
  bool from_case = p->ncases && rng(seed) % 2;
  if (from_case)
    *f = p->cases[rng(seed) % p->ncases];
  else
    pc_rules_facts_init(f);
  int changes = 1 + (int)(rng(seed) % 3);
  for (int field = 0; field < PC__F_COUNT; field++) {
    if (from_case) {
      if (changes == 0 || rng(seed) % PC__F_COUNT > 2) continue;
      changes--;
    }
    uint64_t r = rng(seed) % 8;
    if (r < 2) {
      if (from_case) pc_rules_facts_set(f, pc__fields[field].name, "null");
      continue; /* unknown */
    }
    char buf[48];
    const char *v = NULL;
    if (pc__fields[field].type == PC__FT_BOOL) {
      v = rng(seed) % 2 ? "true" : "false";
    } else if (r < 7 && p->n[field]) {
      v = p->vals[field][rng(seed) % p->n[field]];
    } else if (pc__fields[field].type == PC__FT_NUM) {
      snprintf(buf, sizeof buf, "%" PRIu64, rng(seed) % 70000);
      v = buf;
    } else {
      v = strangers[rng(seed) % (sizeof strangers / sizeof strangers[0])];
    }
    pc_rules_facts_set(f, pc__fields[field].name, v); /* derived fields refuse: fine */
  }
}

/* Evaluates rounds random facts both ways; returns how many were explained by a non-fallback
 * rule (to show the facts reach past the fallbacks). */
static size_t compare(const pc_ruleset *rs, uint64_t seed, size_t rounds) {
  pool *p = calloc(1, sizeof *p);
  load_cases(p);
  for (size_t i = 0; i < rs->count; i++) harvest(p, rs->rules[i]->cond);
  pc_rule_result a, b;
  pc_rule_result_init(&a);
  pc_rule_result_init(&b);
  size_t specific = 0, failures = 0;
  for (size_t i = 0; i < rounds && failures < 5; i++) {
    pc_facts f;
    random_facts(p, &seed, &f);
    PC_CHECK_INT(pc__rules_eval_mode(rs, &f, &a, false), PC_OK);
    PC_CHECK_INT(pc__rules_eval_mode(rs, &f, &b, true), PC_OK);
    if (strcmp(a.rule_id, b.rule_id) != 0 || strcmp(a.explanation, b.explanation) != 0 ||
        a.fix_count != b.fix_count) {
      pc__test_fail(__FILE__, __LINE__, "round %zu: indexed %s, linear %s", i, a.rule_id, b.rule_id);
      failures++;
    }
    if (!a.fallback) specific++;
  }
  pc_rule_result_free(&a);
  pc_rule_result_free(&b);
  free(p);
  return specific;
}

static pc_ruleset *build(const char *text, bool defaults) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return NULL;
  if (defaults) pc_rules_compiler_add_defaults(c);
  if (text) pc_rules_compiler_add_string(c, text, (size_t)-1, "synthetic");
  pc_ruleset *rs = NULL;
  pc_rules_compiler_build(c, &rs);
  pc_rules_compiler_free(c);
  return rs;
}

PC_TEST(index_agrees_with_linear_scan_on_the_default_catalog) {
  pc_ruleset *rs = build(NULL, true);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  PC_CHECK(rs->index != NULL);
  size_t specific = compare(rs, 0x9E3779B97F4A7C15ull, 40000);
  PC_CHECK(specific > 200);
  pc_ruleset_free(rs);
}

PC_TEST(index_agrees_on_1000_rules_with_overlapping_ranges) {
  size_t cap = 1000 * 300, len = 0;
  char *text = malloc(cap);
  for (size_t i = 0; i < 1000; i++)
    len += (size_t)snprintf(text + len, cap - len,
                            "rule S%zu\n title \"t\"\n severity info\n priority %zu\n"
                            " when error_name == \"%s\" and port in [%zu, %zu]\n"
                            " when owner_process =~ '(?i)^app%zu\\.exe$' or port >= %zu\n"
                            " explain \"e {port}\"\n fix \"f\"\n",
                            i, i % 7, i % 3 ? "WSAEADDRINUSE" : "EACCES", 20000 + i, 30000 + i, i % 50,
                            60000 + i);
  pc_ruleset *rs = build(text, true);
  free(text);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  PC_CHECK(compare(rs, 42, 20000) > 20);
  pc_ruleset_free(rs);
}

PC_TEST(conditions_with_not_or_and_unknowns) {
  /* Shapes the index must treat as "any" or handle exactly: negation, !=, or across fields,
   * "known", a false constant, comparisons of two fields. */
  pc_ruleset *rs = build(
      "rule A\n title \"a\"\n severity info\n when not (proto == \"tcp\")\n explain \"a\"\n fix \"f\"\n"
      "rule B\n title \"b\"\n severity info\n when os != \"linux\" and port > 1000\n explain \"b\"\n fix "
      "\"f\"\n"
      "rule C\n title \"c\"\n severity info\n when proto == \"udp\" or port < 80\n explain \"c\"\n fix "
      "\"f\"\n"
      "rule D\n title \"d\"\n severity info\n when port != null and error < 5\n explain \"d\"\n fix \"f\"\n"
      "rule E\n title \"e\"\n severity info\n when owner_pid == pid\n explain \"e\"\n fix \"f\"\n",
      true);
  PC_CHECK(rs != NULL);
  if (!rs) return;
  compare(rs, 7, 20000);
  pc_ruleset_free(rs);
}
