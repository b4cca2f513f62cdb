/* test_sinks.c - transports without a real collector: the queue bound under a dead
 * collector, log rotation, a missing directory and a full disk, the console and the
 * status line. */
#define _POSIX_C_SOURCE 200809L
#ifdef _WIN32
/* The Windows build (MinGW, run under Wine) has its own versions of the few helpers that
 * use POSIX-only calls; the cases and their checks are the same. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h before windows.h, windows.h before psapi.h */
#include <winsock2.h>
#include <windows.h>
#include <direct.h>
#include <psapi.h>
/* clang-format on */
#else
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pc_sinks.h"
#include "pc_test.h"

typedef struct diags {
  int errors, recoveries;
  char last[512];
} diags;

static void on_diag(void *ud, pc_err err, const char *msg) {
  diags *d = ud;
  if (err == PC_OK)
    d->recoveries++;
  else
    d->errors++;
  snprintf(d->last, sizeof d->last, "%s", msg);
}

static pc_finding failure(uint32_t i) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = pc_time_from_unix(1795305000 + i, 0);
  f.host = "h";
  f.event = "bind_failure";
  f.proto = "tcp";
  f.address = "0.0.0.0";
  f.port_known = true;
  f.port = 8080;
  f.pid_known = true;
  f.pid = i;
  f.process = "svc.exe";
  f.severity = "error";
  f.explanation = "Port 8080 is held by another process.";
  f.count = 1;
  f.source = "fixture";
  return f;
}

static pc_sink_options base_opts(void) {
  pc_sink_options o;
  pc_sink_options_init(&o);
  o.console = false;
  o.host = "testhost";
  o.retry_min_ms = 5;
  o.retry_max_ms = 50;
  o.drain_ms = 200;
  return o;
}

/* Scratch files live in one fixed directory under the build tree, emptied at start, so
 * that repeated runs do not pile up directories. */
#ifdef _WIN32
#define EMPTY_SCRATCH_DIR "(if exist sinks-tmp rmdir /s /q sinks-tmp) & mkdir sinks-tmp"
#else
#define EMPTY_SCRATCH_DIR "rm -rf sinks-tmp && mkdir sinks-tmp"
#endif
static const char *scratch(const char *name) {
  static bool ready;
  if (!ready) {
    if (system(EMPTY_SCRATCH_DIR) != 0) abort();
    ready = true;
  }
  static char path[512];
  snprintf(path, sizeof path, "sinks-tmp/%s", name);
  return path;
}

#ifdef _WIN32
/* The peak working set is Windows' counterpart of the maximum resident set size. */
static long max_rss_kb(void) {
  PROCESS_MEMORY_COUNTERS pmc;
  if (!GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc)) return 0;
  return (long)(pmc.PeakWorkingSetSize / 1024);
}

/* A loopback port of type (SOCK_STREAM, SOCK_DGRAM) bound by this process until it ends, so
 * that no other program can take it while the test runs. */
static int held_port(int type) {
  WSADATA wd;
  WSAStartup(MAKEWORD(2, 2), &wd); /* counted; the sink starts Winsock on its own too */
  SOCKET fd = socket(AF_INET, type, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int sl = sizeof sa;
  bind(fd, (struct sockaddr *)&sa, sizeof sa);
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  return ntohs(sa.sin_port);
}

#define make_dir(d) _mkdir(d)
#define sleep_60ms() Sleep(60)
#else
static long max_rss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* A loopback port of type (SOCK_STREAM, SOCK_DGRAM) bound by this process until it ends, so
 * that no other program can take it while the test runs. */
static int held_port(int type) {
  int fd = socket(AF_INET, type, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sa;
  bind(fd, (struct sockaddr *)&sa, sizeof sa);
  getsockname(fd, (struct sockaddr *)&sa, &sl);
  return ntohs(sa.sin_port);
}

#define make_dir(d) mkdir(d, 0755)
static void sleep_60ms(void) {
  struct timespec ms60 = {0, 60000000};
  nanosleep(&ms60, NULL);
}
#endif

/* TCP bound but not listening: connect is refused. */
static int dead_tcp_port(void) {
  return held_port(SOCK_STREAM);
}

/* UDP: a collector that takes and ignores what it gets. */
static int held_udp_port(void) {
  return held_port(SOCK_DGRAM);
}

PC_TEST(dead_collector_million_findings_bounded) {
  diags d = {0};
  pc_sink_options o = base_opts();
  char url[64];
  snprintf(url, sizeof url, "tcp://127.0.0.1:%d", dead_tcp_port());
  o.syslog_url = url;
  o.queue_bytes = 256 * 1024;
  o.drain_ms = 50;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  long rss0 = max_rss_kb();
  const uint32_t N = 1000000;
  for (uint32_t i = 0; i < N; i++) {
    pc_finding f = failure(i);
    pc_sinks_write(s, &f); /* never blocks, whatever the collector does */
  }
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  PC_CHECK_UINT(st.submitted, N);
  PC_CHECK_UINT(st.written, 0);
  PC_CHECK_UINT(st.submitted, st.written + st.dropped + st.queued); /* at any moment */
  PC_CHECK(st.queued * 200 <= o.queue_bytes);                       /* ~300-byte records */
  char line[256];
  pc_sinks_status_line(s, NULL, line, sizeof line);
  char want[128];
  snprintf(want, sizeof want, "portclash: 0 events, %u failures, 0 events lost, %llu dropped", N,
           (unsigned long long)st.dropped);
  PC_CHECK_STR(line, want);
  FILE *sum = tmpfile();
  o.status_out = sum;
  pc_sinks_close(s, NULL, false);
  long grown = max_rss_kb() - rss0;
  /* Unbounded, 1M records of ~300 bytes would be ~300 MB. */
  if (grown > 64 * 1024) pc__test_fail(__FILE__, __LINE__, "max RSS grew by %ld KiB", grown);
  PC_CHECK(d.errors >= 1);
  PC_CHECK(strstr(d.last, "cannot connect") != NULL);
  fclose(sum);
}

PC_TEST(queue_counts_exactly_after_close) {
  diags d = {0};
  pc_sink_options o = base_opts();
  char url[64];
  snprintf(url, sizeof url, "tcp://127.0.0.1:%d", dead_tcp_port());
  o.syslog_url = url;
  o.queue_bytes = 4096;
  o.drain_ms = 20;
  FILE *sum = tmpfile();
  o.status_out = sum;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  for (uint32_t i = 0; i < 1000; i++) {
    pc_finding f = failure(i);
    pc_sinks_write(s, &f);
  }
  PC_CHECK_INT(pc_sinks_flush(s, 20), PC_ETIMEOUT);
  pc_sinks_close(s, NULL, true);
  rewind(sum);
  char text[1024] = "";
  size_t n = fread(text, 1, sizeof text - 1, sum);
  text[n] = '\0';
  /* Nothing was delivered, so all 1000 were dropped: the summary says so exactly. */
  PC_CHECK(strstr(text, "portclash: 0 events, 1000 failures, 0 events lost, 1000 dropped\n") != NULL);
  PC_CHECK(strstr(text, "portclash: syslog: 0 written, 1000 dropped,") != NULL);
  fclose(sum);
}

static int count_lines(const char *data, const char *needle) {
  int n = 0;
  for (const char *p = data; (p = strstr(p, needle)) != NULL; p++) n++;
  return n;
}

/* base_opts with a JSON log file in the scratch directory. */
static pc_sink_options json_log(const char *name) {
  pc_sink_options o = base_opts();
  o.format = PC_FORMAT_JSON;
  o.log_path = scratch(name);
  return o;
}

PC_TEST(log_rotation_keeps_n_files_whole_lines) {
  diags d = {0};
  pc_sink_options o = json_log("rot.jsonl");
  o.log_max_bytes = 2000;
  o.log_keep = 3;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  for (uint32_t i = 0; i < 200; i++) {
    pc_finding f = failure(i);
    pc_sinks_write(s, &f);
  }
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  pc_sinks_close(s, NULL, false);
  PC_CHECK_INT(d.errors, 0);
  char name[600];
  int lines = 0;
  uint32_t last_pid = 0;
  for (int k = 3; k >= 0; k--) {
    if (k)
      snprintf(name, sizeof name, "%s.%d", o.log_path, k);
    else
      snprintf(name, sizeof name, "%s", o.log_path);
    size_t len;
    char *data = pc_test_read_file(name, &len);
    PC_CHECK(data != NULL);
    if (!data) continue;
    PC_CHECK(len <= 2000);
    PC_CHECK(len > 0 && data[len - 1] == '\n');
    /* Every line is a whole object, and the files hold consecutive findings. */
    for (char *line = data; *line; line = strchr(line, '\n') + 1) {
      PC_CHECK(strncmp(line, "{\"ts\":", 6) == 0);
      char *end = strchr(line, '\n');
      PC_CHECK(end && end[-1] == '}');
      char *pid = strstr(line, "\"pid\":");
      uint32_t p = (uint32_t)strtoul(pid + 6, NULL, 10);
      if (lines) PC_CHECK_UINT(p, last_pid + 1);
      last_pid = p;
      lines++;
    }
    free(data);
  }
  PC_CHECK_UINT(last_pid, 199);
  snprintf(name, sizeof name, "%s.4", o.log_path);
  struct stat st;
  PC_CHECK(stat(name, &st) != 0); /* only N rotated files are kept */
}

static int lines_in(const char *path) {
  char *data = pc_test_read_file(path, NULL);
  int n = data ? count_lines(data, "\n") : -1;
  free(data);
  return n;
}

/* SIGHUP after logrotate: the file renamed away keeps what was written before, the file at
 * the path gets what comes after, created by the reopen itself. */
PC_TEST(reopen_after_rename_starts_a_new_file) {
  diags d = {0};
  pc_sink_options o = json_log("reopen.jsonl");
  char url[64];
  snprintf(url, sizeof url, "udp://127.0.0.1:%d", held_udp_port());
  o.syslog_url = url; /* a sink with nothing to reopen: not mentioned */
  char moved[600];
  snprintf(moved, sizeof moved, "%s.1", o.log_path);
  FILE *status = tmpfile();
  o.status_out = status;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  pc_finding f = failure(1);
  pc_sinks_write(s, &f);
  pc_sinks_write(s, &f);
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  PC_CHECK_INT(rename(o.log_path, moved), 0);
  PC_CHECK_UINT(pc_sinks_reopen(s), 1);
  struct stat st;
  PC_CHECK(stat(o.log_path, &st) == 0 && st.st_size == 0); /* there at once, empty */
  pc_sinks_write(s, &f);
  pc_sinks_close(s, NULL, false);
  PC_CHECK_INT(lines_in(moved), 2);
  PC_CHECK_INT(lines_in(o.log_path), 1);
  PC_CHECK_INT(d.errors, 0);
  char line[300] = "";
  rewind(status);
  PC_CHECK(fgets(line, sizeof line, status) != NULL);
  PC_CHECK(strstr(line, "portclash: status: log file reopened (SIGHUP): ") == line);
  PC_CHECK(strstr(line, "reopen.jsonl") != NULL);
  PC_CHECK(fgets(line, sizeof line, status) == NULL); /* that one line only */
  fclose(status);
}

#ifndef _WIN32
/* A symlink planted at the path before SIGHUP is not followed: nothing reaches its target,
 * the failure is said once, and the records wait (and are retried) as in any outage. */
PC_TEST(reopen_refuses_a_symlink) {
  diags d = {0};
  pc_sink_options o = json_log("reopen-link.jsonl");
  char target[600], path[600];
  snprintf(target, sizeof target, "%s", scratch("reopen-target"));
  snprintf(path, sizeof path, "%s", scratch("reopen-link.jsonl"));
  o.log_path = path;
  o.status_out = tmpfile();
  FILE *t = fopen(target, "w");
  PC_CHECK(t != NULL);
  if (t) fclose(t);
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  pc_finding f = failure(1);
  pc_sinks_write(s, &f);
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  PC_CHECK_INT(remove(o.log_path), 0);
  PC_CHECK_INT(symlink("reopen-target", o.log_path), 0);
  PC_CHECK_UINT(pc_sinks_reopen(s), 0);
  PC_CHECK_INT(d.errors, 1);
  PC_CHECK(strstr(d.last, "cannot open") != NULL);
  pc_sinks_write(s, &f);
  pc_sinks_close(s, NULL, false);
  struct stat st;
  PC_CHECK(stat(target, &st) == 0 && st.st_size == 0);
  fclose(o.status_out);
}
#endif

PC_TEST(missing_directory_reported_then_recovers) {
  diags d = {0};
  pc_sink_options o = base_opts();
  o.format = PC_FORMAT_JSON;
  char dir[512];
  snprintf(dir, sizeof dir, "%s", scratch("later"));
  char path[600];
  snprintf(path, sizeof path, "%s/log.jsonl", dir);
  o.log_path = path;
  o.queue_bytes = 4096; /* room for ~10 records: the rest is dropped while the dir is gone */
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  for (uint32_t i = 0; i < 100; i++) {
    pc_finding f = failure(i);
    pc_sinks_write(s, &f);
  }
  PC_CHECK_INT(pc_sinks_flush(s, 100), PC_ETIMEOUT);
  PC_CHECK_INT(d.errors, 1); /* reported once per outage, not per retry */
  PC_CHECK(strstr(d.last, "cannot open") != NULL);
  make_dir(dir);
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  PC_CHECK_INT(d.recoveries, 1);
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  pc_sinks_close(s, NULL, false);
  PC_CHECK(st.dropped > 0);
  PC_CHECK_UINT(st.written + st.dropped, 100);
  PC_CHECK_UINT(st.drop_reports, 1);
  char *data = pc_test_read_file(path, NULL);
  PC_CHECK(data != NULL);
  if (!data) return;
  PC_CHECK_INT(count_lines(data, "\"event\":\"bind_failure\""), (int)st.written);
  char want[64];
  snprintf(want, sizeof want, "\"count\":%llu,", (unsigned long long)st.dropped);
  char *drop = strstr(data, "\"event\":\"output_dropped\"");
  PC_CHECK(drop != NULL && strstr(drop, want) != NULL);
  free(data);
}

/* UDP to a closed port: the kernel fails every other send with "connection refused" (the
 * ICMP of the previous datagram), the retry after it works. That flapping must give one
 * message for the outage, not one per send: a second of it printed thousands of lines. */
PC_TEST(udp_closed_port_reports_once) {
#ifdef _WIN32
  PC_SKIP("the ICMP port-unreachable behaviour of UDP sockets is the Linux kernel's");
#else
  /* A port that was just free on the loopback: bind, read it, close. */
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  PC_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
           getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
  close(fd);
  char url[64];
  snprintf(url, sizeof url, "udp://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
  diags d = {0};
  pc_sink_options o = base_opts();
  o.format = PC_FORMAT_SYSLOG;
  o.syslog_url = url;
  o.retry_min_ms = 1;
  o.retry_max_ms = 5;
  o.drain_ms = 50;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  /* About a second of findings, a few every millisecond. */
  struct timespec t0, now, nap = {0, 1000000};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint32_t i = 0;
  do {
    for (int k = 0; k < 4; k++) {
      pc_finding f = failure(i++);
      pc_sinks_write(s, &f);
    }
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  pc_sinks_close(s, NULL, false);
  printf("    %u findings in 1 s: %d outage message(s), %d recovery message(s), %llu written\n", (unsigned)i,
         d.errors, d.recoveries, (unsigned long long)st.written);
  PC_CHECK(d.errors >= 1);                /* the refusal is reported ... */
  PC_CHECK(d.errors + d.recoveries <= 2); /* ... once, not once per send */
#endif
}

PC_TEST(disk_full_reported_no_crash) {
#ifdef _WIN32
  PC_SKIP("Windows has no /dev/full (a device whose every write fails with 'disk full')");
#endif
  diags d = {0};
  pc_sink_options o = base_opts();
  o.log_path = "/dev/full"; /* every write fails with ENOSPC */
  o.log_max_bytes = 100;    /* and rotation must never rename a device */
  o.drain_ms = 30;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_OK);
  for (uint32_t i = 0; i < 50; i++) {
    pc_finding f = failure(i);
    pc_sinks_write(s, &f);
  }
  pc_sinks_flush(s, 100);
  PC_CHECK_INT(d.errors, 1);
  PC_CHECK(strstr(d.last, "cannot write") != NULL && strstr(d.last, "No space") != NULL);
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  PC_CHECK(st.failures >= 1);
  pc_sinks_close(s, NULL, false);
  struct stat sb;
  PC_CHECK(stat("/dev/full", &sb) == 0 && S_ISCHR(sb.st_mode));
  PC_CHECK(stat("/dev/full.1", &sb) != 0);
}

PC_TEST(console_text_blocks_and_colour) {
  pc_sink_options o = base_opts();
  o.console = true;
  FILE *out = tmpfile();
  o.console_out = out;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, NULL, NULL, &s), PC_OK);
  pc_finding f = failure(7);
  pc_sinks_write(s, &f);
  pc_sinks_close(s, NULL, false);
  rewind(out);
  char text[2048];
  size_t n = fread(text, 1, sizeof text - 1, out);
  text[n] = '\0';
  /* A file is not a terminal: no colour; blocks end with an empty line. */
  PC_CHECK_STR(text,
               "[error] bind_failure 2026-11-21T23:50:07.000000Z\n"
               "  what:  svc.exe (pid 7) could not bind tcp 0.0.0.0:8080\n"
               "  why:   Port 8080 is held by another process.\n"
               "  host:  h, source fixture\n\n");
  fclose(out);

  out = tmpfile();
  o.console_out = out;
  o.color = PC_COLOR_ALWAYS;
  o.format = PC_FORMAT_JSON;
  pc_sinks_open(&o, NULL, NULL, &s);
  pc_sinks_write(s, &f);
  pc_sinks_close(s, NULL, false);
  rewind(out);
  n = fread(text, 1, sizeof text - 1, out);
  text[n] = '\0';
  PC_CHECK(n > 2 && text[0] == '{' && text[n - 2] == '}' && text[n - 1] == '\n');
  fclose(out);
}

PC_TEST(status_tick_and_summary) {
  pc_sink_options o = base_opts();
  FILE *st = tmpfile();
  o.status_out = st;
  o.status_interval_ms = 50;
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, NULL, NULL, &s), PC_OK);
  pc_finding f = failure(1);
  f.count = 5; /* an aggregated finding counts as 5 failures */
  pc_sinks_write(s, &f);
  f.event = "port_at_risk";
  pc_sinks_write(s, &f);
  pc_run_counts c = {.events_seen = 1234, .events_lost = 7};
  sleep_60ms();
  pc_sinks_tick(s, &c);
  pc_sinks_tick(s, &c); /* too soon: nothing */
  pc_sinks_close(s, &c, true);
  rewind(st);
  char text[512];
  size_t n = fread(text, 1, sizeof text - 1, st);
  text[n] = '\0';
  PC_CHECK_STR(text,
               "portclash: 1234 events, 5 failures, 7 events lost, 0 dropped\n"
               "portclash: 1234 events, 5 failures, 7 events lost, 0 dropped\n");
  fclose(st);
}

/* Losses and regex limits become records in every sink: one per status interval at most,
 * only when a count grew, with the growth as count; what grew since goes out at close. */
PC_TEST(loss_records_once_per_interval_when_grown) {
  pc_sink_options o = json_log("losses.jsonl");
  o.status_out = tmpfile();
  o.status_interval_ms = 60000;
  o.loss_records = true;
  o.source = "ebpf";
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, NULL, NULL, &s), PC_OK);
  pc_run_counts c = {.events_seen = 10, .events_lost = 0};
  pc_sinks_tick(s, &c); /* nothing lost: nothing said */
  c.events_lost = 7;
  c.lost_detail = "uid 1000: 7";
  pc_sinks_tick(s, &c); /* the first: at once */
  c.events_lost = 9;
  c.limit_hits = 2;
  pc_sinks_tick(s, &c); /* within the interval: held */
  pc_sinks_tick(s, &c);
  c.events_lost = 12;
  pc_sinks_close(s, &c, false); /* the rest at close */
  char *data = pc_test_read_file(o.log_path, NULL);
  PC_CHECK(data != NULL);
  if (!data) return;
  PC_CHECK_INT(count_lines(data, "\n"), 3);
  PC_CHECK_INT(count_lines(data, "\"event\":\"events_lost\""), 2);
  PC_CHECK_INT(count_lines(data, "\"event\":\"limit_hit\""), 1);
  PC_CHECK(strstr(data, "\"severity\":\"warning\"") != NULL);
  char *first = strstr(data, "\"events_lost\"");
  char *second = first ? strstr(first + 1, "\"events_lost\"") : NULL;
  PC_CHECK(first && strstr(first, "uid 1000: 7") && strstr(first, "\"count\":7,"));
  PC_CHECK(first && strstr(first, "\"source\":\"ebpf\""));
  PC_CHECK(second && strstr(second, "\"count\":5,") && strstr(second, "(12 since the start)"));
  char *limit = strstr(data, "\"limit_hit\"");
  PC_CHECK(limit && strstr(limit, "\"count\":2,") && strstr(limit, "\"source\":\"portclash\""));
  free(data);
  fclose(o.status_out);
}

/* Off (analyze, and every command but monitor): no such records. */
PC_TEST(no_loss_records_unless_asked) {
  pc_sink_options o = json_log("no-losses.jsonl");
  o.status_out = tmpfile();
  pc_sinks *s;
  PC_CHECK_INT(pc_sinks_open(&o, NULL, NULL, &s), PC_OK);
  pc_run_counts c = {.events_seen = 10, .events_lost = 7, .limit_hits = 1};
  pc_sinks_tick(s, &c);
  pc_sinks_close(s, &c, false);
  char *data = pc_test_read_file(o.log_path, NULL);
  PC_CHECK(data == NULL || data[0] == '\0');
  free(data);
  fclose(o.status_out);
}

PC_TEST(bad_options_rejected) {
  diags d = {0};
  pc_sink_options o = base_opts();
  pc_sinks *s;
  o.syslog_url = "http://x";
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_EINVAL);
  o.syslog_url = "udp://[::1";
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_EINVAL);
  o.syslog_url = "udp://h:99999";
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_EINVAL);
  o.syslog_url = NULL;
  o.sd_id = "a b";
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_EINVAL);
  o.sd_id = NULL;
  o.syslog_facility = 24;
  PC_CHECK_INT(pc_sinks_open(&o, on_diag, &d, &s), PC_EINVAL);
  PC_CHECK_INT(d.errors, 5);
  pc_format_kind k;
  PC_CHECK_INT(pc_format_kind_parse("syslog3164", &k), PC_OK);
  PC_CHECK_INT(k, PC_FORMAT_SYSLOG3164);
  PC_CHECK_INT(pc_format_kind_parse("xml", &k), PC_EINVAL);
}
