/* pc_bench_budgets.h - the performance budgets of DESIGN.md and issue 19, in one place: every
 * benchmark prints its figures beside these, and README.md quotes them. Change a budget here
 * and in DESIGN.md (and the README's table) together. */
#ifndef PC_BENCH_BUDGETS_H
#define PC_BENCH_BUDGETS_H

/* Replay pipeline (decode + correlate + rules, full catalog, + JSON), one core, records
 * read from an ETL file (bench_replay) and from memory (bench_pipeline). */
#define PC_BUDGET_REPLAY_RECORDS_PER_S 3e6
/* A failed bind explained (rules + JSON): median nanoseconds. */
#define PC_BUDGET_EXPLAIN_MEDIAN_NS 2000.0
/* A repeat of a failure already explained in the --window: counted into its finding, not
 * explained again (a hash lookup): median nanoseconds. */
#define PC_BUDGET_REPEAT_MEDIAN_NS 250.0
/* The first failure of a key in the --window: explained, and its entry made in the window's
 * table (one allocation and a copy of the finding): the explain budget plus one table step. */
#define PC_BUDGET_FIRST_OF_KEY_MEDIAN_NS (PC_BUDGET_EXPLAIN_MEDIAN_NS + PC_BUDGET_REPEAT_MEDIAN_NS)
/* ETL reading, uncompressed: bytes per second (1 GB/s). */
#define PC_BUDGET_ETL_BYTES_PER_S 1e9
/* 1000 rules evaluated: median nanoseconds. */
#define PC_BUDGET_RULES_1000_MEDIAN_NS 5000.0
/* 100 000 rules loaded (parsed, checked for duplicate ids, compiled, indexed): CPU seconds. */
#define PC_BUDGET_RULES_100K_LOAD_S 5.0
/* Live Linux, busy host (20 000 sockets): CPU per explained key (owner + process details),
 * median microseconds (bench_owners); the storm divides the monitor's whole CPU by the
 * key-windows it explained (pc_storm). */
#define PC_BUDGET_KEY_CPU_MEDIAN_US 50.0

/* The busy-host storm (pc_storm, packaging/bench.sh --storm): at PC_BUDGET_STORM_RATE
 * failures/s over PC_BUDGET_STORM_KEYS distinct (pid, port) keys for PC_BUDGET_STORM_SECONDS,
 * every failure counted, every key explained at least once per window, zero kernel-ring loss,
 * peak RSS below PC_BUDGET_STORM_RSS_MIB, at most PC_BUDGET_STORM_CORES cores. */
#define PC_BUDGET_STORM_RATE 100000.0
#define PC_BUDGET_STORM_KEYS 1000
#define PC_BUDGET_STORM_SECONDS 10.0
#define PC_BUDGET_STORM_RSS_MIB 32
#define PC_BUDGET_STORM_CORES 1.0
/* SIGINT -> the monitor has exited, seconds (at the end of a storm). */
#define PC_BUDGET_STOP_S 1.0
/* Fairness: during a storm by an unprivileged user, this many failures of a root process on
 * another port are all explained. */
#define PC_BUDGET_STORM_ROOT_FAILURES 60

#endif
