/* finding_output.c - attempt -> explainer -> aggregator -> sinks, one path for every command
 * that produces findings (pc_finding_output.h). */
#include <stdlib.h>

#include "pc_aggregate.h"
#include "pc_explainer.h"
#include "pc_finding_output.h"

struct pc_finding_output {
  pc_ruleset *rules;
  pc_explainer *explainer;
  pc_aggregator *aggregator; /* NULL = every failure written as it comes (--window 0) */
  pc_sinks *sinks;
};

static void to_sinks(void *ud, const pc_finding *f) {
  pc_finding_output *fo = ud;
  pc_sinks_write(fo->sinks, f);
}

static void on_finding(void *ud, const pc_finding *f) {
  pc_finding_output *fo = ud;
  /* The window runs on the finding's own (event) time, so a replay aggregates exactly as
   * the live run did. */
  if (fo->aggregator)
    pc_aggregator_add(fo->aggregator, f, f->ts);
  else
    pc_sinks_write(fo->sinks, f);
}

pc_err pc_finding_output_open(const pc_run_options *run, const pc_finding_output_options *o,
                              pc_finding_output **out) {
  *out = NULL;
  pc_finding_output *fo = calloc(1, sizeof *fo);
  if (!fo) return PC_ENOMEM;
  /* Rules first: a rule error is the user's to fix and should be said before anything opens
   * a file or a connection. */
  pc_err rc = (pc_err)pc_run_load_rules(run->rules_dir, &fo->rules);
  if (rc != PC_OK) goto fail;
  pc_sink_options so = run->sinks;
  so.os = o->os;
  rc = pc_sinks_open(&so, NULL, NULL, &fo->sinks);
  if (rc != PC_OK) {
    rc = rc == PC_ENOMEM ? PC_ENOMEM : PC_EINVAL;
    goto fail;
  }
  if (run->window > 0) {
    pc_aggregator_options ao = {run->window, 0, o->live};
    rc = pc_aggregator_create(&ao, to_sinks, fo, &fo->aggregator);
    if (rc != PC_OK) goto fail;
  }
  pc_explainer_options xo = {fo->rules, o->hoststate, run->sinks.host, o->os, o->os_build, o->source};
  rc = (pc_err)pc_explainer_new(&xo, on_finding, fo, &fo->explainer);
  if (rc != PC_OK) goto fail;
  *out = fo;
  return PC_OK;
fail:
  pc_finding_output_close(fo, NULL, false);
  return rc;
}

void pc_finding_output_attempt(pc_finding_output *fo, const pc_bind_attempt *a) {
  pc_explainer_attempt(fo->explainer, a);
}

void pc_finding_output_advance(pc_finding_output *fo, pc_time now) {
  if (fo->aggregator) pc_aggregator_advance(fo->aggregator, now);
}

void pc_finding_output_flush(pc_finding_output *fo) {
  if (fo->aggregator) pc_aggregator_flush(fo->aggregator);
}

void pc_finding_output_tick(pc_finding_output *fo, const pc_run_counts *counts) {
  pc_sinks_tick(fo->sinks, counts);
}

pc_sinks *pc_finding_output_sinks(pc_finding_output *fo) {
  return fo->sinks;
}

void pc_finding_output_close(pc_finding_output *fo, const pc_run_counts *counts, bool summary) {
  if (!fo) return;
  /* Nothing the aggregator holds is lost: it goes out before the sinks close. */
  if (fo->sinks) pc_finding_output_flush(fo);
  pc_explainer_free(fo->explainer);
  pc_aggregator_free(fo->aggregator);
  pc_sinks_close(fo->sinks, counts, summary);
  pc_ruleset_free(fo->rules);
  free(fo);
}
