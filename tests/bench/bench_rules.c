/* bench_rules: median and p99 nanoseconds per pc_rules_eval, for the default catalog (over a
 * mix of the case facts that exercise every branch) and for 10/100/1000 synthetic rules that
 * never match (the worst case for a scan: every rule is evaluated before a fallback explains),
 * each with the rule index and with a linear scan side by side (the scan is what evaluation
 * was before the index). Budget (pc_bench_budgets.h): 1000 rules under 5 µs median.
 * Each set is also timed with PCRE2's interpreter instead of its JIT ("no JIT"): that is what
 * portclash.service runs, since MemoryDenyWriteExecute=yes forbids the writable-executable
 * memory the JIT needs. A last set of 1000 rules that all run their regex shows where JIT
 * could matter. Last, loading 100 000 rules (issue 20: once minutes, the duplicate-id check
 * was quadratic) against its budget of 5 s.
 *   PC_BENCH_MDWE=1   first forbid writable-executable memory for this process the way the
 *                     unit does (prctl PR_SET_MDWE, Linux >= 6.3; systemd uses a seccomp
 *                     filter to the same effect) and say whether PCRE2 JIT still compiles.
 * Not a test; packaging/bench.sh runs it. Exit status 1 when a budget is missed. */
#define _GNU_SOURCE /* prctl */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen_rules.h"
#include "pc_bench_budgets.h"
#include "pc_error.h"
#include "pc_rules.h"
#include "rules_internal.h"

#ifdef __linux__
#include <sys/prctl.h>
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif
#endif

#define ROUNDS 200000

static long long now_ns(void) {
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

/* Times ROUNDS evaluations in batches of 16 (one clock read per batch keeps the clock's own
 * cost out of the number) over the facts in fs[0..nf); linear = without the index. Prints
 * the figures beside budget (NULL: none) and returns the median. */
static long long run(const char *label, const pc_ruleset *rs, const pc_facts *fs, size_t nf, bool linear,
                     const char *budget) {
  enum { BATCH = 16 };
  size_t nb = ROUNDS / BATCH;
  long long *t = malloc(nb * sizeof *t);
  pc_rule_result r;
  pc_rule_result_init(&r);
  size_t k = 0;
  size_t rounds = linear && pc_ruleset_count(rs) > 500 ? nb / 8 : nb;                 /* the scan is slow */
  for (size_t i = 0; i < 1000; i++) pc__rules_eval_mode(rs, &fs[i % nf], &r, linear); /* warm up */
  for (size_t b = 0; b < rounds; b++) {
    long long t0 = now_ns();
    for (int i = 0; i < BATCH; i++) pc__rules_eval_mode(rs, &fs[k++ % nf], &r, linear);
    t[b] = (now_ns() - t0) / BATCH;
  }
  qsort(t, rounds, sizeof *t, cmp_ll);
  long long median = t[rounds / 2];
  printf("%-34s %-7s rules=%5zu  median %6lld ns  p99 %6lld ns  budget %s\n", label,
         linear ? "linear" : "indexed", pc_ruleset_count(rs), median, t[rounds * 99 / 100],
         budget ? budget : "-");
  pc_rule_result_free(&r);
  free(t);
  return median;
}

static pc_ruleset *build(const char *text, bool defaults, bool jit) {
  pc_rules_compiler *c;
  if (pc_rules_compiler_new(&c) != PC_OK) return NULL;
  pc_rules_compiler_set_jit(c, jit);
  if (defaults) pc_rules_compiler_add_defaults(c);
  if (text) pc_rules_compiler_add_string(c, text, (size_t)-1, "synthetic");
  pc_ruleset *rs = NULL;
  if (pc_rules_compiler_build(c, &rs) != PC_OK)
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      fprintf(stderr, "%s\n", pc_rules_compiler_error(c, i));
  pc_rules_compiler_free(c);
  return rs;
}

static void set(pc_facts *f, const char *kv) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", kv);
  for (char *p = strtok(buf, ";"); p; p = strtok(NULL, ";")) {
    char *eq = strchr(p, '=');
    if (!eq) continue;
    *eq = '\0';
    pc_rules_facts_set(f, p, eq + 1);
  }
}

/* Whether PCRE2 can JIT-compile a pattern in this process right now (0 = yes, else the
 * PCRE2 error: no JIT support, or no writable-executable memory). */
static int jit_works(void) {
  int err;
  PCRE2_SIZE off;
  pcre2_code *re =
      pcre2_compile((PCRE2_SPTR) "^app[0-9]+\\.exe$", PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
  if (!re) return -1;
  int rc = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  pcre2_code_free(re);
  return rc;
}

/* CPU seconds to load 100 000 rules of the shape users write (a port, a proto or a regex on
 * the process name), printed beside the budget; returns 1 when it is missed or fails. */
static int load_100k(void) {
  enum { N = 100000 };
  size_t len, dup_at;
  char *text = pc_test_generated_rules(N, &len, &dup_at);
  if (!text) return 1;
  len = dup_at; /* without the duplicate id the load test ends with */
  clock_t t0 = clock();
  pc_rules_compiler *c;
  pc_ruleset *rs = NULL;
  int rc = pc_rules_compiler_new(&c);
  if (rc == PC_OK) rc = pc_rules_compiler_add_string(c, text, len, "gen.rules");
  if (rc == PC_OK) rc = pc_rules_compiler_build(c, &rs);
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  size_t n = rs ? pc_ruleset_count(rs) : 0;
  pc_ruleset_free(rs);
  pc_rules_compiler_free(c);
  free(text);
  printf("load 100000 rules (parse, ids, compile, index)   %.2f s CPU, %zu rules  budget < %.0f s\n", secs, n,
         PC_BUDGET_RULES_100K_LOAD_S);
  return rc != PC_OK || secs >= PC_BUDGET_RULES_100K_LOAD_S;
}

int main(void) {
  const char *mdwe = getenv("PC_BENCH_MDWE");
  if (mdwe && mdwe[0] == '1') {
#ifdef __linux__
    if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) {
      perror("prctl(PR_SET_MDWE) (needs Linux >= 6.3)");
      return 1;
    }
    printf("writable-executable memory forbidden (PR_SET_MDWE, as MemoryDenyWriteExecute=yes)\n");
#else
    fprintf(stderr, "PC_BENCH_MDWE needs Linux\n");
    return 1;
#endif
  }
  int jrc = jit_works();
  printf("PCRE2 JIT in this process: %s (pcre2_jit_compile: %d)\n", jrc == 0 ? "works" : "unavailable", jrc);
  static const char *const mixes[] = {
      "os=windows;error_name=WSAEACCES;proto=tcp;address=0.0.0.0;port=50051;pid=1;"
      "process=node.exe;excluded_start=50000;excluded_end=50099;excluded_administered=false",
      "os=windows;error_name=WSAEADDRINUSE;proto=tcp;address=127.0.0.1;port=2050;pid=1;"
      "process=a.exe;owner_pid=1337;owner_process=nekoray.exe;owner_kernel=false",
      "os=windows;error_name=WSAEACCES;proto=tcp;address=127.0.0.1;port=80;pid=1;"
      "process=nginx.exe;owner_pid=4;owner_process=System;owner_kernel=true",
      "os=windows;error_name=WSAEADDRINUSE;proto=tcp;address=0.0.0.0;port=3000;pid=1;"
      "process=node.exe;owner_pid=8812;owner_process=wslrelay.exe;owner_kernel=false",
      "os=windows;error_name=WSAEACCES;proto=tcp;address=0.0.0.0;port=8443;pid=1",
      "os=linux;error_name=EADDRINUSE;proto=tcp;address=0.0.0.0;port=80;pid=1;"
      "owner_pid=777;owner_process=apache2;owner_state=listen",
  };
  size_t nf = sizeof mixes / sizeof mixes[0];
  pc_facts fs[8];
  for (size_t i = 0; i < nf; i++) {
    pc_rules_facts_init(&fs[i]);
    set(&fs[i], mixes[i]);
  }
  pc_ruleset *rs = build(NULL, true, true);
  if (!rs) return 1;
  run("default catalog, mixed failures", rs, fs, nf, false, NULL);
  run("default catalog, mixed failures", rs, fs, nf, true, NULL);
  pc_ruleset_free(rs);
  rs = build(NULL, true, false);
  if (!rs) return 1;
  run("default catalog, mixed, no JIT", rs, fs, nf, false, NULL);
  pc_ruleset_free(rs);
  int status = 0;
  char budget[32];
  snprintf(budget, sizeof budget, "< %.0f", PC_BUDGET_RULES_1000_MEDIAN_NS);

  static const size_t sizes[] = {10, 100, 1000};
  for (size_t s = 0; s < 3; s++) {
    size_t cap = sizes[s] * 256 + 1, len = 0;
    char *text = malloc(cap);
    for (size_t i = 0; i < sizes[s]; i++) {
      /* A realistic shape: an error check, a port list and a regex on the owner's name. */
      len += (size_t)snprintf(text + len, cap - len,
                              "rule S%zu\n title \"t\"\n severity info\n"
                              " when error_name == \"WSAEADDRINUSE\" and port in [%zu, %zu]\n"
                              " when owner_process =~ '(?i)^app%zu\\.exe$'\n"
                              " explain \"e {port}\"\n fix \"f\"\n",
                              i, 20000 + i, 30000 + i, i);
    }
    rs = build(text, false, true);
    pc_ruleset *interp = build(text, false, false);
    free(text);
    if (!rs || !interp) return 1;
    char label[64];
    pc_facts f;
    pc_rules_facts_init(&f);
    set(&f, "error_name=WSAEADDRINUSE;port=20001;owner_pid=5;owner_process=other.exe");
    snprintf(label, sizeof label, "%zu synthetic rules, no match", sizes[s]);
    long long m = run(label, rs, &f, 1, false, sizes[s] == 1000 ? budget : NULL);
    run(label, rs, &f, 1, true, NULL);
    if (sizes[s] == 1000 && (double)m >= PC_BUDGET_RULES_1000_MEDIAN_NS) status = 1;
    snprintf(label, sizeof label, "%zu synthetic, no match, no JIT", sizes[s]);
    run(label, interp, &f, 1, false, NULL);
    pc_ruleset_free(rs);
    pc_ruleset_free(interp);
  }

  /* Where JIT could matter: 1000 rules that all reach their regex (the same error, no port
   * condition, so the index keeps every one), none matching. */
  size_t cap = 1000 * 192 + 1, len = 0;
  char *text = malloc(cap);
  for (size_t i = 0; i < 1000; i++)
    len += (size_t)snprintf(text + len, cap - len,
                            "rule R%zu\n title \"t\"\n severity info\n when error_name == \"WSAEADDRINUSE\"\n"
                            " when owner_process =~ '(?i)^(app|svc)%zu[-_.]?(x64)?\\.exe$'\n"
                            " explain \"e {port}\"\n fix \"f\"\n",
                            i, i);
  for (int jit = 1; jit >= 0; jit--) {
    rs = build(text, false, jit);
    if (!rs) return 1;
    pc_facts f;
    pc_rules_facts_init(&f);
    set(&f, "error_name=WSAEADDRINUSE;port=20001;owner_pid=5;owner_process=some-other-service.exe");
    run(jit ? "1000 regexes run, no match, JIT" : "1000 regexes run, no match, no JIT", rs, &f, 1, false,
        NULL);
    pc_ruleset_free(rs);
  }
  free(text);
  if (load_100k() != 0) status = 1;
  printf("%s\n", status ? "BUDGET MISSED" : "all budgets met");
  return status;
}
