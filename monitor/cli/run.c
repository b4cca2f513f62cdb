/* run.c - attempt -> aggregator (counting) -> explainer -> aggregator -> sinks, one path for
 * every command that produces findings (run.h). */
#include <stdio.h>
#include <stdlib.h>

#include "aggregate.h"
#include "pc_explain.h"
#include "run.h"
#include "pc_watch.h"

#define POLL_EVERY (30 * PC_TIME_TICKS_PER_SEC)

struct pc_finding_output {
  pc_watch_list *watch_list;
  pc_watcher *watcher; /* NULL when the watch list is off */
  pc_hoststate *hoststate;
  pc_time last_poll;
  pc_time poll_every;
  pc_ruleset *rules;
  pc_explainer *explainer;
  pc_aggregator *aggregator; /* NULL = every failure written as it comes (--window 0) */
  pc_sinks *sinks;
  /* The failure being explained now, so that its finding starts the aggregation entry of
   * its key (NULL: a finding of the watch list). */
  const pc_bind_attempt *explaining;
  bool stopped; /* pc_finding_output_stop: nothing new is explained */
  pc_finding_output_stats st;
};

static void to_sinks(void *ud, const pc_finding *f) {
  pc_finding_output *fo = ud;
  pc_sinks_write(fo->sinks, f);
}

static void on_finding(void *ud, const pc_finding *f) {
  pc_finding_output *fo = ud;
  /* The window runs on the finding's own (event) time, so a replay aggregates exactly as
   * the live run did. */
  if (fo->aggregator && fo->explaining)
    pc_aggregator_add_explained(fo->aggregator, fo->explaining, f, f->ts);
  else if (fo->aggregator)
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
  so.source = o->source;
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
  fo->hoststate = o->hoststate;
  fo->last_poll = PC_TIME_UNKNOWN;
  fo->poll_every = run->watch_poll > 0 ? run->watch_poll : POLL_EVERY;
  if (o->watch) {
    rc = (pc_err)pc_watch_new(&fo->watch_list);
    if (rc != PC_OK) goto fail;
    char err[256];
    for (size_t i = 0; i < run->watch_count && rc == PC_OK; i++)
      rc = (pc_err)pc_watch_add(fo->watch_list, run->watch[i], run->config_path ? run->config_path : "config",
                                err, sizeof err);
    for (size_t i = 0; i < run->watch_arg_count && rc == PC_OK; i++)
      rc = (pc_err)pc_watch_add(fo->watch_list, run->watch_args[i], "--watch", err, sizeof err);
    if (rc != PC_OK) {
      fprintf(stderr, "portclash: %s\n", err);
      rc = PC_EINVAL;
      goto fail;
    }
    pc_watcher_options wo;
    pc_watcher_options_init(&wo);
    wo.rules = fo->rules;
    wo.watch = fo->watch_list;
    wo.hoststate = o->hoststate;
    wo.learn = !run->no_learn;
    wo.persist = o->persist;
    wo.host = run->sinks.host;
    wo.os = o->os;
    wo.source = o->source;
    rc = (pc_err)pc_watcher_new(&wo, on_finding, fo, &fo->watcher);
    if (rc != PC_OK) goto fail;
  }
  *out = fo;
  return PC_OK;
fail:
  pc_finding_output_close(fo, NULL, false);
  return rc;
}

void pc_finding_output_attempt(pc_finding_output *fo, const pc_bind_attempt *a) {
  if (fo->watcher && !fo->stopped) pc_watcher_on_attempt(fo->watcher, a);
  if (!a->failed) return;
  uint64_t n = a->repeats > 1 ? a->repeats : 1;
  /* Identical failures are counted before they are explained: a repeat of a failure the
   * window holds costs a hash lookup, not a host-state lookup and a rule run. The window
   * runs on the failure's own (event) time, as on_finding's. */
  if (fo->aggregator && pc_aggregator_count(fo->aggregator, a, a->ts_first)) {
    fo->st.counted += n;
    return;
  }
  if (fo->stopped) {
    fo->st.not_explained += n;
    return;
  }
  fo->st.explained += n;
  fo->explaining = a;
  pc_explainer_attempt(fo->explainer, a);
  fo->explaining = NULL;
}

void pc_finding_output_stop(pc_finding_output *fo) {
  fo->stopped = true;
}

void pc_finding_output_get_stats(const pc_finding_output *fo, pc_finding_output_stats *out) {
  *out = fo->st;
}

bool pc_finding_output_watching(const pc_finding_output *fo) {
  return fo->watcher != NULL;
}

void pc_finding_output_event(pc_finding_output *fo, const pc_event *ev) {
  if (fo->watcher) pc_watcher_on_event(fo->watcher, ev);
}

void pc_finding_output_poll(pc_finding_output *fo, pc_time now, bool force) {
  if (!fo->watcher || !fo->hoststate) return;
  /* Also when a background host state finished a snapshot: a range reserved since the last
   * poll is reported as soon as it is known, not one poll interval later. */
  bool due = force || fo->last_poll == PC_TIME_UNKNOWN || pc_watcher_ranges_stale(fo->watcher) ||
             now - fo->last_poll >= fo->poll_every || pc_hoststate_update_pending(fo->hoststate);
  if (!due) return;
  fo->last_poll = now;
  pc_watcher_poll(fo->watcher, fo->hoststate, now);
}

void pc_finding_output_advance(pc_finding_output *fo, pc_time now) {
  if (fo->aggregator) pc_aggregator_advance(fo->aggregator, now);
}

void pc_finding_output_flush(pc_finding_output *fo) {
  if (fo->aggregator) pc_aggregator_flush(fo->aggregator);
}

/* The counts with the explainer's regex limit hits, for the limit_hit records. */
static const pc_run_counts *with_limits(pc_finding_output *fo, const pc_run_counts *counts,
                                        pc_run_counts *c) {
  if (!counts || !fo->explainer) return counts;
  pc_explainer_stats xs;
  pc_explainer_get_stats(fo->explainer, &xs);
  *c = *counts;
  c->limit_hits = xs.limit_errors;
  return c;
}

void pc_finding_output_tick(pc_finding_output *fo, const pc_run_counts *counts) {
  pc_run_counts c;
  pc_sinks_tick(fo->sinks, with_limits(fo, counts, &c));
}

void pc_finding_output_reopen(pc_finding_output *fo) {
  if (fo)
    pc_sinks_reopen(fo->sinks);
  else
    fputs("portclash: status: SIGHUP: no log file to reopen\n", stderr);
}

pc_sinks *pc_finding_output_sinks(pc_finding_output *fo) {
  return fo->sinks;
}

void pc_finding_output_close(pc_finding_output *fo, const pc_run_counts *counts, bool summary) {
  if (!fo) return;
  /* Nothing the aggregator holds is lost: it goes out before the sinks close. */
  /* The watcher saves its state on the way out; what it still reports goes out too. */
  pc_watcher_free(fo->watcher);
  pc_watch_free(fo->watch_list);
  if (fo->sinks) pc_finding_output_flush(fo);
  pc_run_counts c;
  counts = with_limits(fo, counts, &c);
  pc_explainer_free(fo->explainer);
  pc_aggregator_free(fo->aggregator);
  pc_sinks_close(fo->sinks, counts, summary);
  pc_ruleset_free(fo->rules);
  free(fo);
}

int pc_run_load_rules(const char *rules_dir, pc_ruleset **out) {
  *out = NULL;
  pc_rules_compiler *c;
  int rc = pc_rules_compiler_new(&c);
  if (rc != PC_OK) return rc;
  pc_rules_compiler_add_defaults(c);
  if (rules_dir) pc_rules_compiler_add_dir(c, rules_dir);
  rc = pc_rules_compiler_build(c, out);
  if (rc == PC_ERULE) {
    for (size_t i = 0; i < pc_rules_compiler_error_count(c); i++)
      fprintf(stderr, "%s\n", pc_rules_compiler_error(c, i));
    fprintf(stderr, "portclash: the rules have %zu error(s); check them with 'portclash rules check %s'\n",
            pc_rules_compiler_error_count(c), rules_dir ? rules_dir : "");
  }
  pc_rules_compiler_free(c);
  return rc;
}
