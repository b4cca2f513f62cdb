/* pc_pipeline.h - records in, bind attempts out: decode + correlate, with the counters
 * the status line and the summary report.
 *
 * Every source (ETL file, fixture, live ETW) pushes pc_records here in event-time order.
 * The attempt callback is where enrichment, rules and sinks hang on. */
#ifndef PC_PIPELINE_H
#define PC_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "correlator.h"
#include "pc_decode.h"
#include "pc_record.h"

typedef struct pc_pipeline pc_pipeline;

typedef struct pc_pipeline_options {
  bool report_success; /* pass successful binds on too (learned ports) */
  /* Optional: every decoded event, before correlation (the watch list uses the reservation
   * and listener events). The event is borrowed for the call. */
  void (*on_event)(const pc_event *ev, void *ud);
  void *event_ud;
} pc_pipeline_options;

/* opts may be NULL. on_attempt receives every finished attempt (borrowed). */
int pc_pipeline_new(const pc_pipeline_options *opts, pc_attempt_fn on_attempt, void *ud, pc_pipeline **out);

/* Decodes and correlates one record (borrowed for the call). Never fails: problems are
 * counted and reported by pc_pipeline_write_summary. */
void pc_pipeline_push(pc_pipeline *p, const pc_record *r);

/* Moves event time forward without a record (live sources call this from a timer). */
void pc_pipeline_advance(pc_pipeline *p, pc_time now);

/* End of input: emits every open attempt. */
void pc_pipeline_finish(pc_pipeline *p);

typedef struct pc_pipeline_stats {
  uint64_t records;
  pc_decoder_stats decoder;
  pc_correlator_stats correlator;
} pc_pipeline_stats;

void pc_pipeline_get_stats(const pc_pipeline *p, pc_pipeline_stats *out);

/* Writes a few lines: records, decoded, foreign, unknown/malformed (with the decoder's
 * per-event lines), attempts and failures, table evictions. */
void pc_pipeline_write_summary(const pc_pipeline *p, FILE *out);

pc_decoder *pc_pipeline_decoder(pc_pipeline *p);

void pc_pipeline_free(pc_pipeline *p);

#endif
