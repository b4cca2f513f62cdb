/* Replay pipeline benchmark (DESIGN.md "Performance budgets"): a seeded stream of realistic
 * records through decode + correlate + rules (full default catalog) + JSON formatting to
 * /dev/null, on one core. Prints each figure beside its budget.
 * Usage: bench_pipeline [RECORDS] [SEED] [FAILURE_PERMILLE]   (defaults 2000000, 42, 30) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_bench_budgets.h"
#include "pc_bench_gen.h"
#include "pc_explain.h"
#include "pc_format.h"
#include "pc_pipeline.h"
#include "run.h"

typedef struct ctx {
  pc_explainer *explainer;
  FILE *devnull;
  pc_format_options fo;
  size_t findings;
  size_t bytes;
  double *explain_ns; /* per failure: rules + JSON, for the median / p99 */
  size_t n_explain, cap_explain;
} ctx;

static void on_finding(void *ud, const pc_finding *f) {
  ctx *c = ud;
  char buf[8192];
  size_t n = pc_format_json(f, &c->fo, buf, sizeof buf);
  if (n >= sizeof buf) n = sizeof buf - 1;
  buf[n++] = '\n';
  fwrite(buf, 1, n, c->devnull);
  c->bytes += n;
  c->findings++;
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  ctx *c = ud;
  double t0 = c->explain_ns ? pc_bench_now() : 0;
  pc_explainer_attempt(c->explainer, a);
  if (c->explain_ns && c->n_explain < c->cap_explain)
    c->explain_ns[c->n_explain++] = (pc_bench_now() - t0) * 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* One timed pass; returns seconds. */
static double run(const pc_bench_stream *s, const pc_ruleset *rules, ctx *c) {
  pc_explainer_options eo = {rules, NULL, "bench-host", "windows", 22631, "etl"};
  pc_pipeline *p;
  if (pc_explainer_new(&eo, on_finding, c, &c->explainer) != 0 ||
      pc_pipeline_new(NULL, on_attempt, c, &p) != 0)
    exit(1);
  double t0 = pc_bench_now();
  for (size_t i = 0; i < s->count; i++) pc_pipeline_push(p, &s->records[i]);
  pc_pipeline_finish(p);
  double dt = pc_bench_now() - t0;
  pc_pipeline_free(p);
  pc_explainer_free(c->explainer);
  return dt;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 2000000;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
  unsigned permille = argc > 3 ? (unsigned)(int)strtol(argv[3], NULL, 10) : 30;
  pc_ruleset *rules;
  if (pc_run_load_rules(NULL, &rules) != 0) return 1;
  long rss_before = pc_bench_peak_rss_kib();
  pc_bench_stream s;
  if (pc_bench_generate(seed, n, permille, &s) != 0) {
    fputs("bench: out of memory\n", stderr);
    return 1;
  }
  long rss_input = pc_bench_peak_rss_kib() - rss_before;
  ctx c;
  memset(&c, 0, sizeof c);
  c.devnull = fopen("/dev/null", "w");
  pc_format_options_init(&c.fo);
  if (!c.devnull) return 1;

  /* PC_BENCH_ONE_PASS=1 (for callgrind): one pass, no latency pass. */
  bool one_pass = getenv("PC_BENCH_ONE_PASS") != NULL;
  /* Throughput: best of 3 whole passes. */
  double best = 1e9;
  for (int rep = 0; rep < (one_pass ? 1 : 3); rep++) {
    c.findings = c.bytes = 0;
    double dt = run(&s, rules, &c);
    if (dt < best) best = dt;
  }
  size_t findings = c.findings;
  /* Latency: one more pass timing each failure's rules + JSON. */
  c.cap_explain = s.failures + 16;
  c.explain_ns = malloc(c.cap_explain * sizeof *c.explain_ns);
  if (!one_pass) run(&s, rules, &c);
  qsort(c.explain_ns, c.n_explain, sizeof *c.explain_ns, cmp_double);
  double median = c.n_explain ? c.explain_ns[c.n_explain / 2] : 0;
  double p99 = c.n_explain ? c.explain_ns[c.n_explain * 99 / 100] : 0;

  double rps = (double)s.count / best;
  printf("replay pipeline: decode + correlate + rules (%zu, default catalog) + JSON to /dev/null\n",
         pc_ruleset_count(rules));
  printf("seed %llu, %zu records, %u/1000 binds failing -> %zu failed binds generated\n",
         (unsigned long long)seed, s.count, permille, s.failures);
  printf("%-44s %12s %12s\n", "measure", "value", "budget");
  char b_rps[32], b_ns[32], b_ex[32];
  snprintf(b_rps, sizeof b_rps, ">= %.2f", PC_BUDGET_REPLAY_RECORDS_PER_S / 1e6);
  snprintf(b_ns, sizeof b_ns, "<= %.0f", 1e9 / PC_BUDGET_REPLAY_RECORDS_PER_S);
  snprintf(b_ex, sizeof b_ex, "< %.0f", PC_BUDGET_EXPLAIN_MEDIAN_NS);
  printf("%-44s %12.2f %12s\n", "records/s, millions (best of 3, one core)", rps / 1e6, b_rps);
  printf("%-44s %12.1f %12s\n", "ns/record", 1e9 / rps, b_ns);
  printf("%-44s %12.0f %12s\n", "explain one failure: median ns (rules+JSON)", median, b_ex);
  printf("%-44s %12.0f %12s\n", "explain one failure: p99 ns", p99, "-");
  printf("%-44s %12zu %12zu\n", "findings written (must equal failures)", findings, s.failures);
  printf("%-44s %12ld %12s\n", "peak RSS KiB (all)", pc_bench_peak_rss_kib(), "-");
  printf("%-44s %12ld %12s\n", "peak RSS KiB minus the generated input", pc_bench_peak_rss_kib() - rss_input,
         "bounded");
  bool ok =
      findings == s.failures && rps >= PC_BUDGET_REPLAY_RECORDS_PER_S && median < PC_BUDGET_EXPLAIN_MEDIAN_NS;
  free(c.explain_ns);
  fclose(c.devnull);
  pc_bench_stream_free(&s);
  pc_ruleset_free(rules);
  printf("%s\n", ok ? "all budgets met" : "BUDGET MISSED");
  return ok ? 0 : 1;
}
