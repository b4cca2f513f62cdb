/* pc_bench_budgets.h - the performance budgets of DESIGN.md, in one place: every benchmark
 * prints its figures beside these, and README.md quotes them. Change a budget here and in
 * DESIGN.md together. */
#ifndef PC_BENCH_BUDGETS_H
#define PC_BENCH_BUDGETS_H

/* Replay pipeline (decode + correlate + rules, full catalog, + JSON), one core. */
#define PC_BUDGET_REPLAY_RECORDS_PER_S 3e6
/* A failed bind explained (rules + JSON): median nanoseconds. */
#define PC_BUDGET_EXPLAIN_MEDIAN_NS 2000.0
/* A repeat of a failure already explained in the --window: counted into its finding, not
 * explained again (a hash lookup): median nanoseconds. */
#define PC_BUDGET_REPEAT_MEDIAN_NS 250.0
/* ETL reading, uncompressed: bytes per second (1 GB/s). */
#define PC_BUDGET_ETL_BYTES_PER_S 1e9
/* 1000 rules evaluated: median nanoseconds. */
#define PC_BUDGET_RULES_1000_MEDIAN_NS 5000.0
/* Live Linux, busy host (20 000 sockets): CPU per explained key (owner + process details),
 * median microseconds. */
#define PC_BUDGET_KEY_CPU_MEDIAN_US 50.0

#endif
