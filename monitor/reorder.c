/* The reorder stage: a binary min-heap on (timestamp, arrival number) over a pool of held
 * events. The arrival number keeps events with equal timestamps in arrival order, which
 * keeps each processor's own order (a processor's buffer is already in timestamp order). */
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_reorder.h"

typedef struct entry {
  pc_time ts;
  uint64_t seq;
  uint32_t slot;
  uint16_t processor;
} entry;

struct pc_reorder {
  pc_reorder_config cfg;
  pc_reorder_fn out;
  void *ud;
  entry *heap;
  pc_event *pool;
  uint32_t *free_slots;
  size_t count, cap, free_count;
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
  pc_reorder *r = calloc(1, sizeof *r);
  if (!r) return PC_ENOMEM;
  if (cfg)
    r->cfg = *cfg;
  else
    pc_reorder_config_default(&r->cfg);
  if (!r->cfg.max_held || r->cfg.watermark < 0 || r->cfg.max_held > UINT32_MAX) {
    free(r);
    return PC_EINVAL;
  }
  r->out = out;
  r->ud = ud;
  r->now = PC_TIME_UNKNOWN;
  r->released = PC_TIME_UNKNOWN;
  *res = r;
  return PC_OK;
}

void pc_reorder_free(pc_reorder *r) {
  if (!r) return;
  free(r->heap);
  free(r->pool);
  free(r->free_slots);
  free(r);
}

static bool before(const entry *a, const entry *b) {
  return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* Grows the pool (doubling, up to max_held). Returns false when it cannot. */
static bool grow(pc_reorder *r) {
  size_t ncap = r->cap ? r->cap * 2 : 256;
  if (ncap > r->cfg.max_held) ncap = r->cfg.max_held;
  if (ncap <= r->cap) return false;
  entry *h = realloc(r->heap, ncap * sizeof *h);
  if (!h) return false;
  r->heap = h;
  pc_event *p = realloc(r->pool, ncap * sizeof *p);
  if (!p) return false;
  r->pool = p;
  uint32_t *f = realloc(r->free_slots, ncap * sizeof *f);
  if (!f) return false;
  r->free_slots = f;
  for (size_t i = ncap; i > r->cap; i--) r->free_slots[r->free_count++] = (uint32_t)(i - 1);
  r->cap = ncap;
  return true;
}

/* Removes the earliest event and hands it on. */
static void release_top(pc_reorder *r) {
  entry top = r->heap[0];
  entry last = r->heap[--r->count];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1;
    if (l >= r->count) break;
    size_t m = l + 1 < r->count && before(&r->heap[l + 1], &r->heap[l]) ? l + 1 : l;
    if (!before(&r->heap[m], &last)) break;
    r->heap[i] = r->heap[m];
    i = m;
  }
  if (r->count) r->heap[i] = last;
  r->free_slots[r->free_count++] = top.slot;
  if (r->released == PC_TIME_UNKNOWN || top.ts > r->released) r->released = top.ts;
  /* The slot stays valid during the call: it is only reused by a later push. */
  r->out(&r->pool[top.slot], r->ud);
}

static void release_ready(pc_reorder *r) {
  if (r->now == PC_TIME_UNKNOWN) return;
  pc_time limit = r->now - r->cfg.watermark;
  while (r->count && r->heap[0].ts <= limit) release_top(r);
}

void pc_reorder_push(pc_reorder *r, const pc_event *ev, uint16_t processor) {
  r->stats.events++;
  if (r->now == PC_TIME_UNKNOWN || ev->ts > r->now) r->now = ev->ts;
  if (r->released != PC_TIME_UNKNOWN && ev->ts < r->released) {
    /* Too late to be put in order: pass it on rather than lose it. */
    r->stats.late++;
    r->out(ev, r->ud);
    return;
  }
  if (r->cfg.watermark == 0 && r->count == 0) {
    r->released = ev->ts;
    r->out(ev, r->ud);
    return;
  }
  if (r->free_count == 0 && !grow(r)) {
    /* Full (or out of memory): the oldest goes now, before its watermark. */
    r->stats.forced++;
    if (r->count == 0) {
      r->released = ev->ts;
      r->out(ev, r->ud);
      return;
    }
    release_top(r);
  }
  uint32_t slot = r->free_slots[--r->free_count];
  r->pool[slot] = *ev;
  entry e = {ev->ts, r->seq++, slot, processor};
  size_t i = r->count++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(&e, &r->heap[parent])) break;
    r->heap[i] = r->heap[parent];
    i = parent;
  }
  r->heap[i] = e;
  if (r->count > r->stats.held_max) r->stats.held_max = r->count;
  release_ready(r);
}

void pc_reorder_advance(pc_reorder *r, pc_time now) {
  if (r->now == PC_TIME_UNKNOWN || now > r->now) r->now = now;
  release_ready(r);
}

void pc_reorder_flush(pc_reorder *r) {
  while (r->count) release_top(r);
}

pc_time pc_reorder_released_until(const pc_reorder *r) {
  if (r->now == PC_TIME_UNKNOWN) return PC_TIME_UNKNOWN;
  pc_time limit = r->now - r->cfg.watermark;
  /* Nothing older than limit is held any more; if something is held, time is just before it. */
  if (r->count && r->heap[0].ts <= limit) return r->heap[0].ts - 1;
  return limit;
}

pc_time pc_reorder_now(const pc_reorder *r) {
  return r->now;
}

void pc_reorder_get_stats(const pc_reorder *r, pc_reorder_stats *out) {
  *out = r->stats;
  out->held = r->count;
}
