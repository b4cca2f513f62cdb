/* pc_bench_busy.h - the busy host of the Linux benchmarks (bench_owners, pc_storm): processes
 * that each hold many listening TCP sockets on 127.0.0.1. POSIX; no project library, so the
 * same file builds against an older tree (packaging/bench.sh --compare). */
#ifndef PC_BENCH_BUSY_H
#define PC_BENCH_BUSY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Forks procs processes that each raise their RLIMIT_NOFILE and listen on per ports
 * (base + index * per + j, or one the kernel chooses when that one is taken); they die with
 * the calling thread (PR_SET_PDEATHSIG) or when killed. Fills ports[] and, when owners is not
 * NULL, owners[] (the pid holding each port), at most cap entries; pids[] gets the processes
 * started (procs entries) and *npids how many. Returns the number of ports. */
size_t pc_bench_busy_start(int procs, int per, int base, uint16_t *ports, pid_t *owners, size_t cap,
                           pid_t *pids, size_t *npids);

/* Kills and reaps the processes of pids[0..*npids) and sets *npids to 0. Async-signal-safe. */
void pc_bench_busy_stop(pid_t *pids, size_t *npids);

#endif
