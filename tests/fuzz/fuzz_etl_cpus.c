/* fuzz_etl_cpus.c - libFuzzer target, a property of the ETL writer and reader together: a
 * stream of records in strictly increasing time, written with the records spread over 1..64
 * CPUs as the input says (and with small buffers, so a CPU's buffers interleave with the
 * others' in the file), reads back in exactly the order written, with no event counted as
 * late, whatever the CPU count - so the findings cannot depend on it. The first input bytes
 * pick the CPU count, the buffer size and where the session start lies (before, inside or
 * after the records: a replayed old capture has its events before the writer's default
 * start). Equal timestamps are not generated: their order across CPUs is not defined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etl_writer.h"
#include "pc_error.h"
#include "pc_etl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 4096
#define REC_BYTES 5

typedef struct rec_in {
  pc_time t;
  uint16_t cpu, id;
  uint32_t pid;
  uint8_t len;
} rec_in;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4) return 0;
  unsigned cpus = 1u + data[0] % 64u;
  uint32_t buffer_size = 1024u + (uint32_t)data[1] * 256u;
  int64_t base = INT64_C(134116992000000000) + ((int64_t)data[2] - 128) * 10000000; /* +-128 s */
  bool compress = data[3] & 1;
  data += 4;
  size -= 4;
  static rec_in in[MAX_RECORDS];
  size_t n = 0;
  pc_time t = base;
  for (size_t at = 0; at + REC_BYTES <= size && n < MAX_RECORDS; at += REC_BYTES) {
    const uint8_t *b = data + at;
    t += 1 + (int64_t)b[1] * 997; /* strictly increasing, up to ~25 µs apart */
    in[n++] = (rec_in){.t = t, .cpu = (uint16_t)(b[0] % cpus), .id = b[2], .pid = b[3], .len = b[4]};
  }
  char path[64];
  snprintf(path, sizeof path, "/tmp/fuzz_etl_cpus_%d.etl", (int)getpid());
  pc_etl_writer_opts o = {0};
  o.cpus = cpus;
  o.buffer_size = buffer_size;
  o.compress = compress;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) return 0;
  uint8_t ud[256];
  for (size_t i = 0; i < n; i++) {
    pc_record r;
    memset(&r, 0, sizeof r);
    r.provider = PC_GUID_AFD;
    r.id = in[i].id;
    r.pid = in[i].pid;
    r.processor = in[i].cpu;
    r.timestamp = in[i].t;
    memset(ud, (int)i, in[i].len);
    r.user_data = ud;
    r.user_data_len = in[i].len;
    if (pc_etl_writer_add(w, &r) != PC_OK) __builtin_trap();
  }
  if (pc_etl_writer_close(w) != PC_OK) __builtin_trap();
  pc_etl_reader *rd;
  char err[256];
  if (pc_etl_open(path, &rd, err, sizeof err) != PC_OK) __builtin_trap();
  pc_record r;
  size_t k = 0;
  int rc;
  while ((rc = pc_etl_next(rd, &r)) == PC_OK) {
    if (k >= n || r.timestamp != in[k].t || r.id != in[k].id || r.pid != in[k].pid ||
        r.processor != in[k].cpu || r.user_data_len != in[k].len)
      __builtin_trap();
    for (uint32_t j = 0; j < r.user_data_len; j++)
      if (r.user_data[j] != (uint8_t)k) __builtin_trap();
    k++;
  }
  if (rc != 1 || k != n || pc_etl_get_info(rd)->events_late != 0) __builtin_trap();
  pc_etl_close(rd);
  remove(path);
  return 0;
}
