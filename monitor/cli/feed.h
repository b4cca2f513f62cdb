/* feed.h - the one loop that moves a source's items to the operator, for `analyze` (a file:
 * as fast as it reads) and `monitor` (live: until stopped, with the periodic work on a
 * wall-clock schedule that does not depend on the source being idle).
 *
 *   source --record--> pipeline (decode, correlate) --attempt--+--> run output (explain,
 *          --attempt-------------------------------------------+    aggregate, sinks)
 *                                                                   or, with --attempts,
 *                                                                   one raw line each
 * Private to the cli library. */
#ifndef PC_CLI_FEED_H
#define PC_CLI_FEED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_pipeline.h"
#include "pc_source.h"
#include "run.h"

typedef struct pc_feed_options {
  bool live; /* a live source: wait for items, do the periodic work, stop on request */
  /* Live: stop after this many milliseconds of monotonic time; 0 = until stopped. */
  uint64_t duration_ms;
  /* Live: the status line on stderr every status_ms; 0 = never. Offline: the sinks' status
   * line is offered every 65536 records (they print it at most every status interval). */
  unsigned status_ms;
  /* --attempts: print every attempt as one raw line on stdout instead of explaining it
   * (out is then NULL); successes too with print_successes. */
  bool print_attempts;
  bool print_successes;
  /* With print_attempts: appends what a source knows beyond the attempt (eBPF: exe, caps,
   * ...) to the line; may be NULL. extra is pc_source_item.extra. */
  void (*format_extra)(const void *extra, char *buf, size_t cap);
  /* Called with every record before it is decoded (Windows before 8.1 checks each new kind
   * of event against the system's layout); may be NULL. */
  void (*on_record)(void *ud, const pc_record *r);
  void *ud;
  /* Set from a signal handler (SIGINT/SIGTERM/SIGQUIT); the loop then stops the source and hands
   * on what it still holds. May be NULL. */
  volatile int *stop_flag;
  /* Set from a signal handler (SIGHUP); the loop then clears it and reopens the log files
   * (pc_finding_output_reopen). May be NULL. */
  volatile int *reopen_flag;
  /* Live, at a stop (stop_flag, or the source's own stop handler: Ctrl+C on Windows): false
   * (the default) stops explaining at once, so the monitor exits within about a second,
   * however much is queued; what the source and the pipeline still hold is counted (repeats
   * of a failure explained in the window into its finding, the rest as "not explained at
   * stop"). true (--drain) explains all of it first, as before (can take long on a busy
   * host). The end of --duration always drains: it is planned, not an interruption. */
  bool drain;
  /* How long the pipeline's reorder stage holds events for earlier ones of other processors
   * (pc_pipeline_options.reorder_watermark): at least the ETW session's FlushTimer plus a
   * margin. 0 = the pipeline's default (1.5 s). */
  pc_time reorder_watermark;
} pc_feed_options;

/* What the loop saw, for the summary. */
typedef struct pc_feed_result {
  uint64_t items;
  pc_source_stats source; /* at the end */
  bool interrupted;       /* stopped by stop_flag (offline: the rest of the file was not read) */
  int source_error;       /* PC_OK, or the source's error (its message was printed) */
} pc_feed_result;

typedef struct pc_feed pc_feed;

/* Builds the pipeline when the source hands out records (pipeline may be NULL for a source
 * of complete attempts) and connects it to out (may be NULL with print_attempts). The
 * pipeline's options (watch-list events, successes) are set from out and o. Returns PC_OK or
 * PC_ENOMEM. */
int pc_feed_new(const pc_feed_options *o, pc_finding_output *out, pc_feed **feed);

/* The pipeline (for a source that needs the decoder before it opens: ETW's event filter and
 * the OS's layouts). */
pc_pipeline *pc_feed_pipeline(pc_feed *f);

/* Runs src to its end (offline) or until stopped (live), then finishes the pipeline and
 * flushes the aggregation. Prints the source's error, if any, as "portclash: MESSAGE". */
void pc_feed_run(pc_feed *f, pc_source *src, pc_feed_result *res);

/* The newest event time seen (0 before the first). */
pc_time pc_feed_last_time(const pc_feed *f);

/* The counts the sinks' status line and summary show: events, losses, binds of unknown
 * outcome, failures not explained at stop. */
void pc_feed_counts(pc_feed *f, const pc_feed_result *res, pc_run_counts *counts);

/* Writes the pipeline's summary lines (when there is a pipeline). */
void pc_feed_write_summary(pc_feed *f, FILE *out);

void pc_feed_free(pc_feed *f);

#endif
