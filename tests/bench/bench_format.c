/* bench_format.c - formatter throughput: ns per finding for each format, one core.
 * Build without sanitizers for meaningful numbers (-DPC_SANITIZE=OFF, Release). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pc_format.h"

static const char *const fixes[] = {"Stop the service that owns the port.",
                                    "Configure the application to listen on another port."};

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef size_t (*fmt_fn)(const pc_finding *, const pc_format_options *, char *, size_t);

int main(void) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = pc_time_from_unix(1795305000, 123456000);
  f.host = "WIN-BUILD-01";
  f.os = "windows";
  f.event = "bind_failure";
  f.error_known = true;
  f.error = 10013;
  f.error_name = "WSAEACCES";
  f.proto = "tcp";
  f.address = "0.0.0.0";
  f.port_known = true;
  f.port = 50000;
  f.pid_known = true;
  f.pid = 4321;
  f.process = "node.exe";
  f.rule_id = "C01";
  f.severity = "error";
  f.explanation =
      "Port 50000 is inside an excluded port range (49913-50012, administered: no), "
      "reserved by Hyper-V/WinNAT.";
  f.fixes = fixes;
  f.fix_count = 2;
  f.count = 1;
  f.source = "etw";
  pc_format_options o;
  pc_format_options_init(&o);
  o.procid = 1234;
  o.version = "0.1.0";
  static const struct {
    const char *name;
    fmt_fn fn;
  } fmts[] = {{"json", pc_format_json},
              {"text", pc_format_text},
              {"syslog5424", pc_format_syslog},
              {"syslog3164", pc_format_syslog3164},
              {"cef", pc_format_cef}};
  static char buf[8192];
  const int N = 1000000;
  size_t sink = 0;
  for (size_t k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
    for (int i = 0; i < 10000; i++) sink += fmts[k].fn(&f, &o, buf, sizeof buf);
    double t0 = now_ns();
    for (int i = 0; i < N; i++) {
      f.pid = (uint32_t)i; /* defeat any caching */
      sink += fmts[k].fn(&f, &o, buf, sizeof buf);
    }
    double ns = (now_ns() - t0) / N;
    printf("%-11s %7.1f ns/finding  %zu bytes\n", fmts[k].name, ns, strlen(buf));
  }
  return sink == 0;
}
