/* bench_etl.c - ETL reading throughput and memory (a benchmark, not a test).
 *
 * Generates a large ETL file with the test writer (default 512 MiB, 8 CPUs, 64 KiB
 * buffers, ~200-byte events), reads it back with pc_etl, and prints MB/s and peak RSS
 * beside the budget from DESIGN.md (pc_bench_budgets.h: >= 1 GB/s uncompressed, memory flat
 * in the file size). The file is deleted afterwards. Exit status 1 when the budget is
 * missed (uncompressed) or the events do not all come back.
 *
 * Usage: bench_etl [MiB] [--compress] [--keep PATH] */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, getrusage */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "etl_writer.h"
#include "pc_bench_budgets.h"
#include "pc_error.h"
#include "pc_etl.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss; /* KiB on Linux */
}

int main(int argc, char **argv) {
  long mib = 512;
  int compress = 0;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--compress") == 0)
      compress = 1;
    else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
      path = argv[++i];
    else
      mib = atol(argv[i]);
  }
  char tmp[256];
  if (!path) {
    const char *dir = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/bench_etl_%ld.etl", dir && *dir ? dir : "/tmp", (long)time(NULL));
    path = tmp;
  }
  pc_etl_writer_opts o = {0};
  o.cpus = 8;
  o.buffer_size = 64 * 1024;
  o.compress = compress != 0;
  pc_etl_writer *w = pc_etl_writer_open(path, &o);
  if (!w) {
    perror(path);
    return 1;
  }
  uint8_t ud[160];
  for (size_t i = 0; i < sizeof ud; i++) ud[i] = (uint8_t)(i * 13);
  pc_record rec;
  memset(&rec, 0, sizeof rec);
  rec.provider = PC_GUID_AFD;
  rec.user_data = ud;
  rec.ext_present = PC_RECORD_EXT_PROCESS_START_KEY;
  uint64_t target = (uint64_t)mib * 1024 * 1024, written = 0, events = 0;
  uint32_t lcg = 1;
  double t0 = now();
  while (written < target) {
    lcg = lcg * 1103515245u + 12345u;
    rec.processor = (uint16_t)((lcg >> 16) % 8);
    rec.id = (uint16_t)(1000 + (lcg >> 8) % 40);
    rec.timestamp = INT64_C(134116992000000000) + (int64_t)events * 37;
    rec.pid = 100 + (lcg >> 4) % 50;
    rec.user_data_len = 40 + (lcg >> 12) % 120;
    rec.process_start_key = rec.pid;
    if (pc_etl_writer_add(w, &rec) != PC_OK) {
      fprintf(stderr, "write failed\n");
      return 1;
    }
    written += 0x50 + 16 + ((rec.user_data_len + 7) & ~7u);
    events++;
  }
  if (pc_etl_writer_close(w) != PC_OK) {
    fprintf(stderr, "close failed\n");
    return 1;
  }
  double t1 = now();
  long rss_before = peak_rss_kib();

  FILE *f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  double file_mb = (double)ftell(f) / 1e6;
  fclose(f);

  /* Drop nothing from the page cache: this measures the parser, not the disk. */
  char err[256];
  pc_etl_reader *r;
  double t2 = now();
  if (pc_etl_open(path, &r, err, sizeof err) != PC_OK) {
    fprintf(stderr, "open: %s\n", err);
    return 1;
  }
  pc_record out;
  uint64_t n = 0, sum = 0;
  int rc;
  while ((rc = pc_etl_next(r, &out)) == PC_OK) {
    n++;
    sum += out.user_data_len;
  }
  double t3 = now();
  if (rc != 1) fprintf(stderr, "read: %s\n", pc_etl_error(r));
  const pc_etl_info *in = pc_etl_get_info(r);
  double mbps = file_mb / (t3 - t2);
  printf("bench_etl: %s, %.1f MB file, %llu events (%llu read, %llu late), %llu buffers\n",
         compress ? "XPRESS-compressed" : "uncompressed", file_mb, (unsigned long long)events,
         (unsigned long long)n, (unsigned long long)in->events_late, (unsigned long long)in->buffers_read);
  printf("  write %.2f s (test writer)\n", t1 - t0);
  printf("  read  %.3f s = %.0f MB/s   (budget: >= %.0f MB/s uncompressed)  %.2f M events/s\n", t3 - t2, mbps,
         PC_BUDGET_ETL_BYTES_PER_S / 1e6, (double)n / (t3 - t2) / 1e6);
  long rss = peak_rss_kib();
  printf("  peak RSS %ld KiB after reading (%ld KiB before)   (budget: flat in file size; file %.0f MB)\n",
         rss, rss_before, file_mb);
  pc_etl_close(r);
  if (path == tmp) remove(path);
  (void)sum;
  bool budget_ok = compress || mbps * 1e6 >= PC_BUDGET_ETL_BYTES_PER_S;
  printf("%s\n", budget_ok ? "all budgets met" : "BUDGET MISSED");
  return rc == 1 && n == events && budget_ok ? 0 : 1;
}
