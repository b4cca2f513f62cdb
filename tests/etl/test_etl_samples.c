/* test_etl_samples.c - the ETL reader on the real captures in shared/samples/etl.
 *
 * Every expected number below was read from the file's bytes by hand (xxd, and a small
 * independent Python walker/decompressor written from the format notes), not copied
 * from this program's output. Offsets are file offsets; "log+N" is offset N inside
 * TRACE_LOGFILE_HEADER, which starts at 0x68 in all three files. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_writer.h"
#include "pc_error.h"
#include "pc_etl.h"
#include "pc_test.h"
#include "pc_xpress.h"

static pc_etl_reader *open_sample(const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "samples/etl/%s", name);
  const char *path = pc_test_shared_path(rel);
  if (!path) return NULL;
  pc_etl_reader *r = NULL;
  char err[256];
  int rc = pc_etl_open(path, &r, err, sizeof err);
  if (rc != PC_OK) pc__test_fail(__FILE__, __LINE__, "open %s: %d %s", name, rc, err);
  return r;
}

#define SKIP_NO_SAMPLE(name)                                                                        \
  do {                                                                                              \
    if (!pc_test_shared_path("samples/etl/" name))                                                  \
      PC_SKIP("shared/samples/etl/" name " not found (set PC_SHARED_DIR to the shared directory)"); \
  } while (0)

static const pc_guid LXCORE = {0x0cd1c309, 0x0878, 0x4515, {0x83, 0xdb, 0x74, 0x98, 0x43, 0xb3, 0xf5, 0xc9}};
static const pc_guid HTTP_SERVICE = {
    0xdd5ef90a, 0x6398, 0x47a4, {0xad, 0x34, 0x4d, 0xce, 0xcd, 0xef, 0x79, 0x5f}};
static const pc_guid TL_PROVIDER = {
    0xa61ea624, 0x4944, 0x55fc, {0xc2, 0xa8, 0x37, 0x83, 0x88, 0x29, 0x43, 0x8d}};

PC_TEST(lxcore_header) {
  SKIP_NO_SAMPLE("lxcore_kernel.etl");
  pc_etl_reader *r = open_sample("lxcore_kernel.etl");
  if (!r) return;
  const pc_etl_info *in = pc_etl_get_info(r);
  PC_CHECK_UINT(in->os_major, 10); /* log+4: 0a 00 01 05 */
  PC_CHECK_UINT(in->os_minor, 0);
  PC_CHECK_UINT(in->os_build, 19041);                        /* log+8 = 0x70: 61 4a */
  PC_CHECK_UINT(in->cpu_count, 6);                           /* log+12 = 0x74 */
  PC_CHECK_UINT(in->pointer_size, 8);                        /* log+44 = 0x94, and header type 0x02 */
  PC_CHECK_UINT(in->buffer_size, 0x2000);                    /* log+0 = 0x68 */
  PC_CHECK_UINT(in->buffers_written, 3);                     /* log+36 = 0x8c */
  PC_CHECK_UINT(in->log_file_mode, 0);                       /* log+32 = 0x88 */
  PC_CHECK_UINT(in->events_lost, 0);                         /* log+48 = 0x98 */
  PC_CHECK_UINT(in->cpu_speed_mhz, 3000);                    /* log+52 = 0x9c: b8 0b */
  PC_CHECK_UINT(in->clock_type, 1);                          /* 0x178: ReservedFlags = QPC */
  PC_CHECK_UINT(in->buffers_lost, 0);                        /* 0x17c */
  PC_CHECK_INT(in->perf_freq, 10000000);                     /* 0x168: 80 96 98 00 */
  PC_CHECK_INT(in->start_time, INT64_C(0x01d659d6ee639ce3)); /* 0x170 */
  PC_CHECK_INT(in->end_time, INT64_C(0x01d659d6f5a07aea));   /* log+16 = 0x78 */
  PC_CHECK_INT(in->boot_time, INT64_C(0x01d659bd1715bd40));  /* 0x160 */
  PC_CHECK_UINT(in->compression, PC_COMPRESSION_NONE);
  PC_CHECK_STR(in->logger_name, "lxcore_kernel"); /* UTF-16 at 0x180 */
  PC_CHECK_STR(in->log_file_name, "C:\\Prog\\lxcore_kernel.etl");
  pc_etl_close(r);
}

PC_TEST(lxcore_events_merged_across_cpus) {
  SKIP_NO_SAMPLE("lxcore_kernel.etl");
  pc_etl_reader *r = open_sample("lxcore_kernel.etl");
  if (!r) return;
  pc_record rec;
  /* The buffer at 0x4000 (CPU 5, sequence 1) holds the earlier event although it comes
   * after the buffer at 0x2000 (CPU 3, sequence 2) in the file. Raw times at 0x4058 and
   * 0x2058: 0x19dae2983d and 0x19dae2c7ec; the header's raw SystemTime (0x58) is
   * 0x19d7731752 and the clock is 10 MHz, so the times are StartTime + 57639147 and
   * StartTime + 57651354 (computed with Python from those bytes). */
  PC_CHECK_INT(pc_etl_next(r, &rec), PC_OK);
  PC_CHECK_UINT(rec.processor, 5);
  PC_CHECK(pc_guid_equal(&rec.provider, &LXCORE));
  PC_CHECK_INT(rec.timestamp, INT64_C(132392018769026510));
  PC_CHECK_UINT(rec.pid, 5876); /* 0x4054: f4 16 */
  PC_CHECK_UINT(rec.tid, 2868); /* 0x4050: 34 0b */
  PC_CHECK_UINT(rec.id, 0);
  PC_CHECK_UINT(rec.level, 2);
  PC_CHECK_UINT(rec.channel, 11);
  PC_CHECK_UINT(rec.keyword, UINT64_C(0x400000000000));
  /* Disk flags 0x0001 (extended info) + 64-bit from header type 0x13. */
  PC_CHECK_UINT(rec.flags, 0x41);
  PC_CHECK_UINT(pc_record_pointer_size(&rec), 8);
  /* Size 0x176 minus the 0x50 header and two extended items of 0x40 and 0x70 bytes. */
  PC_CHECK_UINT(rec.user_data_len, 0x76);
  PC_CHECK_UINT(rec.ext_present, 0);
  PC_CHECK_INT(pc_etl_next(r, &rec), PC_OK);
  PC_CHECK_UINT(rec.processor, 3);
  PC_CHECK_INT(rec.timestamp, INT64_C(132392018769038717));
  PC_CHECK_UINT(rec.user_data_len, 0x58); /* 0x158 - 0x100 */
  /* The last 0x58 bytes end with "] LxpInstanceInitialize\n" (0x2180..0x219e). */
  PC_CHECK(rec.user_data_len >= 2 && rec.user_data[rec.user_data_len - 2] == '\n');
  PC_CHECK_INT(pc_etl_next(r, &rec), 1);
  const pc_etl_info *in = pc_etl_get_info(r);
  PC_CHECK_UINT(in->events_delivered, 2);
  PC_CHECK_UINT(in->buffers_read, 3);
  PC_CHECK_UINT(in->records_skipped, 2); /* two SYSTEM records in the header buffer */
  PC_CHECK_UINT(in->events_late, 0);
  PC_CHECK_INT(in->first_event, INT64_C(132392018769026510));
  PC_CHECK_INT(in->last_event, INT64_C(132392018769038717));
  size_t n;
  const pc_etl_count *c = pc_etl_counts(r, &n);
  PC_CHECK_UINT(n, 1);
  if (n == 1) {
    PC_CHECK(pc_guid_equal(&c[0].provider, &LXCORE));
    PC_CHECK_UINT(c[0].events, 2);
  }
  pc_etl_close(r);
}

PC_TEST(http_server_win7) {
  SKIP_NO_SAMPLE("HTTP_Server.etl");
  pc_etl_reader *r = open_sample("HTTP_Server.etl");
  if (!r) return;
  const pc_etl_info *in = pc_etl_get_info(r);
  PC_CHECK_UINT(in->os_major, 6); /* 0x6c: 06 01 01 05 */
  PC_CHECK_UINT(in->os_minor, 1);
  PC_CHECK_UINT(in->os_build, 7601); /* 0x70: b1 1d */
  PC_CHECK_UINT(in->cpu_count, 4);
  PC_CHECK_UINT(in->pointer_size, 8);
  PC_CHECK_UINT(in->buffers_written, 36); /* 0x8c: 0x24; the file has 36 x 8 KiB */
  PC_CHECK_INT(in->perf_freq, 1818300);   /* 0x168: bc be 1b 00 */
  PC_CHECK_INT(in->start_time, INT64_C(0x01cbbb49ce1657c9));
  PC_CHECK_INT(in->end_time, INT64_C(129402941068467320));
  PC_CHECK_STR(in->logger_name, "DataCollector01");
  pc_record rec;
  int rc;
  size_t n = 0;
  int64_t prev = INT64_MIN;
  bool ordered = true;
  while ((rc = pc_etl_next(r, &rec)) == PC_OK) {
    if (rec.timestamp < prev) ordered = false;
    prev = rec.timestamp;
    if (n == 0) {
      /* CPU 3's first buffer (sequence 1) is the 20th in the file (0x26000), yet it holds
       * the earliest event: raw 19479121384 at 0x26058, id 21. Time = StartTime +
       * (19479121384 - 19388662958) * 10^7 / 1818300, floored. */
      PC_CHECK_UINT(rec.processor, 3);
      PC_CHECK_UINT(rec.id, 21);
      PC_CHECK_INT(rec.timestamp, INT64_C(129402940472257591));
      PC_CHECK_UINT(rec.flags & 0x60, 0x40);
    }
    n++;
  }
  PC_CHECK_INT(rc, 1);
  PC_CHECK_UINT(n, 2041);
  PC_CHECK(ordered);
  PC_CHECK_UINT(in->events_late, 0);
  PC_CHECK_UINT(in->buffers_read, 36);
  /* Last event: raw 19532783186 on CPU 0 (buffer 0x44000), id 51. */
  PC_CHECK_UINT(rec.id, 51);
  PC_CHECK_INT(in->last_event, INT64_C(129402940767378319));
  PC_CHECK_INT(in->first_event, INT64_C(129402940472257591));
  /* Counts per id, all version 0, from the Python walk of every buffer. */
  static const struct {
    uint16_t id;
    uint64_t n;
  } want[] = {{1, 291}, {2, 291}, {3, 291},  {4, 2},  {5, 2},  {8, 289},
              {9, 289}, {10, 2},  {12, 289}, {21, 2}, {22, 2}, {51, 291}};
  size_t nc;
  const pc_etl_count *c = pc_etl_counts(r, &nc);
  PC_CHECK_UINT(nc, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < nc && i < sizeof want / sizeof want[0]; i++) {
    PC_CHECK(pc_guid_equal(&c[i].provider, &HTTP_SERVICE));
    PC_CHECK_UINT(c[i].id, want[i].id);
    PC_CHECK_UINT(c[i].version, 0);
    PC_CHECK_UINT(c[i].events, want[i].n);
  }
  pc_etl_close(r);
}

PC_TEST(compressed_sample_header_and_event) {
  SKIP_NO_SAMPLE("SelfDescribingSingleEvent.etl");
  pc_etl_reader *r = open_sample("SelfDescribingSingleEvent.etl");
  if (!r) return;
  const pc_etl_info *in = pc_etl_get_info(r);
  PC_CHECK_UINT(in->os_major, 10); /* 0x6c: 0a 00 02 00 */
  PC_CHECK_UINT(in->os_build, 22000);
  PC_CHECK_UINT(in->cpu_count, 12);
  PC_CHECK_UINT(in->log_file_mode, 0x04010001);          /* 0x88: COMPRESSED_MODE set */
  PC_CHECK_UINT(in->compression, PC_COMPRESSION_XPRESS); /* header buffer State 0x2c = 3 */
  PC_CHECK_UINT(in->buffer_size, 0x10000);
  PC_CHECK_UINT(in->buffers_written, 3);
  PC_CHECK_INT(in->start_time, INT64_C(0x01d854fd67d24603));
  PC_CHECK_INT(in->end_time, INT64_C(132949636386242009));
  PC_CHECK_STR(in->logger_name, "Relogger");
  PC_CHECK_STR(in->log_file_name, "[multiple files]");
  pc_record rec;
  PC_CHECK_INT(pc_etl_next(r, &rec), PC_OK);
  /* The only EVENT_HEADER record, in the second compressed buffer (0x1c09, CPU 1), at
   * offset 0x48 of its decompressed data: TraceLogging event id 3, two extended items
   * (0x18 and 0x20 bytes), 26 bytes of UTF-16 "Hello", "World!". Raw time 6459804190760
   * against the anchor 6459791009101 at 10 MHz. */
  PC_CHECK(pc_guid_equal(&rec.provider, &TL_PROVIDER));
  PC_CHECK_UINT(rec.processor, 1);
  PC_CHECK_UINT(rec.id, 3);
  PC_CHECK_UINT(rec.level, 5);
  PC_CHECK_UINT(rec.pid, 111592);
  PC_CHECK_UINT(rec.tid, 52284);
  PC_CHECK_INT(rec.timestamp, INT64_C(132949636365904094));
  static const uint8_t ud[26] = {0x48, 0x00, 0x65, 0x00, 0x6c, 0x00, 0x6c, 0x00, 0x6f,
                                 0x00, 0x00, 0x00, 0x57, 0x00, 0x6f, 0x00, 0x72, 0x00,
                                 0x6c, 0x00, 0x64, 0x00, 0x21, 0x00, 0x00, 0x00};
  PC_CHECK_UINT(rec.user_data_len, 26);
  if (rec.user_data_len == 26) PC_CHECK(memcmp(rec.user_data, ud, 26) == 0);
  PC_CHECK_INT(pc_etl_next(r, &rec), 1);
  /* 2 SYSTEM records in the header buffer + 20 rundown records in the first data buffer. */
  PC_CHECK_UINT(in->records_skipped, 22);
  PC_CHECK_UINT(in->buffers_read, 3);
  pc_etl_close(r);
}

static uint32_t fnv1a(const uint8_t *p, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
  return h;
}

PC_TEST(compressed_sample_buffers_decompress) {
  SKIP_NO_SAMPLE("SelfDescribingSingleEvent.etl");
  size_t len;
  uint8_t *f =
      (uint8_t *)pc_test_read_file(pc_test_shared_path("samples/etl/SelfDescribingSingleEvent.etl"), &len);
  PC_CHECK(f && len == 7403);
  if (!f || len != 7403) {
    free(f);
    return;
  }
  /* Buffer at 0x400: 6153 bytes stored, SavedOffset 7168 -> 7096 bytes of records.
   * Buffer at 0x1c09: 226 bytes stored, SavedOffset 240 -> 168 bytes. The FNV-1a sums
   * are of the Python decoder's output for the same bytes. */
  uint8_t out[7096];
  size_t got = 0, at = 0;
  const char *why = "";
  int rc = pc_xpress_decompress(f + 0x400 + 0x48, 6153 - 0x48, out, sizeof out, &got, &at, &why);
  PC_CHECK_INT(rc, PC_OK);
  PC_CHECK_UINT(got, 7096);
  PC_CHECK_UINT(fnv1a(out, got), 0xe8cb831eu);
  /* It starts with a SYSTEM64 record: 02 00 02 c0 50 00 50 00. */
  static const uint8_t head[8] = {0x02, 0x00, 0x02, 0xc0, 0x50, 0x00, 0x50, 0x00};
  PC_CHECK(memcmp(out, head, 8) == 0);
  rc = pc_xpress_decompress(f + 0x1c09 + 0x48, 226 - 0x48, out, 168, &got, &at, &why);
  PC_CHECK_INT(rc, PC_OK);
  PC_CHECK_UINT(got, 168);
  PC_CHECK_UINT(fnv1a(out, got), 0xe3b4e2fau);
  /* One byte less room than the data needs is an overflow, reported as such. */
  rc = pc_xpress_decompress(f + 0x1c09 + 0x48, 226 - 0x48, out, 167, &got, &at, &why);
  PC_CHECK_INT(rc, PC_EOVERFLOW);
  free(f);
}

PC_TEST(samples_from_memory_match_files) {
  static const char *names[] = {"lxcore_kernel.etl", "SelfDescribingSingleEvent.etl", "HTTP_Server.etl"};
  int found = 0;
  for (size_t k = 0; k < 3; k++) {
    char rel[128];
    snprintf(rel, sizeof rel, "samples/etl/%s", names[k]);
    const char *path = pc_test_shared_path(rel);
    if (!path) continue;
    found++;
    size_t len;
    uint8_t *img = (uint8_t *)pc_test_read_file(path, &len);
    pc_etl_reader *a = open_sample(names[k]), *b = NULL;
    char err[256];
    PC_CHECK_INT(pc_etl_open_memory(img, len, &b, err, sizeof err), PC_OK);
    if (!a || !b) {
      pc_etl_close(a);
      pc_etl_close(b);
      free(img);
      continue;
    }
    pc_record ra, rb;
    int x, y;
    do {
      x = pc_etl_next(a, &ra);
      y = pc_etl_next(b, &rb);
      PC_CHECK_INT(x, y);
      if (x == PC_OK && y == PC_OK) {
        PC_CHECK_INT(ra.timestamp, rb.timestamp);
        PC_CHECK_UINT(ra.user_data_len, rb.user_data_len);
        PC_CHECK(memcmp(ra.user_data, rb.user_data, ra.user_data_len) == 0);
      }
    } while (x == PC_OK && y == PC_OK && !pc__test_failed_now());
    pc_etl_close(a);
    pc_etl_close(b);
    free(img);
  }
  if (!found) PC_SKIP("no sample in shared/samples/etl (set PC_SHARED_DIR)");
}
