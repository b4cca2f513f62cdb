/* etl_test_util.h - helpers shared by the ETL tests: temporary paths, record builders,
 * reading a whole stream into an array. Everything is static inline (test code only). */
#ifndef PC_ETL_TEST_UTIL_H
#define PC_ETL_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etl_writer.h"
#include "pc_error.h"
#include "pc_etl.h"
#include "pc_test.h"

/* A fresh path in the temporary directory; distinct per call and per process run. */
static inline const char *etl_tmp_path(const char *tag) {
  static char buf[512];
  static unsigned n;
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  snprintf(buf, sizeof buf, "%s/pc_etl_%s_%lx_%lx_%u.etl", dir, tag, (unsigned long)time(NULL),
           (unsigned long)clock(), n++);
  return buf;
}

#define ETL_T0 INT64_C(134116992000000000) /* 2026-01-01, the writer's default start */

static inline pc_record etl_rec(const pc_guid *g, uint16_t id, uint8_t version, unsigned cpu, pc_time t,
                                const void *ud, uint32_t ud_len) {
  pc_record r;
  memset(&r, 0, sizeof r);
  r.provider = *g;
  r.id = id;
  r.version = version;
  r.processor = (uint16_t)cpu;
  r.timestamp = t;
  r.pid = 1000 + id;
  r.tid = 2000 + cpu;
  r.level = 4;
  r.opcode = 1;
  r.task = id;
  r.keyword = UINT64_C(0x8000000000000004);
  r.user_data = ud;
  r.user_data_len = ud_len;
  return r;
}

/* The identity of a delivered record, for comparing streams. */
typedef struct etl_key {
  pc_time t;
  uint16_t cpu, id;
  uint32_t pid, ud_len;
  uint64_t psk;
  size_t ud_end; /* memory readers: offset of the end of the user data in the image */
} etl_key;

/* Reads everything from r into keys (cap entries); returns the final pc_etl_next result
 * and the number read in *n. base, when not NULL, is the memory image r reads. */
static inline int etl_drain(pc_etl_reader *r, etl_key *keys, size_t cap, size_t *n, const uint8_t *base) {
  pc_record rec;
  int rc;
  *n = 0;
  while ((rc = pc_etl_next(r, &rec)) == PC_OK) {
    if (*n < cap) {
      etl_key *k = &keys[*n];
      k->t = rec.timestamp;
      k->cpu = rec.processor;
      k->id = rec.id;
      k->pid = rec.pid;
      k->ud_len = rec.user_data_len;
      k->psk = rec.process_start_key;
      k->ud_end = base ? (size_t)(rec.user_data - base) + rec.user_data_len : 0;
    }
    (*n)++;
  }
  return rc;
}

static inline bool etl_key_eq(const etl_key *a, const etl_key *b) {
  return a->t == b->t && a->cpu == b->cpu && a->id == b->id && a->pid == b->pid && a->ud_len == b->ud_len &&
         a->psk == b->psk;
}

#endif
