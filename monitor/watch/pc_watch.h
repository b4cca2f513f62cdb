/* pc_watch.h - warn before a port is taken away (event "port_at_risk"), not after the
 * service fails.
 *
 * The watcher looks after the ports of the watch list (pc_watch.h) and, unless learning is
 * off, the learned ports (learned_ports.h: ports a process successfully listened on while
 * portclash ran). It emits a port_at_risk finding, explained by the same rules as bind
 * failures (rules/default/70-watch.rules), when:
 *   - a TCPIP global reservation event (1054/1519) covers such a port     (pc_watcher_on_event)
 *   - an excluded range now covers it, or the dynamic range now covers it   (pc_watcher_poll:
 *     compared with the previous poll, and at the first poll with the snapshot persisted by
 *     the last run, so changes while portclash was not running are reported too)
 *   - another process now listens on it                                   (PC_EV_LISTEN_OK
 *     events, successful attempts, and the owner lookups of pc_watcher_poll)
 * Changes that touch no watched or learned port stay quiet; a first run without a persisted
 * snapshot takes the ranges as its baseline and reports nothing about them.
 *
 * In a port_at_risk finding, pid/process are the process that used the port before (the
 * learned holder, null when none was seen), owner_pid/owner_process the new holder or the
 * process that made the reservation, and proto is null when a range applies to TCP and UDP
 * alike (Linux ip_local_* ranges).
 *
 * State: learned ports and the last range snapshot live in the state directory
 * (pc_os.h); they are loaded by pc_watcher_new / the first poll and saved by polls
 * (when changed) and by pc_watcher_free. Damaged files give one warning and are replaced.
 *
 * Threading: not thread-safe. Call every function from the thread that runs the pipeline
 * (events, attempts and the slow poll timer alike). Findings are handed to the callback and
 * are valid only during the call. */
#ifndef PC_WATCHER_H
#define PC_WATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_attempt.h"
#include "pc_event.h"
#include "pc_explain.h"
#include "pc_hoststate.h"
#include "learned_ports.h"
#include "pc_rules.h"
#include "watch_list.h"

/* Findings one event or poll may produce; more are counted as suppressed (a wide new range
 * over a wide watch range would otherwise flood the outputs). */
#define PC_WATCHER_MAX_FINDINGS 64
/* Ports whose owners one poll looks up when the options say 0. */
#define PC_WATCHER_DEFAULT_OWNER_BUDGET 64

typedef struct pc_watcher_options {
  const pc_ruleset *rules;    /* required; must outlive the watcher */
  const pc_watch_list *watch; /* optional (NULL: learned ports only); borrowed, must outlive it */
  pc_hoststate *hoststate;    /* optional: names the PIDs of events and attempts; borrowed */
  bool learn;                 /* remember listeners and watch their ports (default true) */
  bool persist;               /* keep state in state_dir (default true) */
  const char *state_dir;      /* NULL: pc_state_dir_default(); copied */
  size_t learned_cap;         /* 0: PC_LEARNED_DEFAULT_CAP */
  size_t owner_budget;        /* owner lookups per poll; 0: PC_WATCHER_DEFAULT_OWNER_BUDGET */
  const char *host;           /* "host" of findings; NULL: this machine's name */
  const char *os;             /* "windows", "linux", NULL: from the polled host state */
  const char *source;         /* "etw", "ebpf", "etl", "fixture", "poll" */
  FILE *warn;                 /* warnings about state files; NULL: stderr */
} pc_watcher_options;

/* Defaults: learn and persist on, everything else zero/NULL. */
void pc_watcher_options_init(pc_watcher_options *o);

typedef struct pc_watcher pc_watcher;

/* Creates a watcher; loads the learned ports (learn && persist). A damaged state file is a
 * warning, never an error. Returns PC_OK, PC_EINVAL (no rules or no callback), PC_ENOMEM. */
int pc_watcher_new(const pc_watcher_options *o, pc_finding_fn emit, void *ud, pc_watcher **out);

/* Saves what changed (learned ports) and frees. NULL-safe. */
void pc_watcher_free(pc_watcher *w);

/* A decoded event (the pipeline's decoder output, every kind may be passed; only
 * PC_EV_GLOBAL_RESERVATION and PC_EV_LISTEN_OK are used). A reservation also marks the
 * ranges stale: poll soon (pc_watcher_ranges_stale) to re-read them. */
void pc_watcher_on_event(pc_watcher *w, const pc_event *ev);

/* A finished attempt from the correlator (with report_success on) or the eBPF source:
 * successful binds teach and check holders; failed ones are ignored (the explainer's). */
void pc_watcher_on_attempt(pc_watcher *w, const pc_bind_attempt *a);

/* The slow timer: re-reads the ranges of a live hs (pc_hoststate_refresh; an offline hs is
 * taken as it is), compares them with the previous snapshot, looks up the owners of up to
 * owner_budget watched/learned ports (rotating through them), and saves changed state. now is
 * the time of the findings and of the snapshot. Returns PC_OK, or the error of the refresh
 * (the comparison then uses the ranges hs still has). */
int pc_watcher_poll(pc_watcher *w, pc_hoststate *hs, pc_time now);

/* Replaces the host state used to name PIDs (options.hoststate), e.g. after reopening it;
 * NULL = none. Borrowed like the option. */
void pc_watcher_set_hoststate(pc_watcher *w, pc_hoststate *hs);

/* A reservation event arrived since the last poll. */
bool pc_watcher_ranges_stale(const pc_watcher *w);

/* Saves the learned ports now when they changed (persist on). PC_OK or the write error
 * (also printed as a warning). */
int pc_watcher_save(pc_watcher *w);

/* The learned ports (borrowed; for status output and tests). */
const pc_learned *pc_watcher_learned(const pc_watcher *w);

typedef struct pc_watcher_stats {
  uint64_t findings;     /* port_at_risk findings emitted */
  uint64_t suppressed;   /* beyond PC_WATCHER_MAX_FINDINGS in one event or poll */
  uint64_t observations; /* listeners seen (events, attempts, owner lookups) */
  uint64_t reservations; /* reservation events seen */
  uint64_t polls;
  uint64_t range_changes; /* polls that found different ranges */
  uint64_t state_errors;  /* state files that could not be read or written */
} pc_watcher_stats;

void pc_watcher_get_stats(const pc_watcher *w, pc_watcher_stats *out);

#endif
