/* pc_sinks.h - where findings go: the console, a rotated log file, a syslog collector.
 *
 * A sink is a pure formatter (pc_format.h) plus a transport. The file and syslog sinks
 * format on the caller's thread and hand the bytes to a bounded queue with a writer thread
 * of their own, so a slow disk or a dead collector never blocks event intake and never
 * grows memory: when the queue is full the record is dropped and counted. Drops are shown
 * in the status line and the exit summary, and each sink writes an "output_dropped" event
 * (count = records lost) through itself as soon as it delivers again.
 *
 * Threading: pc_sinks_write/flush/stats/tick may be called from one thread at a time (the
 * pipeline's); the writer threads are internal. Errors of the destinations (cannot
 * connect, disk full, directory gone) are reported through the diag callback once per
 * outage and once on recovery, from the writer thread; they are never fatal.
 *
 * Command-line options (the CLI maps them to pc_sink_options; defaults in brackets):
 *   --format text|json|syslog|syslog3164|cef   console and log file format [text]
 *   --log FILE            also write findings to FILE, one record per line (a text block
 *                         is several lines) [off]
 *   --log-format text|json|syslog|syslog3164|cef   format of FILE [same as --format]
 *   --log-max-bytes N     rotate FILE before it would exceed N bytes; 0 = never [10485760]
 *   --log-keep N          keep N rotated files FILE.1 .. FILE.N [5]
 *   --syslog URL          udp://HOST[:PORT] or tcp://HOST[:PORT] (PORT 514; IPv6 as
 *                         [addr]); TCP uses RFC 6587 octet counting. Sends RFC 5424,
 *                         or RFC 3164 with --format syslog3164, or RFC 3164 carrying a CEF
 *                         record with --format cef [off]
 *   --syslog-facility N   0..23 [1, user-level]
 *   --syslog-max-bytes N  record cap, 480..8191 [2048; 1024 for RFC 3164]
 *   --sd-id ID            RFC 5424 SD-ID of the key-field element [portclash@32473]
 *   --app-name NAME       syslog APP-NAME / TAG [portclash]
 *   --no-color            no ANSI colours on the console (also: NO_COLOR set, or stdout
 *                         not a terminal)
 *   --quiet               no findings on stdout (for services that only log) [off]
 *   --eventlog            also report findings to the Windows Event Log, source "portclash"
 *                         in the Application log (eventlog.h); Windows only [off;
 *                         always on in the service]
 */
#ifndef PC_SINKS_H
#define PC_SINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_compiler.h"
#include "pc_error.h"
#include "pc_finding.h"
#include "pc_format.h"

typedef enum pc_format_kind {
  PC_FORMAT_SAME = 0, /* log_format only: use format */
  PC_FORMAT_TEXT,
  PC_FORMAT_JSON,
  PC_FORMAT_SYSLOG,     /* RFC 5424 */
  PC_FORMAT_SYSLOG3164, /* RFC 3164 */
  PC_FORMAT_CEF
} pc_format_kind;

/* Parses "text", "json", "syslog", "syslog3164" or "cef". PC_EINVAL otherwise. */
pc_err pc_format_kind_parse(const char *name, pc_format_kind *out);

/* Calls the formatter for kind (PC_FORMAT_SAME means text); same contract as pc_format.h. */
size_t pc_format_any(pc_format_kind kind, const pc_finding *f, const pc_format_options *o, char *buf,
                     size_t cap);

typedef enum pc_color_mode { PC_COLOR_AUTO = 0, PC_COLOR_NEVER, PC_COLOR_ALWAYS } pc_color_mode;

typedef struct pc_sink_options {
  pc_format_kind format;       /* --format */
  bool console;                /* findings on the console stream (false with --quiet) */
  pc_color_mode color;         /* --no-color gives NEVER; AUTO: terminal and NO_COLOR unset */
  FILE *console_out;           /* NULL = stdout (tests pass a temporary file) */
  FILE *status_out;            /* NULL = stderr */
  unsigned status_interval_ms; /* pc_sinks_tick period; 0 = no periodic status [10000] */

  const char *log_path;      /* --log; NULL = no file sink */
  pc_format_kind log_format; /* --log-format */
  uint64_t log_max_bytes;    /* --log-max-bytes */
  unsigned log_keep;         /* --log-keep */

  const char *syslog_url;   /* --syslog; NULL = no syslog sink */
  const char *sd_id;        /* --sd-id */
  const char *app_name;     /* --app-name */
  unsigned syslog_facility; /* --syslog-facility */
  size_t syslog_max_bytes;  /* --syslog-max-bytes; 0 = RFC default */

  bool eventlog;                              /* --eventlog */
  const struct pc_eventlog_api *eventlog_api; /* tests: fake advapi32 calls; NULL = the system's */

  const char *host;   /* host of the sink's own events; NULL = this machine's name */
  const char *os;     /* os of the sink's own events; NULL = unknown */
  const char *source; /* source of events_lost records ("ebpf", "etw"); NULL = "portclash" */
  /* Live runs: losses and limits become records (events_lost, limit_hit) through every
   * sink, from the counts given to pc_sinks_tick and pc_sinks_close. */
  bool loss_records;
  const char *version; /* CEF Device Version; NULL = the build's version */

  size_t queue_bytes;    /* memory of each sink's queue [1048576]; records longer
                            than this are dropped */
  unsigned retry_min_ms; /* first reconnect / reopen delay [100] */
  unsigned retry_max_ms; /* delay doubles up to this [30000] */
  unsigned drain_ms;     /* at close, how long to try delivering what is queued [2000] */
} pc_sink_options;

/* Fills o with the defaults shown above (format text, console on, colour auto). */
void pc_sink_options_init(pc_sink_options *o);

/* Called (possibly from a writer thread) with a one-line, human-readable message such as
 * "syslog tcp://127.0.0.1:514: cannot connect: Connection refused (will retry)". err is
 * PC_OK for recovery messages. NULL diag = messages go to stderr. */
typedef void (*pc_sink_diag_fn)(void *ud, pc_err err, const char *message);

typedef struct pc_sink_stats {
  uint64_t submitted;    /* findings given to write() */
  uint64_t written;      /* delivered to the destination */
  uint64_t dropped;      /* lost: queue full, undeliverable, or still queued at close */
  uint64_t queued;       /* waiting now, including one held for retry */
  uint64_t failures;     /* failed delivery attempts */
  uint64_t reconnects;   /* successful (re)connects / (re)opens after a failure */
  uint64_t drop_reports; /* output_dropped events delivered */
} pc_sink_stats;
/* Invariant: submitted == written + dropped + queued; after close queued is 0. */

/* One destination. open allocates *state (closed with close, even when open failed
 * half-way it leaves nothing behind); write copies what it needs before returning (the
 * finding's strings are borrowed); flush waits up to timeout_ms until everything queued
 * was delivered (PC_ETIMEOUT otherwise); reopen lets go of the destination and takes it
 * again by its name (SIGHUP after logrotate), waiting up to timeout_ms for the result;
 * close delivers what it can within drain_ms, counts the rest as dropped, stores the final
 * statistics and frees the state. reopen may be NULL (nothing to reopen), and so may all
 * but name and open of a sink whose open always fails. */
typedef struct pc_sink_ops {
  const char *name; /* "console", "file", "syslog" */
  pc_err (*open)(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud);
  pc_err (*write)(void *state, const pc_finding *f);
  pc_err (*flush)(void *state, unsigned timeout_ms);
  void (*stats)(void *state, pc_sink_stats *out);
  void (*close)(void *state, pc_sink_stats *final); /* final (may be NULL): exact last stats */
  pc_err (*reopen)(void *state, unsigned timeout_ms);
} pc_sink_ops;

extern const pc_sink_ops pc_sink_console_ops;
extern const pc_sink_ops pc_sink_file_ops;
extern const pc_sink_ops pc_sink_syslog_ops;   /* syslog.c */
extern const pc_sink_ops pc_sink_eventlog_ops; /* eventlog-win.c; eventlog-none.c elsewhere */

/* ---- The set of sinks chosen on the command line. ---- */

typedef struct pc_sinks pc_sinks;

/* Opens the console sink (when opts->console), the file sink (opts->log_path), the
 * syslog sink (opts->syslog_url) and the Event Log sink (opts->eventlog; PC_ENOTSUP with a
 * diag message where there is no Event Log). A bad option (unknown URL scheme, SD-ID that is not an
 * SD-NAME, facility > 23) gives PC_EINVAL and a diag message; an unreachable collector or
 * missing directory is NOT an error (it is retried). *out is owned by the caller. */
pc_err pc_sinks_open(const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud, pc_sinks **out);

/* Writes f to every sink; never blocks on a network or file destination (the console
 * writes synchronously). Returns the first error: PC_EFULL means a queued sink dropped
 * the record, which is already counted and reported, so callers normally ignore it. */
pc_err pc_sinks_write(pc_sinks *s, const pc_finding *f);

/* Waits up to timeout_ms in total for the queued records of all sinks. */
pc_err pc_sinks_flush(pc_sinks *s, unsigned timeout_ms);

/* Reopens the destinations that have a name to reopen (the log file: SIGHUP after
 * logrotate moved it away), each at once on its writer thread, and says so on the status
 * stream: "portclash: logs reopened (SIGHUP): FILE". A file that cannot be opened (or is
 * not a regular file of ours) is said through diag and retried as any outage. Returns how
 * many were reopened; waits up to about a second per sink. */
size_t pc_sinks_reopen(pc_sinks *s);

/* Sum of all sinks' statistics. */
void pc_sinks_stats(pc_sinks *s, pc_sink_stats *total);

/* What the pipeline counted, for the status line, the summary and the loss records. Totals
 * since the start. */
typedef struct pc_run_counts {
  uint64_t events_seen;           /* records/events read from the source */
  uint64_t events_lost;           /* lost by the source (ETW buffers, eBPF ring, its queue) */
  uint64_t outcome_unknown;       /* binds that started but never got a final status (ETW) */
  uint64_t not_explained_at_stop; /* failures still queued at a stop without --drain */
  /* The source's own words on its losses (per-uid counts of the eBPF ring, ...), one line;
   * NULL or "" when none. Borrowed for the call. */
  const char *lost_detail;
  uint64_t limit_hits; /* rule regex matches stopped by a PCRE2 limit (counted as no match) */
} pc_run_counts;

/* Formats "portclash: 123 events, 4 failures, 0 events lost, 0 dropped" (failures = bind
 * failures written, counting aggregated repeats; dropped = records lost by all sinks),
 * then ", 2 outcome unknown" and ", 9 not explained at stop" when not 0, into buf with
 * snprintf semantics. c may be NULL (zeros). */
size_t pc_sinks_status_line(pc_sinks *s, const pc_run_counts *c, char *buf, size_t cap);

/* Prints the status line on the status stream when status_interval_ms have passed since
 * the last one (monotonic clock). Call it from the main loop as often as convenient.
 *
 * With loss_records, also writes to every sink, as findings (severity warning, count = the
 * growth since the last such record):
 *   events_lost  when c->events_lost grew: events the source lost before portclash could
 *                read them (its lost_detail in the explanation); source = opts.source;
 *   limit_hit    when c->limit_hits grew: rule matches stopped by a PCRE2 limit;
 * each at most once per status interval (10 s when the status line is off); pc_sinks_close
 * writes what grew since the last one before it closes the sinks. */
void pc_sinks_tick(pc_sinks *s, const pc_run_counts *c);

/* Prints a summary on the status stream: the status line, then one line per sink that
 * dropped or failed ("syslog: 12 dropped, 3 failed attempts, 1 reconnect"), with the
 * numbers as they are now. At exit use pc_sinks_close(s, c, true), which prints the same
 * after draining, so that the final drop counts are exact. */
void pc_sinks_summary(pc_sinks *s, const pc_run_counts *c);

/* Closes every sink (draining queues for up to drain_ms), prints the exit summary when
 * summary is true (with the final drop counts), and frees s. NULL-safe. */
void pc_sinks_close(pc_sinks *s, const pc_run_counts *c, bool summary);

#endif
