/* pc_bench_gen.h - a deterministic (seeded) stream of realistic ETW records for benchmarks:
 * mostly successful binds (AFD create → bind enter → exit → close), and a few percent of
 * failures across causes (in use, access denied, UDP excluded, listener) with the TCPIP and
 * Winsock-Sockets events that accompany them. Same seed, same stream. */
#ifndef PC_BENCH_GEN_H
#define PC_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_format.h"
#include "pc_record.h"

typedef struct pc_bench_stream {
  pc_record *records;
  uint8_t *payloads; /* records point into this */
  size_t count;
  size_t failures; /* failed binds generated */
} pc_bench_stream;

/* Generates at least n records; failure_permille of the binds fail. Returns 0 or -1. */
int pc_bench_generate(uint64_t seed, size_t n, unsigned failure_permille, pc_bench_stream *out);
void pc_bench_stream_free(pc_bench_stream *s);

/* Writes f as one JSON line to out (what a replay benchmark does with a finding); returns the
 * bytes written. */
size_t pc_bench_write_json(const pc_finding *f, const pc_format_options *fo, FILE *out);

/* Monotonic seconds, and peak resident set size in KiB (0 if unknown). */
double pc_bench_now(void);
long pc_bench_peak_rss_kib(void);

#endif
