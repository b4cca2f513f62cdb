/* Replay pipeline benchmark: a seeded stream of realistic records through decode +
 * correlate (+ the stages that exist in this build), timed on one core. Prints each figure
 * beside its budget (DESIGN.md "Performance budgets").
 * Usage: bench_pipeline [RECORDS] [SEED]   (defaults 2000000, 42) */
#include <stdio.h>
#include <stdlib.h>

#include "pc_bench_gen.h"
#include "pc_pipeline.h"

static void count(const pc_bind_attempt *a, void *ud) {
  (void)a;
  (*(size_t *)ud)++;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 2000000;
  uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
  pc_bench_stream s;
  if (pc_bench_generate(seed, n, 30, &s) != 0) {
    fputs("bench: out of memory\n", stderr);
    return 1;
  }
  double best = 1e9;
  size_t attempts = 0;
  for (int rep = 0; rep < 3; rep++) {
    size_t got = 0;
    pc_pipeline *p;
    if (pc_pipeline_new(NULL, count, &got, &p) != 0) return 1;
    double t0 = pc_bench_now();
    for (size_t i = 0; i < s.count; i++) pc_pipeline_push(p, &s.records[i]);
    pc_pipeline_finish(p);
    double dt = pc_bench_now() - t0;
    if (dt < best) best = dt;
    attempts = got;
    pc_pipeline_free(p);
  }
  double rps = (double)s.count / best;
  printf("replay pipeline (decode + correlate), seed %llu, %zu records, %zu failed binds generated\n",
         (unsigned long long)seed, s.count, s.failures);
  printf("%-38s %14s %16s\n", "measure", "value", "budget");
  printf("%-38s %14.2f %16s\n", "records/s (millions, best of 3)", rps / 1e6, ">= 3.00");
  printf("%-38s %14.1f %16s\n", "ns/record", 1e9 / rps, "<= 333");
  printf("%-38s %14zu %16zu\n", "failures reported (must equal generated)", attempts, s.failures);
  printf("%-38s %14ld %16s\n", "peak RSS (KiB)", pc_bench_peak_rss_kib(), "bounded");
  pc_bench_stream_free(&s);
  return attempts == s.failures ? 0 : 1;
}
