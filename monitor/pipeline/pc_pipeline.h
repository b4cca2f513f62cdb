/* pc_pipeline.h - records in, bind attempts out: decode, reorder, correlate, with the
 * counters the status line and the summary report.
 *
 * Every source (ETL file, fixture, live ETW) pushes pc_records here as they arrive; the
 * reorder stage (reorder.h) puts one processor's buffers back in event-time order with
 * the others'. The attempt callback is where enrichment, rules and sinks hang on. */
#ifndef PC_PIPELINE_H
#define PC_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "correlator.h"
#include "pc_decode.h"
#include "pc_record.h"
#include "reorder.h"

typedef struct pc_pipeline pc_pipeline;

typedef struct pc_pipeline_options {
  bool report_success; /* pass successful binds on too (learned ports) */
  /* Optional: every decoded event, before correlation (the watch list uses the reservation
   * and listener events). The event is borrowed for the call. */
  void (*on_event)(const pc_event *ev, void *ud);
  void *event_ud;
  /* How long an event waits for earlier events of other processors (reorder.h). 0 = the
   * default, 1.5 s: portclash's FlushTimer of 1 s plus 500 ms. A live session with a longer
   * FlushTimer must pass at least that plus a margin. Negative = no reordering. */
  pc_time reorder_watermark;
} pc_pipeline_options;

/* opts may be NULL. on_attempt receives every finished attempt (borrowed). */
int pc_pipeline_new(const pc_pipeline_options *opts, pc_attempt_fn on_attempt, void *ud, pc_pipeline **out);

/* Decodes and correlates one record (borrowed for the call). Never fails: problems are
 * counted and reported by pc_pipeline_write_summary. */
void pc_pipeline_push(pc_pipeline *p, const pc_record *r);

/* Moves event time forward to `now` (an event time) without a record. */
void pc_pipeline_advance(pc_pipeline *p, pc_time now);

/* The live loop's periodic call. Event time advances from the last record's time plus the
 * monotonic time elapsed since the tick that first saw it (monotonic_now: any monotonic
 * clock in 100 ns units, e.g. GetTickCount64() * 10000), never from the wall clock, so a
 * clock step does not delay or hurry findings; it only moves on when no record arrived since
 * the previous tick (records drive it otherwise). Call it after each record (it then only
 * notes when the newest one arrived) and when idle. Releases what the reorder watermark allows
 * and emits the attempts whose hold has passed: a lone failure on a quiet host is out
 * within watermark + hold + the tick interval. Returns the event time up to which
 * everything has been handed on (for the aggregation windows after the pipeline), or
 * PC_TIME_UNKNOWN before the first record. */
pc_time pc_pipeline_tick(pc_pipeline *p, pc_time monotonic_now);

/* End of input: emits every open attempt. */
void pc_pipeline_finish(pc_pipeline *p);

typedef struct pc_pipeline_stats {
  uint64_t records;
  pc_decoder_stats decoder;
  pc_reorder_stats reorder;
  pc_correlator_stats correlator; /* correlator.outcome_unknown: binds with no final status */
} pc_pipeline_stats;

void pc_pipeline_get_stats(const pc_pipeline *p, pc_pipeline_stats *out);

/* Writes a few lines: records, decoded, foreign, unknown/malformed (with the decoder's
 * per-event lines), failures and binds of unknown outcome, reorder and table losses. */
void pc_pipeline_write_summary(const pc_pipeline *p, FILE *out);

pc_decoder *pc_pipeline_decoder(pc_pipeline *p);

void pc_pipeline_free(pc_pipeline *p);

#endif
