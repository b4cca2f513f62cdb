#include <stdlib.h>

#include "pc_error.h"
#include "pc_pipeline.h"

struct pc_pipeline {
  void (*on_event)(const pc_event *ev, void *ud);
  void *event_ud;
  pc_decoder *decoder;
  pc_reorder *reorder;
  pc_correlator *correlator;
  uint64_t records;
  /* Event time for pc_pipeline_tick: the latest record time, and the monotonic time at the
   * tick that first saw it. */
  pc_time last_ts;
  pc_time anchor_ts, anchor_mono;
  bool anchored;
  uint64_t records_at_tick; /* records when pc_pipeline_tick last ran */
};

/* Released by the reorder stage, in event-time order. */
static void on_ordered(const pc_event *ev, void *ud) {
  pc_pipeline *p = ud;
  if (p->on_event) p->on_event(ev, p->event_ud);
  pc_correlator_feed(p->correlator, ev);
}

int pc_pipeline_new(const pc_pipeline_options *opts, pc_attempt_fn on_attempt, void *ud, pc_pipeline **out) {
  *out = NULL;
  pc_pipeline *p = calloc(1, sizeof *p);
  if (!p) return PC_ENOMEM;
  p->last_ts = PC_TIME_UNKNOWN;
  pc_correlator_config cfg;
  pc_correlator_config_default(&cfg);
  pc_reorder_config rcfg;
  pc_reorder_config_default(&rcfg);
  if (opts) {
    cfg.report_success = opts->report_success;
    p->on_event = opts->on_event;
    p->event_ud = opts->event_ud;
    if (opts->reorder_watermark > 0) rcfg.watermark = opts->reorder_watermark;
    if (opts->reorder_watermark < 0) rcfg.watermark = 0;
  }
  int rc = pc_decoder_new(NULL, &p->decoder);
  if (rc == PC_OK) rc = pc_correlator_new(&cfg, on_attempt, ud, &p->correlator);
  if (rc == PC_OK) rc = pc_reorder_new(&rcfg, on_ordered, p, &p->reorder);
  if (rc != PC_OK) {
    pc_pipeline_free(p);
    return rc;
  }
  *out = p;
  return PC_OK;
}

/* The correlator may run up to the time before which the reorder stage holds nothing. */
static void advance_correlator(pc_pipeline *p) {
  pc_time t = pc_reorder_released_until(p->reorder);
  if (t != PC_TIME_UNKNOWN) pc_correlator_advance(p->correlator, t);
}

void pc_pipeline_push(pc_pipeline *p, const pc_record *r) {
  p->records++;
  if (p->last_ts == PC_TIME_UNKNOWN || r->timestamp > p->last_ts) p->last_ts = r->timestamp;
  /* Decoded in place, in the reorder stage's slot: one copy of the event less. */
  pc_event spare;
  pc_event *ev = pc_reorder_reserve(p->reorder, r->processor);
  if (pc_decoder_decode(p->decoder, r, ev ? ev : &spare) == PC_OK) {
    if (ev)
      pc_reorder_commit(p->reorder);
    else
      pc_reorder_push(p->reorder, &spare, r->processor);
  } else {
    pc_reorder_advance(p->reorder, r->timestamp);
  }
  advance_correlator(p);
}

void pc_pipeline_advance(pc_pipeline *p, pc_time now) {
  pc_reorder_advance(p->reorder, now);
  advance_correlator(p);
}

pc_time pc_pipeline_tick(pc_pipeline *p, pc_time monotonic_now) {
  if (p->last_ts == PC_TIME_UNKNOWN) return PC_TIME_UNKNOWN;
  bool busy = p->records != p->records_at_tick;
  p->records_at_tick = p->records;
  if (!p->anchored || p->last_ts > p->anchor_ts) {
    /* A newer record arrived since the last tick: event time restarts from it. */
    p->anchored = true;
    p->anchor_ts = p->last_ts;
    p->anchor_mono = monotonic_now;
  } else if (!busy && monotonic_now > p->anchor_mono) {
    /* Idle since the last tick: event time moves on by monotonic time. While records
     * arrive they drive it, so a consumer that fell behind (records waiting in the queue,
     * older ones among them) never releases events before the records still queued. */
    pc_reorder_advance(p->reorder, p->anchor_ts + (monotonic_now - p->anchor_mono));
  }
  advance_correlator(p);
  return pc_reorder_released_until(p->reorder);
}

void pc_pipeline_finish(pc_pipeline *p) {
  pc_reorder_flush(p->reorder);
  pc_correlator_flush(p->correlator);
}

void pc_pipeline_get_stats(const pc_pipeline *p, pc_pipeline_stats *out) {
  out->records = p->records;
  pc_decoder_get_stats(p->decoder, &out->decoder);
  pc_reorder_get_stats(p->reorder, &out->reorder);
  pc_correlator_get_stats(p->correlator, &out->correlator);
}

void pc_pipeline_write_summary(const pc_pipeline *p, FILE *out) {
  pc_pipeline_stats s;
  pc_pipeline_get_stats(p, &s);
  fprintf(out,
          "records: %llu (decoded %llu, other providers %llu, unknown event versions %llu, malformed %llu)\n",
          (unsigned long long)s.records, (unsigned long long)s.decoder.decoded,
          (unsigned long long)s.decoder.foreign, (unsigned long long)s.decoder.unknown,
          (unsigned long long)s.decoder.malformed);
  pc_decoder_write_summary(p->decoder, out);
  fprintf(out, "bind failures: %llu (evidence merged: %llu, outcome unknown: %llu)\n",
          (unsigned long long)s.correlator.failures_emitted, (unsigned long long)s.correlator.merged,
          (unsigned long long)s.correlator.outcome_unknown);
  if (s.reorder.forced || s.reorder.late)
    fprintf(out,
            "reorder: %llu events released before their watermark (buffer full), %llu arrived too late\n",
            (unsigned long long)s.reorder.forced, (unsigned long long)s.reorder.late);
  if (s.correlator.endpoints_evicted || s.correlator.processes_evicted || s.correlator.early_emits ||
      s.correlator.holders_evicted)
    fprintf(
        out,
        "tables full: %llu sockets, %llu processes and %llu holders forgotten, %llu attempts emitted early\n",
        (unsigned long long)s.correlator.endpoints_evicted,
        (unsigned long long)s.correlator.processes_evicted, (unsigned long long)s.correlator.holders_evicted,
        (unsigned long long)s.correlator.early_emits);
}

pc_decoder *pc_pipeline_decoder(pc_pipeline *p) {
  return p->decoder;
}

void pc_pipeline_free(pc_pipeline *p) {
  if (!p) return;
  /* Held events are released first so that nothing is lost silently. */
  if (p->reorder && p->correlator) pc_reorder_flush(p->reorder);
  pc_correlator_free(p->correlator);
  pc_reorder_free(p->reorder);
  pc_decoder_free(p->decoder);
  free(p);
}
