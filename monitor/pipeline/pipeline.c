#include <stdlib.h>

#include "pc_error.h"
#include "pc_pipeline.h"

struct pc_pipeline {
  void (*on_event)(const pc_event *ev, void *ud);
  void *event_ud;
  pc_decoder *decoder;
  pc_correlator *correlator;
  uint64_t records;
};

int pc_pipeline_new(const pc_pipeline_options *opts, pc_attempt_fn on_attempt, void *ud, pc_pipeline **out) {
  *out = NULL;
  pc_pipeline *p = calloc(1, sizeof *p);
  if (!p) return PC_ENOMEM;
  pc_correlator_config cfg;
  pc_correlator_config_default(&cfg);
  if (opts) {
    cfg.report_success = opts->report_success;
    p->on_event = opts->on_event;
    p->event_ud = opts->event_ud;
  }
  int rc = pc_decoder_new(NULL, &p->decoder);
  if (rc == PC_OK) rc = pc_correlator_new(&cfg, on_attempt, ud, &p->correlator);
  if (rc != PC_OK) {
    pc_pipeline_free(p);
    return rc;
  }
  *out = p;
  return PC_OK;
}

void pc_pipeline_push(pc_pipeline *p, const pc_record *r) {
  pc_event ev;
  p->records++;
  if (pc_decoder_decode(p->decoder, r, &ev) == PC_OK) {
    if (p->on_event) p->on_event(&ev, p->event_ud);
    pc_correlator_feed(p->correlator, &ev);
  } else {
    pc_correlator_advance(p->correlator, r->timestamp);
  }
}

void pc_pipeline_advance(pc_pipeline *p, pc_time now) {
  pc_correlator_advance(p->correlator, now);
}

void pc_pipeline_finish(pc_pipeline *p) {
  pc_correlator_flush(p->correlator);
}

void pc_pipeline_get_stats(const pc_pipeline *p, pc_pipeline_stats *out) {
  out->records = p->records;
  pc_decoder_get_stats(p->decoder, &out->decoder);
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
  fprintf(out, "bind failures: %llu (evidence merged across providers: %llu)\n",
          (unsigned long long)s.correlator.failures_emitted, (unsigned long long)s.correlator.merged);
  if (s.correlator.endpoints_evicted || s.correlator.processes_evicted || s.correlator.early_emits)
    fprintf(out, "tables full: %llu sockets and %llu processes forgotten, %llu attempts emitted early\n",
            (unsigned long long)s.correlator.endpoints_evicted,
            (unsigned long long)s.correlator.processes_evicted, (unsigned long long)s.correlator.early_emits);
}

pc_decoder *pc_pipeline_decoder(pc_pipeline *p) {
  return p->decoder;
}

void pc_pipeline_free(pc_pipeline *p) {
  if (!p) return;
  pc_correlator_free(p->correlator);
  pc_decoder_free(p->decoder);
  free(p);
}
