/* run.h - the one path from a bind attempt to the operator, shared by every
 * producer of findings (analyze, the Linux monitor, the Windows monitor):
 *
 *   pc_bind_attempt -> aggregator (count repeats) -> explainer (host state + rules, once per
 *                      failure key and window) -> aggregator (--window) -> sinks
 *
 * It is built from the shared options (pc_run_options, options.h: rows of the one option
 * table) so that every command accepts the same --format/--log/--syslog/--rules/--window/...
 * with the same meaning.
 *
 * Not thread-safe: one finding output belongs to one pipeline thread (the explainer owns a
 * per-thread rule scratch, the aggregator and the sinks' write side are single-threaded). */
#ifndef PC_FINDING_OUTPUT_H
#define PC_FINDING_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include "pc_attempt.h"
#include "pc_event.h"
#include "pc_hoststate.h"
#include "options.h"
#include "pc_sinks.h"

typedef struct pc_finding_output_options {
  pc_hoststate *hoststate; /* borrowed, may be NULL (no enrichment); must outlive the output */
  const char *os;          /* "windows", "linux": the findings' and the sinks' own events' os */
  uint32_t os_build;       /* Windows build, 0 unknown */
  const char *source;      /* "etl", "fixture", "etw", "ebpf" */
  /* Live triage: with a window, the first occurrence of a failure is written at once and the
   * repeats follow as one finding at window end (pc_aggregator_options.emit_first). Offline
   * analysis holds each failure until its window ends and writes exactly one finding. */
  bool live;
  /* The watch list (port_at_risk warnings): watched ports from --watch / the config file,
   * and learned ports unless --no-learn. persist keeps learned ports and range snapshots in
   * the state directory (live runs); offline analysis must not change the local state. */
  bool watch;
  bool persist;
} pc_finding_output_options;

typedef struct pc_finding_output pc_finding_output;

/* Loads the rules (pc_run_load_rules(run->rules_dir), compile errors printed on stderr), opens
 * the sinks of run->sinks (with os from o) and, when run->window > 0, the aggregator. run is
 * read during the call only; its strings (log path, URL, host, ...) must outlive the output.
 * Returns PC_OK; PC_ERULE (the rules have errors: exit 2), PC_EINVAL (a bad sink option, said
 * on stderr: exit 2), PC_ENOMEM. On failure *out is NULL and nothing is left open. */
pc_err pc_finding_output_open(const pc_run_options *run, const pc_finding_output_options *o,
                              pc_finding_output **out);

/* A failed attempt (successful ones only feed the watch list): with a window, a repeat of a
 * failure the window holds (same process, address, port, proto, error: aggregate.h) is only
 * counted into that failure's finding; any other is explained (host state, rules) and its
 * finding written or held by the aggregator. a is borrowed for the call. */
void pc_finding_output_attempt(pc_finding_output *fo, const pc_bind_attempt *a);

/* Stops explaining (a stop without --drain): from now on a failure is still counted into the
 * finding of its key when the window holds one, and is otherwise counted as not explained;
 * the watch list takes nothing more. What the aggregator holds is still written. */
void pc_finding_output_stop(pc_finding_output *fo);

/* Failures (each attempt counts max(1, repeats)) by what became of them. */
typedef struct pc_finding_output_stats {
  uint64_t explained;     /* explained (each is the first of its key in a window, or --window 0) */
  uint64_t counted;       /* counted into the finding of an identical failure, not explained again */
  uint64_t not_explained; /* after pc_finding_output_stop: neither explained nor counted in a finding */
} pc_finding_output_stats;
void pc_finding_output_get_stats(const pc_finding_output *fo, pc_finding_output_stats *out);

/* True when the watch list is on: the caller then feeds decoded events and successful
 * attempts too (pc_pipeline_options.on_event / report_success). */
bool pc_finding_output_watching(const pc_finding_output *fo);

/* A decoded event (reservations, listeners) for the watch list; borrowed for the call. */
void pc_finding_output_event(pc_finding_output *fo, const pc_event *ev);

/* Re-reads the ranges and the owners of watched ports when due: at the first call, when a
 * reservation event made the ranges stale, and otherwise every 30 s of `now`; force polls now.
 * Warnings go out as port_at_risk findings. */
void pc_finding_output_poll(pc_finding_output *fo, pc_time now, bool force);

/* Writes the aggregated findings whose window has ended at event time now (call it when the
 * source is idle, with the newest event time known or, live, the wall clock). */
void pc_finding_output_advance(pc_finding_output *fo, pc_time now);

/* Writes everything the aggregator still holds (at the end of the input). Idempotent. */
void pc_finding_output_flush(pc_finding_output *fo);

/* The periodic status line of the sinks (pc_sinks_tick): call as often as convenient. */
void pc_finding_output_tick(pc_finding_output *fo, const pc_run_counts *counts);

/* SIGHUP: reopens the log files (pc_sinks_reopen) and says so on the status stream. fo may
 * be NULL (no sinks: says that there is nothing to reopen). */
void pc_finding_output_reopen(pc_finding_output *fo);

/* The sinks, for statistics (valid until close). */
pc_sinks *pc_finding_output_sinks(pc_finding_output *fo);

/* Flushes the aggregator, closes the sinks (draining their queues; the exit summary on the
 * status stream when summary is true, with counts, which may be NULL), frees the rules and
 * everything else. The host state is the caller's. NULL-safe. */
void pc_finding_output_close(pc_finding_output *fo, const pc_run_counts *counts, bool summary);

/* Builds the rule set: the default catalog plus rules_dir (may be NULL). Prints every
 * compile error (file:line:col) to stderr. Returns PC_OK, PC_ERULE or PC_ENOMEM. */
int pc_run_load_rules(const char *rules_dir, pc_ruleset **out);

#endif
