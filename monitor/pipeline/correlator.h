/* correlator.h - join the events of one bind into one pc_bind_attempt.
 *
 * AFD gives the socket's life (create → bind enter/exit → close) keyed by Endpoint, and the
 * user-mode PID through AfdCreate; TCPIP and Winsock-Sockets report the same failed bind
 * from their side. The correlator merges evidence that agrees on process, address,
 * protocol and time into one attempt, so a failed bind is reported once however many
 * providers (or how many events of one provider) saw it. A process id is only believed
 * from a reliable source (correlator.c lists the assumptions). Successful binds are
 * remembered, until their socket closes, so a later failure on the same address carries
 * the holder's socket options. It runs on event time only (the timestamps it is fed), so a replay
 * gives the same answer as live; it expects events in timestamp order (pc_reorder puts them
 * in that order). All tables are bounded; overflow evicts the oldest entry
 * and is counted. Not thread-safe: feed it from one thread. */
#ifndef PC_CORRELATOR_H
#define PC_CORRELATOR_H

#include <stddef.h>
#include <stdint.h>

#include "pc_attempt.h"
#include "pc_event.h"

typedef struct pc_correlator_config {
  pc_time merge_window; /* evidence this close to an attempt's first event can merge (100 ms) */
  pc_time hold;         /* an attempt is emitted once event time passes first + hold (200 ms) */
  size_t max_endpoints; /* AFD endpoints and Winsock sockets tracked (65536) */
  size_t max_processes; /* EPROCESS → PID entries (16384) */
  size_t max_open;      /* attempts waiting for more evidence (1024); the oldest is emitted early when full */
  pc_time pending_timeout; /* a bind whose AFD exit said STATUS_PENDING waits this long after its
                            * last evidence for the final status (2 s); without one it is counted
                            * in outcome_unknown, never reported as a failure */
  size_t max_holders;      /* remembered successful binds (16384), for the holder's options */
  bool report_success;     /* also emit successful binds (for learned ports); off by default */
} pc_correlator_config;

/* Fills cfg with the defaults above. */
void pc_correlator_config_default(pc_correlator_config *cfg);

/* Receives each finished attempt; the pointer is valid only during the call. */
typedef void (*pc_attempt_fn)(const pc_bind_attempt *attempt, void *ud);

typedef struct pc_correlator pc_correlator;

/* cfg may be NULL for defaults. Returns PC_OK, PC_ENOMEM, PC_EINVAL (a zero size). */
int pc_correlator_new(const pc_correlator_config *cfg, pc_attempt_fn emit, void *ud, pc_correlator **out);

/* Emits every attempt still open, then frees (NULL-safe). Call pc_correlator_flush first
 * if the emit callback must run while its own state is still valid. */
void pc_correlator_free(pc_correlator *c);

/* Feeds one decoded event. Event time moves forward to ev->ts (never backwards), which
 * may first emit attempts whose hold has passed. */
void pc_correlator_feed(pc_correlator *c, const pc_event *ev);

/* Moves event time to now (e.g. from a live source's clock when no events arrive) and
 * emits attempts whose hold has passed. */
void pc_correlator_advance(pc_correlator *c, pc_time now);

/* Emits every open attempt (end of input). */
void pc_correlator_flush(pc_correlator *c);

typedef struct pc_correlator_stats {
  uint64_t events;
  uint64_t attempts_emitted;
  uint64_t failures_emitted;
  uint64_t merged; /* evidence folded into an existing attempt */
  uint64_t exits_without_enter;
  uint64_t endpoints_evicted; /* table full: the oldest entry was dropped */
  uint64_t processes_evicted;
  uint64_t early_emits;     /* open-attempt list full: the oldest was emitted before its hold */
  uint64_t outcome_unknown; /* binds that started (AFD entry, STATUS_PENDING) but never got a final
                             * status: neither failures nor successes (status line, summary) */
  uint64_t holders_evicted; /* holder table full: a remembered successful bind was forgotten */
  uint64_t holders_closed;  /* remembered successful binds forgotten because their socket closed */
  size_t endpoints_tracked;
  size_t open_waiting; /* attempts now waiting for a final status */
} pc_correlator_stats;

void pc_correlator_get_stats(const pc_correlator *c, pc_correlator_stats *out);

#endif
