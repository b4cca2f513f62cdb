/* syslog_driver.c - a small program the end-to-end script drives through stdin, so that
 * findings travel through portclash's own sinks (formatter, queue, TCP/UDP transport)
 * to a real collector. One command per line; each prints one answer line on stdout:
 *   open URL [QUEUE_BYTES]   open a syslog sink (retry 10..100 ms)     -> "ok"
 *   send N TAG               N bind failures, process=TAG, pid=1,2,... -> "ok"
 *   agg N                    N identical failures through the aggregator -> "ok"
 *   hostile                  one finding with `"`, `\`, `]`, newline, invalid UTF-8
 *   flush MS                 -> "flush ok" or "flush timeout"
 *   stats / close            -> "stats submitted=.. written=.. dropped=.. queued=..
 *                                reconnects=.. drop_reports=.."
 * Diagnostics of the sink go to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "pc_sinks.h"

static pc_sinks *sinks;
static uint32_t seq;

static void diag(void *ud, pc_err err, const char *msg) {
  (void)ud;
  fprintf(stderr, "driver: [%s] %s\n", pc_errname(err), msg);
}

static pc_finding failure(const char *tag) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = pc_time_from_unix(1795305000, 0) + (pc_time)seq * PC_TIME_TICKS_PER_MS;
  f.host = "e2ehost";
  f.os = "linux";
  f.event = "bind_failure";
  f.error_known = true;
  f.error = 98;
  f.error_name = "EADDRINUSE";
  f.proto = "tcp";
  f.address = "127.0.0.1";
  f.port_known = true;
  f.port = 8080;
  f.pid_known = true;
  f.pid = ++seq;
  f.process = tag;
  f.rule_id = "E2E";
  f.severity = "error";
  f.explanation = "Port 8080 is already in use.";
  f.count = 1;
  f.source = "fixture";
  return f;
}

static void print_stats(const pc_sink_stats *st) {
  printf(
      "stats submitted=%llu written=%llu dropped=%llu queued=%llu reconnects=%llu "
      "drop_reports=%llu\n",
      (unsigned long long)st->submitted, (unsigned long long)st->written, (unsigned long long)st->dropped,
      (unsigned long long)st->queued, (unsigned long long)st->reconnects,
      (unsigned long long)st->drop_reports);
}

static void emit(void *ud, const pc_finding *f) {
  (void)ud;
  pc_sinks_write(sinks, f);
}

int main(void) {
  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[32] = "", arg[400] = "", arg2[64] = "";
    sscanf(line, "%31s %399s %63s", cmd, arg, arg2);
    if (strcmp(cmd, "open") == 0) {
      pc_sink_options o;
      pc_sink_options_init(&o);
      o.console = false;
      o.syslog_url = arg;
      o.host = "e2ehost";
      o.retry_min_ms = 10;
      o.retry_max_ms = 100;
      o.drain_ms = 3000;
      if (arg2[0]) o.queue_bytes = (size_t)strtoul(arg2, NULL, 10);
      printf("%s\n", pc_sinks_open(&o, diag, NULL, &sinks) == PC_OK ? "ok" : "error");
    } else if (strcmp(cmd, "send") == 0) {
      long n = strtol(arg, NULL, 10);
      for (long i = 0; i < n; i++) {
        pc_finding f = failure(arg2);
        pc_sinks_write(sinks, &f);
      }
      printf("ok\n");
    } else if (strcmp(cmd, "agg") == 0) {
      pc_aggregator *a;
      pc_aggregator_create(NULL, emit, NULL, &a);
      long n = strtol(arg, NULL, 10);
      uint32_t keep = seq;
      for (long i = 0; i < n; i++) {
        seq = keep;
        pc_finding f = failure("agg.exe");
        f.ts = f.ts_last = f.ts + (pc_time)i * PC_TIME_TICKS_PER_MS;
        pc_aggregator_add(a, &f, f.ts);
      }
      pc_aggregator_flush(a);
      pc_aggregator_free(a);
      printf("ok\n");
    } else if (strcmp(cmd, "hostile") == 0) {
      pc_finding f = failure("q\"b\\s]e\nx\xff");
      f.explanation = "line1\nline2 ] \" \\ |=";
      pc_sinks_write(sinks, &f);
      printf("ok\n");
    } else if (strcmp(cmd, "flush") == 0) {
      pc_err err = pc_sinks_flush(sinks, (unsigned)strtoul(arg, NULL, 10));
      printf("flush %s\n", err == PC_OK ? "ok" : "timeout");
    } else if (strcmp(cmd, "stats") == 0) {
      pc_sink_stats st;
      pc_sinks_stats(sinks, &st);
      print_stats(&st);
    } else if (strcmp(cmd, "close") == 0) {
      /* Drain first, so that the numbers printed are final (queued=0). */
      pc_sinks_flush(sinks, 5000);
      pc_sink_stats st;
      pc_sinks_stats(sinks, &st);
      pc_sinks_close(sinks, NULL, false);
      sinks = NULL;
      print_stats(&st);
    } else {
      printf("unknown command\n");
    }
    fflush(stdout);
  }
  pc_sinks_close(sinks, NULL, false);
  return 0;
}
