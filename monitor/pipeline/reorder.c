/* The reorder stage: one FIFO ring per processor, merged by (timestamp, arrival number).
 *
 * A processor's events arrive in timestamp order (its buffer is written in order), so each
 * ring only ever appends at its tail, and releasing takes the earliest head among the
 * rings: with one busy processor both are O(1) and touch memory sequentially, which keeps
 * the replay pipeline within its budget. An event older than its ring's tail (a source
 * that does not say which processor logged it, or a misordered file) is sorted in from the
 * tail. The arrival number keeps events with equal timestamps in arrival order. The rings
 * with events are kept in a binary heap by their head, so a capture written on 64
 * processors costs O(log 64) per event, not a scan of 64 heads (which was 30 % of analyze's
 * CPU on such a capture). */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_heap.h"
#include "reorder.h"

#define MAX_QUEUES 64 /* processors beyond this share the last queue (sorted in) */

typedef struct slot {
  pc_event ev;
  uint64_t seq;
} slot;

typedef struct queue {
  uint16_t processor;
  slot *ring;
  size_t cap, head, count;
  size_t hpos; /* index in the heap while count > 0 */
} queue;

/* Processors below this find their queue by direct index. */
#define DIRECT_PROCESSORS 1024

struct pc_reorder {
  pc_reorder_config cfg;
  pc_reorder_fn out;
  void *ud;
  queue q[MAX_QUEUES];
  size_t nq, last_q;
  uint8_t qidx[DIRECT_PROCESSORS]; /* processor -> queue index + 1, 0 = none yet */
  void *heap[MAX_QUEUES];          /* the queues with events, earliest head first (pc_heap) */
  size_t nheap;
  size_t held;
  queue *reserved; /* pc_reorder_reserve's queue, until pc_reorder_commit */
  uint64_t seq;
  pc_time now;      /* event time seen */
  pc_time released; /* timestamp of the last released event */
  pc_reorder_stats stats;
};

void pc_reorder_config_default(pc_reorder_config *cfg) {
  cfg->watermark = PC_REORDER_DEFAULT_WATERMARK;
  cfg->max_held = 65536;
}

int pc_reorder_new(const pc_reorder_config *cfg, pc_reorder_fn out, void *ud, pc_reorder **res) {
  *res = NULL;
  pc_reorder_config k;
  if (cfg)
    k = *cfg;
  else
    pc_reorder_config_default(&k);
  if (!k.max_held || k.watermark < 0) return PC_EINVAL;
  pc_reorder *r = malloc(sizeof *r);
  if (!r) return PC_ENOMEM;
  *r = (pc_reorder){.cfg = k, .out = out, .ud = ud, .now = PC_TIME_UNKNOWN, .released = PC_TIME_UNKNOWN};
  *res = r;
  return PC_OK;
}

void pc_reorder_free(pc_reorder *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nq; i++) free(r->q[i].ring);
  free(r);
}

/* Rings are a power of two in size, so wrapping is a mask. */
static slot *at(queue *q, size_t i) {
  return &q->ring[(q->head + i) & (q->cap - 1)];
}

static bool before(const slot *a, const slot *b) {
  return a->ev.ts < b->ev.ts || (a->ev.ts == b->ev.ts && a->seq < b->seq);
}

static queue *queue_for(pc_reorder *r, uint16_t processor) {
  if (r->nq && r->q[r->last_q].processor == processor) return &r->q[r->last_q];
  if (processor < DIRECT_PROCESSORS && r->qidx[processor]) {
    r->last_q = r->qidx[processor] - 1u;
    return &r->q[r->last_q];
  }
  for (size_t i = 0; i < r->nq; i++)
    if (r->q[i].processor == processor) {
      r->last_q = i;
      return &r->q[i];
    }
  if (r->nq == MAX_QUEUES) return &r->q[MAX_QUEUES - 1];
  queue *q = &r->q[r->nq];
  memset(q, 0, sizeof *q);
  q->processor = processor;
  if (processor < DIRECT_PROCESSORS) r->qidx[processor] = (uint8_t)(r->nq + 1);
  r->last_q = r->nq++;
  return q;
}

/* The heap of queues that hold events (pc_heap), ordered by their heads. */
static bool head_before(const void *a, const void *b);

static void heap_placed(void *q, size_t pos) {
  ((queue *)q)->hpos = pos;
}

/* Restores the heap order around position i after its queue's head changed either way. */
static void heap_fix(pc_reorder *r, size_t i) {
  pc_heap_fix(r->heap, r->nheap, i, head_before, heap_placed);
}

static void heap_add(pc_reorder *r, queue *q) {
  r->nheap = pc_heap_push(r->heap, r->nheap, q, head_before, heap_placed);
}

static void heap_remove(pc_reorder *r, queue *q) {
  r->nheap = pc_heap_remove(r->heap, r->nheap, q->hpos, head_before, heap_placed);
}

/* Doubles a ring (unwrapping it). Returns false when it cannot. */
static bool grow(queue *q) {
  size_t ncap = q->cap ? q->cap * 2 : 64;
  slot *n = malloc(ncap * sizeof *n);
  if (!n) return false;
  for (size_t i = 0; i < q->count; i++) n[i] = *at(q, i);
  free(q->ring);
  q->ring = n;
  q->cap = ncap;
  q->head = 0;
  return true;
}

static bool head_before(const void *a, const void *b) {
  return before(at((queue *)a, 0), at((queue *)b, 0));
}

/* The queue whose head is earliest, or NULL when nothing is held. */
static queue *earliest(pc_reorder *r) {
  return r->nheap ? r->heap[0] : NULL;
}

static void release_head(pc_reorder *r, queue *q) {
  slot *s = at(q, 0);
  q->head = (q->head + 1) & (q->cap - 1);
  q->count--;
  r->held--;
  if (q->count)
    heap_fix(r, q->hpos);
  else
    heap_remove(r, q);
  if (r->released == PC_TIME_UNKNOWN || s->ev.ts > r->released) r->released = s->ev.ts;
  /* The slot stays valid during the call: only a later push reuses it. */
  r->out(&s->ev, r->ud);
}

static void release_ready(pc_reorder *r) {
  if (r->now == PC_TIME_UNKNOWN || !r->held) return;
  pc_time limit = r->now - r->cfg.watermark;
  if (r->nq == 1) {
    queue *q = &r->q[0];
    while (q->count && at(q, 0)->ev.ts <= limit) release_head(r, q);
    return;
  }
  queue *q;
  while ((q = earliest(r)) && at(q, 0)->ev.ts <= limit) release_head(r, q);
}

static void pass_through(pc_reorder *r, const pc_event *ev) {
  if (r->released == PC_TIME_UNKNOWN || ev->ts > r->released) r->released = ev->ts;
  r->out(ev, r->ud);
}

pc_event *pc_reorder_reserve(pc_reorder *r, uint16_t processor) {
  if (r->held >= r->cfg.max_held) {
    /* Full: the oldest goes now, before its watermark. */
    r->stats.forced++;
    release_head(r, earliest(r));
  }
  queue *q = queue_for(r, processor);
  if (q->count == q->cap && !grow(q)) {
    /* Out of memory: make room in this processor's ring by releasing its oldest. */
    r->stats.forced++;
    if (!q->count) return NULL;
    release_head(r, q);
  }
  r->reserved = q;
  return &at(q, q->count)->ev;
}

void pc_reorder_commit(pc_reorder *r) {
  queue *q = r->reserved;
  r->reserved = NULL;
  if (!q) return;
  slot *tail = at(q, q->count);
  pc_time ts = tail->ev.ts;
  r->stats.events++;
  if (r->now == PC_TIME_UNKNOWN || ts > r->now) r->now = ts;
  if (r->released != PC_TIME_UNKNOWN && ts < r->released) {
    /* Too late to be put in order: pass it on rather than lose it. */
    r->stats.late++;
    r->out(&tail->ev, r->ud);
    return;
  }
  if (r->cfg.watermark == 0 && r->held == 0) {
    pass_through(r, &tail->ev);
    return;
  }
  tail->seq = r->seq++;
  size_t i = q->count++;
  if (i > 0 && before(tail, at(q, i - 1))) {
    /* Sort in from the tail: this processor's order was broken. */
    slot s = *tail;
    while (i > 0 && before(&s, at(q, i - 1))) {
      *at(q, i) = *at(q, i - 1);
      i--;
    }
    *at(q, i) = s;
  }
  r->held++;
  if (r->held > r->stats.held_max) r->stats.held_max = r->held;
  if (q->count == 1)
    heap_add(r, q);
  else if (i == 0)
    heap_fix(r, q->hpos); /* sorted in before the old head */
  release_ready(r);
}

void pc_reorder_push(pc_reorder *r, const pc_event *ev, uint16_t processor) {
  pc_event *slot_ev = pc_reorder_reserve(r, processor);
  if (!slot_ev) {
    r->stats.events++;
    pass_through(r, ev);
    return;
  }
  *slot_ev = *ev;
  pc_reorder_commit(r);
}

void pc_reorder_advance(pc_reorder *r, pc_time now) {
  if (r->now == PC_TIME_UNKNOWN || now > r->now) r->now = now;
  release_ready(r);
}

void pc_reorder_flush(pc_reorder *r) {
  queue *q;
  while ((q = earliest(r))) release_head(r, q);
}

pc_time pc_reorder_released_until(const pc_reorder *r) {
  if (r->now == PC_TIME_UNKNOWN) return PC_TIME_UNKNOWN;
  return r->now - r->cfg.watermark;
}

pc_time pc_reorder_now(const pc_reorder *r) {
  return r->now;
}

void pc_reorder_get_stats(const pc_reorder *r, pc_reorder_stats *out) {
  *out = r->stats;
  out->held = r->held;
}
