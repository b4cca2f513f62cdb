/* reorder.h - puts decoded events back in event-time order before the correlator.
 *
 * A real-time ETW session keeps one buffer per processor and flushes each on its own
 * (FlushTimer, and whenever one fills); after a thread migrates, the later processor's
 * buffer can be delivered before the earlier one ("Logging Mode Constants"). An ETL file
 * stores the same per-processor buffers. So one bind's events can arrive out of order by up
 * to about the flush interval. This stage holds each event until event time has moved a
 * watermark past it, and releases events in (timestamp, arrival) order: every processor's
 * own order is kept (its events are already in timestamp order) and the processors are
 * merged by timestamp.
 *
 * Event time is the largest timestamp pushed, or what pc_reorder_advance says (the live
 * loop derives that from the last event's time plus monotonic elapsed time, never from the
 * wall clock). Memory is bounded: when max_held events wait, the oldest is released early
 * and counted. An event older than one already released is passed on at once and counted as
 * late. Not thread-safe. */
#ifndef PC_PIPELINE_REORDER_H
#define PC_PIPELINE_REORDER_H

#include <stddef.h>
#include <stdint.h>

#include "pc_event.h"

typedef struct pc_reorder_config {
  /* How long an event waits for earlier events from other processors. At least the
   * session's FlushTimer plus a margin: the default is 1 s (portclash's FlushTimer) +
   * 500 ms. 0 turns reordering off (events pass straight through). */
  pc_time watermark;
  size_t max_held; /* events held at most (65536, about 12 MB); past that the oldest goes early */
} pc_reorder_config;

#define PC_REORDER_DEFAULT_WATERMARK (1500 * PC_TIME_TICKS_PER_MS)

void pc_reorder_config_default(pc_reorder_config *cfg);

/* Receives each released event, in order; borrowed for the call. */
typedef void (*pc_reorder_fn)(const pc_event *ev, void *ud);

typedef struct pc_reorder pc_reorder;

/* cfg may be NULL for defaults. Returns PC_OK, PC_ENOMEM, PC_EINVAL (max_held 0). */
int pc_reorder_new(const pc_reorder_config *cfg, pc_reorder_fn out, void *ud, pc_reorder **r);

/* Frees without releasing what is held (call pc_reorder_flush first). NULL-safe. */
void pc_reorder_free(pc_reorder *r);

/* Takes one event (copied) from `processor`'s buffer and releases what the watermark allows. */
void pc_reorder_push(pc_reorder *r, const pc_event *ev, uint16_t processor);

/* The same in two steps, so a decoder can write the event in place: reserve returns the
 * slot to fill for `processor` (NULL only when memory ran out), commit takes it. A reserved
 * slot that is not committed is simply reused by the next reserve. */
pc_event *pc_reorder_reserve(pc_reorder *r, uint16_t processor);
void pc_reorder_commit(pc_reorder *r);

/* Moves event time to now (if later) and releases what the watermark allows. */
void pc_reorder_advance(pc_reorder *r, pc_time now);

/* Releases everything held (end of input). */
void pc_reorder_flush(pc_reorder *r);

/* Event time up to which everything has been released: later events should not be older.
 * PC_TIME_UNKNOWN before the first event. */
pc_time pc_reorder_released_until(const pc_reorder *r);

/* The event time the stage has seen (largest timestamp or advance). */
pc_time pc_reorder_now(const pc_reorder *r);

typedef struct pc_reorder_stats {
  uint64_t events;
  uint64_t forced; /* released before their watermark because max_held were waiting */
  uint64_t late;   /* arrived older than an event already released (beyond the watermark) */
  size_t held;     /* waiting now */
  size_t held_max; /* most ever waiting */
} pc_reorder_stats;

void pc_reorder_get_stats(const pc_reorder *r, pc_reorder_stats *out);

#endif
