/* test_etl_roundtrip.c - files written by the test writer read back by pc_etl: both
 * pointer sizes, several CPUs merged into time order, extended items, skipped record
 * types, compression, counts, and the bounded lookahead. */
#include <stdbool.h>

#include "etl_test_util.h"

static const pc_guid G1 = {0x11111111, 0x2222, 0x3333, {1, 2, 3, 4, 5, 6, 7, 8}};

PC_TEST(roundtrip_fields_64bit) {
  const char *path = etl_tmp_path("rt64");
  pc_etl_writer *w = pc_etl_writer_open(path, NULL);
  PC_CHECK(w != NULL);
  if (!w) return;
  uint8_t ud[37];
  for (size_t i = 0; i < sizeof ud; i++) ud[i] = (uint8_t)(i * 7);
  pc_record in = etl_rec(&PC_GUID_TCPIP, 1394, 1, 2, ETL_T0 + 12345, ud, sizeof ud);
  in.channel = 16;
  in.level = 2;
  in.opcode = 33;
  in.task = 77;
  in.keyword = UINT64_C(0x8000000000000008);
  in.pid = 4242;
  in.tid = 4343;
  in.ext_present = PC_RECORD_EXT_PROCESS_START_KEY;
  in.process_start_key = UINT64_C(0x0123456789ABCDEF);
  PC_CHECK_INT(pc_etl_writer_add(w, &in), PC_OK);
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);

  pc_etl_reader *r;
  char err[256];
  PC_CHECK_INT(pc_etl_open(path, &r, err, sizeof err), PC_OK);
  if (pc__test_failed_now()) return;
  const pc_etl_info *info = pc_etl_get_info(r);
  PC_CHECK_UINT(info->pointer_size, 8);
  PC_CHECK_UINT(info->cpu_count, 4);
  PC_CHECK_UINT(info->os_build, 19041);
  PC_CHECK_STR(info->logger_name, "portclash-test");
  PC_CHECK_INT(info->start_time, ETL_T0);
  pc_record out;
  PC_CHECK_INT(pc_etl_next(r, &out), PC_OK);
  PC_CHECK(pc_guid_equal(&out.provider, &PC_GUID_TCPIP));
  PC_CHECK_UINT(out.id, 1394);
  PC_CHECK_UINT(out.version, 1);
  PC_CHECK_UINT(out.channel, 16);
  PC_CHECK_UINT(out.level, 2);
  PC_CHECK_UINT(out.opcode, 33);
  PC_CHECK_UINT(out.task, 77);
  PC_CHECK_UINT(out.keyword, UINT64_C(0x8000000000000008));
  PC_CHECK_UINT(out.pid, 4242);
  PC_CHECK_UINT(out.tid, 4343);
  PC_CHECK_UINT(out.processor, 2);
  PC_CHECK_INT(out.timestamp, ETL_T0 + 12345);
  PC_CHECK_UINT(out.flags, PC_RECORD_FLAG_64BIT_HEADER | PC_RECORD_FLAG_EXTENDED_INFO);
  PC_CHECK_UINT(out.ext_present, PC_RECORD_EXT_PROCESS_START_KEY);
  PC_CHECK_UINT(out.process_start_key, UINT64_C(0x0123456789ABCDEF));
  PC_CHECK_UINT(out.user_data_len, sizeof ud);
  PC_CHECK(memcmp(out.user_data, ud, sizeof ud) == 0);
  PC_CHECK_INT(pc_etl_next(r, &out), 1);
  PC_CHECK_INT(pc_etl_next(r, &out), 1); /* the end is sticky */
  PC_CHECK_STR(pc_etl_error(r), "");
  PC_CHECK_UINT(pc_etl_error_offset(r), UINT64_MAX);
  pc_etl_close(r);
  remove(path);
}

PC_TEST(roundtrip_32bit_file_and_records) {
  const char *path = etl_tmp_path("rt32");
  pc_etl_writer_opts o = {0};
  o.pointer_size = 4;
  o.cpus = 2;
  o.buffer_size = 4096;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  PC_CHECK(w != NULL);
  if (!w) return;
  uint8_t ud[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 50; i++) {
    pc_record in =
        etl_rec(&PC_GUID_AFD, 1000 + (uint16_t)(i % 3), 0, (unsigned)(i % 2), ETL_T0 + i * 10, ud, 4);
    in.flags = PC_RECORD_FLAG_32BIT_HEADER;
    PC_CHECK_INT(pc_etl_writer_add(w, &in), PC_OK);
  }
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
  pc_etl_reader *r;
  char err[256];
  PC_CHECK_INT(pc_etl_open(path, &r, err, sizeof err), PC_OK);
  if (pc__test_failed_now()) return;
  PC_CHECK_UINT(pc_etl_get_info(r)->pointer_size, 4);
  PC_CHECK_STR(pc_etl_get_info(r)->logger_name, "portclash-test");
  pc_record out;
  int n = 0, rc;
  while ((rc = pc_etl_next(r, &out)) == PC_OK) {
    PC_CHECK_UINT(out.flags, PC_RECORD_FLAG_32BIT_HEADER);
    PC_CHECK_UINT(pc_record_pointer_size(&out), 4);
    PC_CHECK_INT(out.timestamp, ETL_T0 + n * 10);
    PC_CHECK_UINT(out.processor, (unsigned)(n % 2));
    n++;
  }
  PC_CHECK_INT(rc, 1);
  PC_CHECK_INT(n, 50);
  pc_etl_close(r);
  remove(path);
}

/* Many CPUs, small buffers, records dealt out in time order: the reader must give them
 * back in exactly that order whatever the buffer order in the file. */
static void interleaved(bool compress, bool late_cpu) {
  const char *path = etl_tmp_path("mix");
  pc_etl_writer_opts o = {0};
  o.cpus = 5;
  o.buffer_size = 1024;
  o.compress = compress;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  PC_CHECK(w != NULL);
  if (!w) return;
  enum { N = 3000 };
  uint8_t ud[64];
  for (size_t i = 0; i < sizeof ud; i++) ud[i] = (uint8_t)(i < 32 ? 'A' + i % 3 : i);
  uint32_t lcg = 12345;
  for (int i = 0; i < N; i++) {
    lcg = lcg * 1103515245u + 12345u;
    unsigned cpu = (lcg >> 16) % 4;
    /* CPU 4 logs once at the start and once at the end; its buffer is written last, the
     * way an idle CPU's buffer is on Windows. */
    if (late_cpu && (i == 1 || i == N - 1)) cpu = 4;
    pc_record in = etl_rec(&G1, (uint16_t)(i % 7), (uint8_t)(i % 2), cpu, ETL_T0 + 100 + i * 3, ud,
                           (uint32_t)(lcg >> 8) % sizeof ud);
    in.pid = (uint32_t)i;
    if (i % 5 == 0) {
      in.ext_present = PC_RECORD_EXT_PROCESS_START_KEY;
      in.process_start_key = (uint64_t)i * 1000003u;
    }
    PC_CHECK_INT(pc_etl_writer_add(w, &in), PC_OK);
  }
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
  pc_etl_reader *r;
  char err[256];
  PC_CHECK_INT(pc_etl_open(path, &r, err, sizeof err), PC_OK);
  if (pc__test_failed_now()) return;
  pc_record out;
  int n = 0, rc;
  while ((rc = pc_etl_next(r, &out)) == PC_OK) {
    if (out.pid != (uint32_t)n) {
      PC_CHECK_UINT(out.pid, (unsigned)n);
      break;
    }
    PC_CHECK_INT(out.timestamp, ETL_T0 + 100 + n * 3);
    if (n % 5 == 0) {
      PC_CHECK_UINT(out.ext_present, PC_RECORD_EXT_PROCESS_START_KEY);
      PC_CHECK_UINT(out.process_start_key, (uint64_t)n * 1000003u);
    } else {
      PC_CHECK_UINT(out.ext_present, 0);
    }
    n++;
  }
  PC_CHECK_INT(rc, 1);
  PC_CHECK_INT(n, N);
  const pc_etl_info *info = pc_etl_get_info(r);
  PC_CHECK_UINT(info->events_late, 0);
  PC_CHECK_UINT(info->compression, compress ? 3 : 0);
  PC_CHECK(info->buffers_read > 20);
  PC_CHECK_INT(info->first_event, ETL_T0 + 100);
  PC_CHECK_INT(info->last_event, ETL_T0 + 100 + (N - 1) * 3);
  size_t nc;
  const pc_etl_count *c = pc_etl_counts(r, &nc);
  PC_CHECK_UINT(nc, 14); /* ids 0..6 x versions 0/1, all combinations occur */
  uint64_t total = 0;
  for (size_t i = 0; i < nc; i++) total += c[i].events;
  PC_CHECK_UINT(total, N);
  pc_etl_close(r);
  remove(path);
}

PC_TEST(roundtrip_interleaved_cpus) {
  interleaved(false, false);
}
PC_TEST(roundtrip_idle_cpu_buffer_written_last) {
  interleaved(false, true);
}
PC_TEST(roundtrip_compressed) {
  interleaved(true, true);
}

PC_TEST(roundtrip_ext_items_and_alignment) {
  /* A leading 13-byte item makes the process start key item start at an 8-aligned
   * offset only if the reader pads items correctly. */
  for (uint16_t dummy = 1; dummy <= 17; dummy += 4) {
    const char *path = etl_tmp_path("ext");
    pc_etl_writer_opts o = {0};
    o.dummy_ext_len = dummy;
    pc_etl_writer *w = pc_etl_writer_open(path, &o);
    if (!w) {
      PC_CHECK(w != NULL);
      return;
    }
    uint8_t ud[3] = {9, 8, 7};
    pc_record in = etl_rec(&PC_GUID_WINSOCK_SOCKETS, 8, 0, 0, ETL_T0 + 5, ud, sizeof ud);
    in.ext_present = PC_RECORD_EXT_PROCESS_START_KEY;
    in.process_start_key = 77;
    PC_CHECK_INT(pc_etl_writer_add(w, &in), PC_OK);
    PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
    pc_etl_reader *r;
    PC_CHECK_INT(pc_etl_open(path, &r, NULL, 0), PC_OK);
    if (pc__test_failed_now()) return;
    pc_record out;
    PC_CHECK_INT(pc_etl_next(r, &out), PC_OK);
    PC_CHECK_UINT(out.process_start_key, 77);
    PC_CHECK_UINT(out.user_data_len, 3);
    PC_CHECK(out.user_data_len == 3 && memcmp(out.user_data, ud, 3) == 0);
    pc_etl_close(r);
    remove(path);
  }
}

PC_TEST(roundtrip_skips_other_record_types) {
  const char *path = etl_tmp_path("skip");
  pc_etl_writer *w = pc_etl_writer_open(path, NULL);
  if (!w) {
    PC_CHECK(w != NULL);
    return;
  }
  uint8_t sys[0x28] = {0x02, 0x00, 0x02, 0xC0, 0x28, 0x00, 0x0A, 0x03};  /* SYSTEM64, size at +4 */
  uint8_t perf[0x18] = {0x02, 0x00, 0x11, 0xC0, 0x18, 0x00, 0x2E, 0x0F}; /* PERFINFO64 */
  uint8_t full[0x3C] = {0x3C, 0x00, 0x14, 0xC0};                         /* FULL_HEADER64 */
  uint8_t wpp[0x1A] = {0x1A, 0x00, 0x00, 0x90};                          /* WPP/WinTrace 0x9000 */
  uint8_t inst[0x45] = {0x45, 0x00, 0x15, 0xC0};                         /* INSTANCE64, odd size */
  pc_record a = etl_rec(&G1, 1, 0, 0, ETL_T0 + 1, NULL, 0);
  pc_record b = etl_rec(&G1, 2, 0, 0, ETL_T0 + 2, NULL, 0);
  PC_CHECK_INT(pc_etl_writer_add_raw(w, 0, sys, sizeof sys), PC_OK);
  PC_CHECK_INT(pc_etl_writer_add(w, &a), PC_OK);
  PC_CHECK_INT(pc_etl_writer_add_raw(w, 0, perf, sizeof perf), PC_OK);
  PC_CHECK_INT(pc_etl_writer_add_raw(w, 0, full, sizeof full), PC_OK);
  PC_CHECK_INT(pc_etl_writer_add_raw(w, 0, wpp, sizeof wpp), PC_OK);
  PC_CHECK_INT(pc_etl_writer_add_raw(w, 0, inst, sizeof inst), PC_OK);
  PC_CHECK_INT(pc_etl_writer_add(w, &b), PC_OK);
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
  pc_etl_reader *r;
  PC_CHECK_INT(pc_etl_open(path, &r, NULL, 0), PC_OK);
  if (pc__test_failed_now()) return;
  pc_record out;
  PC_CHECK_INT(pc_etl_next(r, &out), PC_OK);
  PC_CHECK_UINT(out.id, 1);
  PC_CHECK_INT(pc_etl_next(r, &out), PC_OK);
  PC_CHECK_UINT(out.id, 2);
  PC_CHECK_INT(pc_etl_next(r, &out), 1);
  /* 5 raw records + the SYSTEM log-file header record. */
  PC_CHECK_UINT(pc_etl_get_info(r)->records_skipped, 6);
  pc_etl_close(r);
  remove(path);
}

PC_TEST(roundtrip_system_time_clock) {
  const char *path = etl_tmp_path("systime");
  pc_etl_writer_opts o = {0};
  o.clock_type = PC_ETL_CLOCK_SYSTEM_TIME;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) {
    PC_CHECK(w != NULL);
    return;
  }
  pc_record a = etl_rec(&G1, 1, 0, 1, ETL_T0 + 987654321, NULL, 0);
  PC_CHECK_INT(pc_etl_writer_add(w, &a), PC_OK);
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
  pc_etl_reader *r;
  PC_CHECK_INT(pc_etl_open(path, &r, NULL, 0), PC_OK);
  if (pc__test_failed_now()) return;
  pc_record out;
  PC_CHECK_INT(pc_etl_next(r, &out), PC_OK);
  PC_CHECK_INT(out.timestamp, ETL_T0 + 987654321);
  PC_CHECK_UINT(pc_etl_get_info(r)->clock_type, PC_ETL_CLOCK_SYSTEM_TIME);
  pc_etl_close(r);
  remove(path);
}

PC_TEST(roundtrip_lookahead_cap_counts_late_events) {
  /* CPU 1 logs one early event; its buffer is written only after more than
   * PC_ETL_LOOKAHEAD_BYTES of CPU 0 buffers. The reader must not hold them all: it gives
   * up waiting, delivers everything, and reports the early event as late. */
  const char *path = etl_tmp_path("late");
  pc_etl_writer_opts o = {0};
  o.buffer_size = 64 * 1024;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) {
    PC_CHECK(w != NULL);
    return;
  }
  static uint8_t ud[8000];
  pc_record early = etl_rec(&G1, 9, 0, 1, ETL_T0 + 50, NULL, 0);
  PC_CHECK_INT(pc_etl_writer_add(w, &early), PC_OK);
  int n = (int)(PC_ETL_LOOKAHEAD_BYTES / sizeof ud) + 600;
  for (int i = 0; i < n; i++) {
    pc_record a = etl_rec(&G1, 1, 0, 0, ETL_T0 + 100 + i, ud, sizeof ud);
    PC_CHECK_INT(pc_etl_writer_add(w, &a), PC_OK);
  }
  PC_CHECK_INT(pc_etl_writer_close(w), PC_OK);
  pc_etl_reader *r;
  PC_CHECK_INT(pc_etl_open(path, &r, NULL, 0), PC_OK);
  if (pc__test_failed_now()) return;
  pc_record out;
  int got = 0, rc;
  while ((rc = pc_etl_next(r, &out)) == PC_OK) got++;
  PC_CHECK_INT(rc, 1);
  PC_CHECK_INT(got, n + 1);
  PC_CHECK_UINT(pc_etl_get_info(r)->events_late, 1);
  pc_etl_close(r);
  remove(path);
}

PC_TEST(open_errors) {
  pc_etl_reader *r = (pc_etl_reader *)1;
  char err[256];
  PC_CHECK_INT(pc_etl_open("/nonexistent/dir/x.etl", &r, err, sizeof err), PC_ENOENT);
  PC_CHECK(r == NULL);
  PC_CHECK(strstr(err, "cannot open") != NULL);
  PC_CHECK_INT(pc_etl_open_memory(NULL, 0, &r, err, sizeof err), PC_ETRUNC);
  PC_CHECK(strstr(err, "byte 0x0") != NULL);
  pc_etl_close(NULL);
}
