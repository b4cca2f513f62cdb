/* aggregate.h - collapse identical findings within a time window into one, with a
 * count and first/last times, so a service that retries bind() 1000 times a second gives
 * one finding, not a flood.
 *
 * Bind failures are aggregated BEFORE they are explained (pc_aggregator_count,
 * pc_aggregator_add_explained): identical failures (the same failing process - pid and
 * start key -, address, port, proto, error, stage, and the holder the event stream showed)
 * are counted into the entry of their key, and only the first of a key in a window is
 * explained (host state looked up, rules run); the finding that closes the window is the
 * cached one with the count. Findings that come explained already (port_at_risk warnings)
 * go through pc_aggregator_add, where identical means the same event, pid, address, port,
 * proto, rule id and error. Both kinds share one table, one window and one cap. The
 * window starts at the first occurrence and is measured in EVENT time: the `now` passed
 * in (normally the finding's own ts), never the wall clock, so replaying a capture gives
 * the same output as watching it live. When `now` reaches first + window the entry is
 * emitted (count = occurrences, ts = first, ts_last = last) and forgotten; the next
 * occurrence starts a new window. The table is bounded: when it is full the oldest entry
 * is emitted early (an "eviction", counted) to make room, so nothing is ever lost.
 *
 * Not thread-safe: one aggregator belongs to one pipeline thread. The emit callback is
 * called from inside add/advance/flush with a finding that is valid only for that call. */
#ifndef PC_AGGREGATE_H
#define PC_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "pc_attempt.h"
#include "pc_error.h"
#include "pc_finding.h"

#define PC_AGG_DEFAULT_WINDOW (10 * PC_TIME_TICKS_PER_SEC)
#define PC_AGG_DEFAULT_MAX_ENTRIES 4096u

typedef struct pc_aggregator pc_aggregator;
typedef void (*pc_agg_emit_fn)(void *ud, const pc_finding *f);

typedef struct pc_aggregator_options {
  pc_time window;     /* 100-ns ticks; 0 = PC_AGG_DEFAULT_WINDOW; < 0 = pass through */
  size_t max_entries; /* 0 = PC_AGG_DEFAULT_MAX_ENTRIES */
  /* When true the first occurrence is emitted at once (count 1) and, if repeats follow
   * within the window, one more finding with count = repeats at window end. Use it for
   * live triage, where a finding should show immediately; the default (false) holds the
   * first occurrence until the window ends and emits exactly one finding. */
  bool emit_first;
} pc_aggregator_options;

typedef struct pc_agg_stats {
  uint64_t added;     /* findings passed to add and add_explained */
  uint64_t counted;   /* failures counted into an explained entry by pc_aggregator_count
                         (each attempt adds max(1, repeats)), with no explaining */
  uint64_t emitted;   /* findings emitted */
  uint64_t evictions; /* entries emitted early because the table was full */
  uint64_t entries;   /* entries held now */
} pc_agg_stats;

/* Creates an aggregator (o may be NULL for the defaults). *out is owned by the caller
 * and freed with pc_aggregator_free. PC_ENOMEM. */
pc_err pc_aggregator_create(const pc_aggregator_options *o, pc_agg_emit_fn emit, void *ud,
                            pc_aggregator **out);

/* Adds f at event time now: first emits every entry whose window has ended at now, then
 * merges f into its entry or starts a new one (deep-copying f's strings; f is borrowed).
 * f->count (>= 1) occurrences are added, so already-aggregated findings merge correctly.
 * PC_ENOMEM when a copy cannot be made (f is then emitted unaggregated, not lost). */
pc_err pc_aggregator_add(pc_aggregator *a, const pc_finding *f, pc_time now);

/* Aggregating before explaining. at must be a failed attempt. First emits every entry whose
 * window has ended at now; then, when the window holds the entry of at's key, adds
 * max(1, at->repeats) failures to its count (and at's time to its last time) and returns
 * true: at needs no explaining. False: no such entry (or pass-through mode): the caller
 * explains at and hands its finding to pc_aggregator_add_explained. */
bool pc_aggregator_count(pc_aggregator *a, const pc_bind_attempt *at, pc_time now);

/* Starts the entry of at's key with f, at's explanation (f->count failures, normally
 * max(1, at->repeats)), which later pc_aggregator_count calls of the same key add to.
 * Otherwise as pc_aggregator_add: the window starts at now, strings are copied, the table
 * is bounded, and a copy that cannot be made emits f at once (PC_ENOMEM). */
pc_err pc_aggregator_add_explained(pc_aggregator *a, const pc_bind_attempt *at, const pc_finding *f,
                                   pc_time now);

/* Emits every entry whose window has ended at event time now (call it when the source is
 * idle, with the newest event time known, or a clock-derived time in live mode). */
void pc_aggregator_advance(pc_aggregator *a, pc_time now);

/* Emits every entry, oldest first (at exit). */
void pc_aggregator_flush(pc_aggregator *a);

void pc_aggregator_stats(const pc_aggregator *a, pc_agg_stats *st);

/* Frees a WITHOUT emitting what it holds (call pc_aggregator_flush first). NULL-safe. */
void pc_aggregator_free(pc_aggregator *a);

#endif
