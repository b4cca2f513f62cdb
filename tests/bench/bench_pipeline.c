/* Replay pipeline benchmark (DESIGN.md "Performance budgets"): a seeded stream of realistic
 * records through decode + correlate + rules (full default catalog) + JSON formatting to
 * /dev/null, on one core. Prints each figure beside its budget.
 * Usage: bench_pipeline [RECORDS] [SEED] [FAILURE_PERMILLE]   (defaults 2000000, 42, 30) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_bench_budgets.h"
#include "pc_bench_gen.h"
#include "pc_error.h"
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
  c->bytes += pc_bench_write_json(f, &c->fo, c->devnull);
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

/* ---- explain once per key (run.h): the monitor's finding path with a window ---- */

typedef struct once_result {
  double key_median, key_p99, repeat_median, repeat_p99; /* ns */
  uint64_t explained, counted;
} once_result;

static pc_bind_attempt once_failure(uint32_t key, pc_time ts) {
  pc_bind_attempt a;
  memset(&a, 0, sizeof a);
  a.ts_first = a.ts_last = ts;
  a.pid = 1000 + key % 200;
  a.pid_known = true;
  a.start_key = a.pid * 7u;
  a.local.family = PC_AF_INET;
  a.local.port = (uint16_t)(20000 + key);
  a.addr_known = true;
  a.proto = PC_PROTO_TCP;
  a.socktype = 1;
  a.failed = a.error_known = a.error_is_errno = true;
  a.error = 98; /* EADDRINUSE */
  a.seen_by = PC_SEEN_EBPF;
  snprintf(a.comm, sizeof a.comm, "svc%u", (unsigned)(key % 200));
  return a;
}

/* KEYS distinct failures (each explained: rules, JSON at once as the live monitor writes it,
 * an aggregation entry), then REPEATS failures over the same keys within the window (each
 * only counted). No host state: its lookups are measured by the busy-host benchmark. */
static int explain_once(const char *rules_dir, FILE *devnull, once_result *r) {
  enum { KEYS = 4000, REPEATS = 400000 };
  pc_run_options run;
  memset(&run, 0, sizeof run);
  pc_sink_options_init(&run.sinks);
  run.sinks.format = PC_FORMAT_JSON;
  run.sinks.console_out = devnull;
  run.sinks.status_interval_ms = 0;
  run.sinks.host = "bench-host";
  run.rules_dir = rules_dir;
  run.window = 60 * PC_TIME_TICKS_PER_SEC;
  pc_finding_output_options fo = {NULL, "linux", 0, "ebpf", true, false, false};
  pc_finding_output *out;
  if (pc_finding_output_open(&run, &fo, &out) != PC_OK) return -1;
  double *key_ns = malloc(KEYS * sizeof *key_ns), *rep_ns = malloc(REPEATS * sizeof *rep_ns);
  if (!key_ns || !rep_ns) return -1;
  pc_time t0 = pc_time_from_unix(1795305000, 0);
  for (uint32_t k = 0; k < KEYS; k++) {
    pc_bind_attempt a = once_failure(k, t0 + k);
    double s = pc_bench_now();
    pc_finding_output_attempt(out, &a);
    key_ns[k] = (pc_bench_now() - s) * 1e9;
  }
  for (uint32_t i = 0; i < REPEATS; i++) {
    pc_bind_attempt a = once_failure(i % KEYS, t0 + KEYS + i);
    double s = pc_bench_now();
    pc_finding_output_attempt(out, &a);
    rep_ns[i] = (pc_bench_now() - s) * 1e9;
  }
  pc_finding_output_stats st;
  pc_finding_output_get_stats(out, &st);
  pc_finding_output_close(out, NULL, false);
  qsort(key_ns, KEYS, sizeof *key_ns, cmp_double);
  qsort(rep_ns, REPEATS, sizeof *rep_ns, cmp_double);
  r->key_median = key_ns[KEYS / 2];
  r->key_p99 = key_ns[KEYS * 99 / 100];
  r->repeat_median = rep_ns[REPEATS / 2];
  r->repeat_p99 = rep_ns[(size_t)REPEATS * 99 / 100];
  r->explained = st.explained;
  r->counted = st.counted;
  free(key_ns);
  free(rep_ns);
  return st.explained == KEYS && st.counted == REPEATS ? 0 : -1;
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
  once_result once;
  memset(&once, 0, sizeof once);
  int once_rc = explain_once(NULL, c.devnull, &once);
  char b_rep[32];
  snprintf(b_rep, sizeof b_rep, "< %.0f", PC_BUDGET_REPEAT_MEDIAN_NS);
  printf("explain once per key and window (run.h, --window, live; no host state):\n");
  printf("%-44s %12.0f %12s\n", "first of a key: median ns (count+rules+JSON)", once.key_median, b_ex);
  printf("%-44s %12.0f %12s\n", "first of a key: p99 ns", once.key_p99, "-");
  printf("%-44s %12.0f %12s\n", "repeat of a key: median ns (counted only)", once.repeat_median, b_rep);
  printf("%-44s %12.0f %12s\n", "repeat of a key: p99 ns", once.repeat_p99, "-");
  printf("%-44s %12llu %12s\n", "keys explained / repeats counted", (unsigned long long)once.explained,
         once_rc == 0 ? "as sent" : "WRONG");
  bool ok = findings == s.failures && rps >= PC_BUDGET_REPLAY_RECORDS_PER_S &&
            median < PC_BUDGET_EXPLAIN_MEDIAN_NS && once_rc == 0 &&
            once.key_median < PC_BUDGET_EXPLAIN_MEDIAN_NS && once.repeat_median < PC_BUDGET_REPEAT_MEDIAN_NS;
  free(c.explain_ns);
  fclose(c.devnull);
  pc_bench_stream_free(&s);
  pc_ruleset_free(rules);
  printf("%s\n", ok ? "all budgets met" : "BUDGET MISSED");
  return ok ? 0 : 1;
}
