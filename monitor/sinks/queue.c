/* queue.c - a bounded queue of formatted records and the writer thread that delivers
 * them, so that intake never waits for a destination.
 *
 * The records live in one byte ring allocated at start ([u32 length][bytes], wrapping),
 * so memory is fixed whatever the rate and no allocation happens per record. Producers
 * copy in under a mutex and never wait for the writer; when the ring has no room the
 * record is dropped and counted. The writer pops one record into its own buffer ("held"),
 * delivers it outside the lock, and on a temporary failure keeps it and retries after a
 * doubling back-off. After a success it first reports what was dropped meanwhile, as an
 * output_dropped record, through the same destination. A reopen request (SIGHUP) is
 * carried out by the writer between two deliveries, so the destination has one owner. */
#include <stdlib.h>
#include <string.h>

#include "sinks_internal.h"

#define DROP_REC_CAP 4096

struct pc__queue {
  pc_os_mutex *mu;
  pc_os_cond *wake;    /* writer: work arrived or stop requested */
  pc_os_cond *drained; /* flushers: the queue became empty */
  pc_os_thread *thread;
  const pc__queue_ops *ops;
  void *ud;
  unsigned retry_min, retry_max;

  char *ring;
  size_t cap, head, used; /* bytes; head is where the oldest record starts */
  size_t count;           /* records in the ring */

  char *held; /* the record being delivered, cap bytes */
  size_t held_len;
  bool has_held;
  char *drop_buf;

  bool stopping;
  uint64_t deadline;

  uint64_t reopen_asked, reopen_done; /* requests made and carried out */
  pc_err reopen_result;               /* when stopping: monotonic ms after which leftovers are dropped */

  uint64_t submitted, written, dropped, failures, drop_reports;
  uint64_t unreported; /* dropped but not yet told through the destination */
  /* The ring, the held record and the drop report's buffer: their sizes are fixed at
   * start, so they live in the queue's own allocation. */
  char bytes[];
};

static void ring_put(pc__queue *q, size_t at, const void *p, size_t n) {
  at %= q->cap;
  size_t first = q->cap - at < n ? q->cap - at : n;
  memcpy(q->ring + at, p, first);
  memcpy(q->ring, (const char *)p + first, n - first);
}

static void ring_get(pc__queue *q, size_t at, void *p, size_t n) {
  at %= q->cap;
  size_t first = q->cap - at < n ? q->cap - at : n;
  memcpy(p, q->ring + at, first);
  memcpy((char *)p + first, q->ring, n - first);
}

static void dropped_locked(pc__queue *q) {
  q->dropped++;
  q->unreported++;
}

void pc__queue_drop(pc__queue *q) {
  pc_os_mutex_lock(q->mu);
  q->submitted++;
  dropped_locked(q);
  pc_os_mutex_unlock(q->mu);
}

bool pc__queue_push(pc__queue *q, const char *rec, size_t len) {
  pc_os_mutex_lock(q->mu);
  q->submitted++;
  bool ok = !q->stopping && len <= q->cap - sizeof(uint32_t) && q->cap - q->used >= sizeof(uint32_t) + len;
  if (ok) {
    uint32_t l = (uint32_t)len;
    ring_put(q, q->head + q->used, &l, sizeof l);
    ring_put(q, q->head + q->used + sizeof l, rec, len);
    q->used += sizeof l + len;
    q->count++;
    pc_os_cond_broadcast(q->wake);
  } else {
    dropped_locked(q);
  }
  pc_os_mutex_unlock(q->mu);
  return ok;
}

static void pop_locked(pc__queue *q) {
  uint32_t l;
  ring_get(q, q->head, &l, sizeof l);
  ring_get(q, q->head + sizeof l, q->held, l);
  q->head = (q->head + sizeof l + l) % q->cap;
  q->used -= sizeof l + l;
  q->count--;
  q->held_len = l;
  q->has_held = true;
}

/* Sleeps up to ms, or less when a stop makes waiting pointless. Locked on entry/exit. */
static void backoff_locked(pc__queue *q, uint64_t ms) {
  uint64_t until = pc_os_clock_ms() + ms;
  for (;;) {
    uint64_t now = pc_os_clock_ms();
    if (now >= until) return;
    if (q->stopping && now >= q->deadline) return;
    uint64_t wait = until - now;
    if (q->stopping && q->deadline - now < wait) wait = q->deadline - now;
    if (q->reopen_asked != q->reopen_done) return; /* a new destination may work at once */
    pc_os_cond_wait_ms(q->wake, q->mu, wait);
  }
}

/* Carries out the reopen requests made so far. Locked on entry/exit. */
static void reopen_locked(pc__queue *q) {
  uint64_t asked = q->reopen_asked;
  pc_os_mutex_unlock(q->mu);
  pc_err err = q->ops->reopen ? q->ops->reopen(q->ud) : PC_ENOTSUP;
  pc_os_mutex_lock(q->mu);
  q->reopen_result = err;
  q->reopen_done = asked;
  pc_os_cond_broadcast(q->drained);
}

static void writer(void *arg) {
  pc__queue *q = arg;
  uint64_t delay = q->retry_min;
  pc_os_mutex_lock(q->mu);
  for (;;) {
    while (!q->has_held && q->count == 0 && !q->stopping && q->reopen_asked == q->reopen_done)
      pc_os_cond_wait_ms(q->wake, q->mu, 1000);
    if (q->reopen_asked != q->reopen_done) {
      reopen_locked(q);
      delay = q->retry_min;
      continue;
    }
    if (q->stopping && (pc_os_clock_ms() >= q->deadline || (!q->has_held && q->count == 0))) break;
    if (!q->has_held) pop_locked(q);
    pc_os_mutex_unlock(q->mu);
    pc_err err = q->ops->deliver(q->ud, q->held, q->held_len);
    pc_os_mutex_lock(q->mu);
    if (err == PC_EAGAIN) {
      q->failures++;
      backoff_locked(q, delay);
      delay = delay * 2 > q->retry_max ? q->retry_max : delay * 2;
      continue;
    }
    q->has_held = false;
    if (err == PC_OK) {
      q->written++;
      delay = q->retry_min;
    } else {
      dropped_locked(q);
    }
    if (err == PC_OK && q->unreported && q->ops->drop_record) {
      /* The destination works again: tell it what it missed. */
      uint64_t n = q->unreported;
      pc_os_mutex_unlock(q->mu);
      size_t len = q->ops->drop_record(q->ud, n, q->drop_buf, DROP_REC_CAP);
      pc_err derr = len && len < DROP_REC_CAP ? q->ops->deliver(q->ud, q->drop_buf, len) : PC_EINVAL;
      pc_os_mutex_lock(q->mu);
      if (derr == PC_OK) {
        q->unreported -= n;
        q->drop_reports++;
      }
    }
    if (!q->has_held && q->count == 0) pc_os_cond_broadcast(q->drained);
  }
  /* Whatever could not be delivered before the deadline is lost: count it. */
  uint64_t left = q->count + (q->has_held ? 1u : 0u);
  q->dropped += left;
  q->unreported += left;
  q->count = 0;
  q->used = 0;
  q->has_held = false;
  pc_os_cond_broadcast(q->drained);
  pc_os_mutex_unlock(q->mu);
}

pc_err pc__queue_start(pc__queue **out, size_t cap_bytes, unsigned retry_min_ms, unsigned retry_max_ms,
                       const pc__queue_ops *ops, void *ud) {
  *out = NULL;
  if (cap_bytes < 64 || cap_bytes > UINT32_MAX ||
      cap_bytes > (SIZE_MAX - sizeof(pc__queue) - DROP_REC_CAP) / 2)
    return PC_EINVAL;
  pc__queue *q = calloc(1, sizeof *q + 2 * cap_bytes + DROP_REC_CAP);
  if (!q) return PC_ENOMEM;
  q->cap = cap_bytes;
  q->ops = ops;
  q->ud = ud;
  q->retry_min = retry_min_ms ? retry_min_ms : 1;
  q->retry_max = retry_max_ms > q->retry_min ? retry_max_ms : q->retry_min;
  q->ring = q->bytes;
  q->held = q->ring + cap_bytes;
  q->drop_buf = q->held + cap_bytes;
  q->mu = pc_os_mutex_new();
  q->wake = pc_os_cond_new();
  q->drained = pc_os_cond_new();
  if (!q->mu || !q->wake || !q->drained || pc_os_thread_start(&q->thread, writer, q) != PC_OK) {
    q->thread = NULL;
    pc__queue_stop(q, 0, NULL);
    return PC_ENOMEM;
  }
  *out = q;
  return PC_OK;
}

pc_err pc__queue_flush(pc__queue *q, unsigned timeout_ms) {
  uint64_t until = pc_os_clock_ms() + timeout_ms;
  pc_err err = PC_OK;
  pc_os_mutex_lock(q->mu);
  while (q->has_held || q->count) {
    uint64_t now = pc_os_clock_ms();
    if (now >= until) {
      err = PC_ETIMEOUT;
      break;
    }
    pc_os_cond_wait_ms(q->drained, q->mu, until - now);
  }
  pc_os_mutex_unlock(q->mu);
  return err;
}

pc_err pc__queue_reopen(pc__queue *q, unsigned timeout_ms) {
  uint64_t until = pc_os_clock_ms() + timeout_ms;
  pc_os_mutex_lock(q->mu);
  uint64_t mine = ++q->reopen_asked;
  pc_os_cond_broadcast(q->wake);
  pc_err err = PC_ETIMEOUT;
  for (;;) {
    if (q->reopen_done >= mine) {
      err = q->reopen_result;
      break;
    }
    uint64_t now = pc_os_clock_ms();
    if (now >= until) break;
    pc_os_cond_wait_ms(q->drained, q->mu, until - now);
  }
  pc_os_mutex_unlock(q->mu);
  return err;
}

static void stats_locked(pc__queue *q, pc_sink_stats *st) {
  memset(st, 0, sizeof *st);
  st->submitted = q->submitted;
  st->written = q->written;
  st->dropped = q->dropped;
  st->queued = q->count + (q->has_held ? 1u : 0u);
  st->failures = q->failures;
  st->drop_reports = q->drop_reports;
}

void pc__queue_stats(pc__queue *q, pc_sink_stats *st) {
  pc_os_mutex_lock(q->mu);
  stats_locked(q, st);
  pc_os_mutex_unlock(q->mu);
}

void pc__queue_stop(pc__queue *q, unsigned drain_ms, pc_sink_stats *final) {
  if (!q) return;
  if (q->thread) {
    pc_os_mutex_lock(q->mu);
    q->stopping = true;
    q->deadline = pc_os_clock_ms() + drain_ms;
    pc_os_cond_broadcast(q->wake);
    pc_os_mutex_unlock(q->mu);
    pc_os_thread_join(q->thread);
  }
  if (final && q->mu) stats_locked(q, final);
  pc_os_cond_free(q->drained);
  pc_os_cond_free(q->wake);
  pc_os_mutex_free(q->mu);
  free(q);
}
