/* ebpf_agg.c - key table, fair queue and uid losses of the eBPF source (ebpf_agg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf_agg.h"
#include "pc_error.h"

#define NIL UINT32_MAX

/* ---- key table: a dense array of entries with chained buckets of indexes ---- */

struct pc__aggtab {
  pc__agg_entry *e;
  uint32_t *next; /* chain link of entry i */
  uint32_t *head; /* nbuckets chain heads */
  size_t cap, n, nbuckets;
};

static uint64_t key_hash(const struct pc_bpf_agg_key *k) {
  const unsigned char *p = (const unsigned char *)k;
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < sizeof *k; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

int pc__aggtab_new(size_t cap, pc__aggtab **out) {
  *out = NULL;
  pc__aggtab *t = calloc(1, sizeof *t);
  if (!t) return PC_ENOMEM;
  t->cap = cap ? cap : 1;
  t->nbuckets = 1;
  while (t->nbuckets < 2 * t->cap) t->nbuckets <<= 1;
  t->e = calloc(t->cap, sizeof *t->e);
  t->next = calloc(t->cap, sizeof *t->next);
  t->head = malloc(t->nbuckets * sizeof *t->head);
  if (!t->e || !t->next || !t->head) {
    pc__aggtab_free(t);
    return PC_ENOMEM;
  }
  for (size_t i = 0; i < t->nbuckets; i++) t->head[i] = NIL;
  *out = t;
  return PC_OK;
}

void pc__aggtab_free(pc__aggtab *t) {
  if (!t) return;
  free(t->e);
  free(t->next);
  free(t->head);
  free(t);
}

size_t pc__aggtab_count(const pc__aggtab *t) {
  return t->n;
}

pc__agg_entry *pc__aggtab_at(pc__aggtab *t, size_t i) {
  return i < t->n ? &t->e[i] : NULL;
}

static uint32_t *bucket_of(pc__aggtab *t, const struct pc_bpf_agg_key *k) {
  return &t->head[key_hash(k) & (t->nbuckets - 1)];
}

pc__agg_entry *pc__aggtab_find(pc__aggtab *t, const struct pc_bpf_agg_key *k) {
  for (uint32_t i = *bucket_of(t, k); i != NIL; i = t->next[i])
    if (memcmp(&t->e[i].key, k, sizeof *k) == 0) return &t->e[i];
  return NULL;
}

/* The link that points at entry i. */
static uint32_t *link_to(pc__aggtab *t, uint32_t i) {
  uint32_t *l = bucket_of(t, &t->e[i].key);
  while (*l != i) l = &t->next[*l];
  return l;
}

void pc__aggtab_remove(pc__aggtab *t, size_t i) {
  if (i >= t->n) return;
  uint32_t *l = link_to(t, (uint32_t)i);
  *l = t->next[i];
  uint32_t last = (uint32_t)(t->n - 1);
  if (i != last) {
    *link_to(t, last) = (uint32_t)i;
    t->e[i] = t->e[last];
    t->next[i] = t->next[last];
  }
  t->n--;
}

pc__agg_entry *pc__aggtab_opened(pc__aggtab *t, const struct pc_bpf_agg_key *k, uint64_t seq,
                                 const pc_ebpf_item *it, uint64_t due_ns) {
  pc__agg_entry *e = pc__aggtab_find(t, k);
  if (!e) {
    if (t->n == t->cap) return NULL;
    uint32_t i = (uint32_t)t->n++;
    e = &t->e[i];
    memset(e, 0, sizeof *e);
    e->key = *k;
    uint32_t *b = bucket_of(t, k);
    t->next[i] = *b;
    *b = i;
    e->accounted = seq ? seq - 1 : 0;
    e->due_ns = due_ns;
  } else if (seq <= e->accounted) {
    /* The kernel deleted the key and made it again: numbering restarted. */
    e->accounted = seq ? seq - 1 : 0;
    e->openers = 0;
    e->due_ns = due_ns;
  }
  e->openers++;
  e->open_ws = it->extra.ts_mono_ns;
  e->model = *it;
  return e;
}

uint64_t pc__agg_settle(pc__agg_entry *e, uint64_t seq) {
  if (seq <= e->accounted + e->openers) {
    if (seq >= e->accounted) {
      e->accounted = seq;
      e->openers = 0;
    }
    return 0;
  }
  uint64_t n = seq - e->accounted - e->openers;
  e->accounted = seq;
  e->openers = 0;
  return n;
}

/* ---- fair queue ---- */

#define UID_SLOTS 128u /* distinct uids with a FIFO of their own; more share the last one */

typedef struct uidq {
  uint32_t uid;
  bool used; /* the slot belongs to uid (it may be empty) */
  uint32_t head, tail, len;
  uint32_t rr_next; /* next slot in the round-robin ring, NIL when not in it */
} uidq;

typedef struct fairq_slot {
  pc_ebpf_item item;
  uint32_t next; /* FIFO link, or the free list's */
} fairq_slot;

struct pc__fairq {
  uint32_t free_head;
  size_t cap, len;
  uidq q[UID_SLOTS + 1]; /* the last one: uids that found no slot */
  uint32_t rr_cur;       /* slot served next, NIL when none is queued */
  uint32_t rr_prev;      /* the slot before rr_cur in the ring */
  fairq_slot slot[];     /* cap of them */
};

int pc__fairq_new(size_t cap, pc__fairq **out) {
  *out = NULL;
  if (cap == 0 || cap >= NIL) return PC_EINVAL;
  if (cap > (SIZE_MAX - sizeof(pc__fairq)) / sizeof(fairq_slot)) return PC_ENOMEM;
  pc__fairq *q = calloc(1, sizeof *q + cap * sizeof q->slot[0]);
  if (!q) return PC_ENOMEM;
  q->cap = cap;
  for (uint32_t i = 0; i < cap; i++) q->slot[i].next = i + 1 < cap ? i + 1 : NIL;
  q->free_head = 0;
  for (uint32_t i = 0; i <= UID_SLOTS; i++) q->q[i].rr_next = NIL;
  q->rr_cur = q->rr_prev = NIL;
  *out = q;
  return PC_OK;
}

void pc__fairq_free(pc__fairq *q) {
  free(q);
}

size_t pc__fairq_len(const pc__fairq *q) {
  return q->len;
}

/* The slot of uid: its own (made or reused when free), else the shared last one. */
static uint32_t slot_of(pc__fairq *q, uint32_t uid) {
  uint32_t h = (uid * 2654435761u) % UID_SLOTS, reuse = NIL;
  for (uint32_t n = 0; n < UID_SLOTS; n++) {
    uint32_t i = (h + n) % UID_SLOTS;
    if (q->q[i].used && q->q[i].uid == uid) return i;
    if (!q->q[i].used) return reuse != NIL ? reuse : i; /* not further: uid is not beyond */
    if (reuse == NIL && q->q[i].len == 0) reuse = i;
  }
  return reuse != NIL ? reuse : UID_SLOTS;
}

static void rr_insert(pc__fairq *q, uint32_t s) {
  if (q->rr_cur == NIL) {
    q->q[s].rr_next = s;
    q->rr_cur = q->rr_prev = s;
    return;
  }
  /* Served last in this turn: before rr_cur. */
  q->q[q->rr_prev].rr_next = s;
  q->q[s].rr_next = q->rr_cur;
  q->rr_prev = s;
}

/* Removes slot s (empty now) from the ring. */
static void rr_remove(pc__fairq *q, uint32_t s) {
  uint32_t p = s;
  while (q->q[p].rr_next != s) p = q->q[p].rr_next;
  if (p == s) {
    q->rr_cur = q->rr_prev = NIL;
  } else {
    q->q[p].rr_next = q->q[s].rr_next;
    if (q->rr_cur == s) q->rr_cur = q->q[s].rr_next;
    if (q->rr_prev == s) q->rr_prev = p;
  }
  q->q[s].rr_next = NIL;
}

/* Takes the oldest item of slot s into *out. */
static void take_head(pc__fairq *q, uint32_t s, pc_ebpf_item *out) {
  uidq *u = &q->q[s];
  uint32_t i = u->head;
  *out = q->slot[i].item;
  u->head = q->slot[i].next;
  if (--u->len == 0) u->head = u->tail = NIL;
  q->slot[i].next = q->free_head;
  q->free_head = i;
  q->len--;
  if (u->len == 0) rr_remove(q, s);
}

bool pc__fairq_push(pc__fairq *q, const pc_ebpf_item *it, pc_ebpf_item *dropped, bool *did_drop) {
  *did_drop = false;
  uint32_t s = slot_of(q, it->attempt.uid);
  if (q->len == q->cap) {
    uint32_t hog = s;
    for (uint32_t i = 0; i <= UID_SLOTS; i++)
      if (q->q[i].len > q->q[hog].len) hog = i;
    *did_drop = true;
    if (hog == s) {
      *dropped = *it;
      return false;
    }
    take_head(q, hog, dropped);
  }
  uidq *u = &q->q[s];
  if (!u->used || u->uid != it->attempt.uid) {
    if (s < UID_SLOTS) {
      u->used = true;
      u->uid = it->attempt.uid;
    }
  }
  uint32_t i = q->free_head;
  q->free_head = q->slot[i].next;
  q->slot[i].item = *it;
  q->slot[i].next = NIL;
  if (u->len == 0) {
    u->head = u->tail = i;
    rr_insert(q, s);
  } else {
    q->slot[u->tail].next = i;
    u->tail = i;
  }
  u->len++;
  q->len++;
  return true;
}

bool pc__fairq_pop(pc__fairq *q, pc_ebpf_item *out) {
  if (q->rr_cur == NIL) return false;
  uint32_t s = q->rr_cur;
  /* The next turn goes to the following slot (set before take_head may unlink s). */
  q->rr_prev = s;
  q->rr_cur = q->q[s].rr_next;
  take_head(q, s, out);
  return true;
}

/* ---- losses per uid ---- */

void pc__uidlost_add(pc__uidlost *u, uint32_t uid, uint64_t n) {
  if (!n) return;
  uint32_t h = (uid * 2654435761u) % PC__UIDLOST_SLOTS;
  for (uint32_t k = 0; k < 64; k++) {
    uint32_t i = (h + k) % PC__UIDLOST_SLOTS;
    if (u->lost[i] && u->uid[i] == uid) {
      u->lost[i] += n;
      return;
    }
    if (!u->lost[i]) {
      u->uid[i] = uid;
      u->lost[i] = n;
      return;
    }
  }
  u->other += n;
}

void pc__uidlost_top(const pc__uidlost *u, size_t n, char *buf, size_t cap) {
  if (!cap) return;
  buf[0] = '\0';
  size_t len = 0;
  uint64_t below = UINT64_MAX; /* the next pick is the biggest under the previous one */
  uint32_t below_uid = 0;
  for (size_t k = 0; k < n; k++) {
    size_t best = PC__UIDLOST_SLOTS;
    for (size_t i = 0; i < PC__UIDLOST_SLOTS; i++) {
      uint64_t v = u->lost[i];
      if (!v) continue;
      /* Strictly after the previous pick in (lost desc, uid asc) order. */
      if (v > below || (v == below && u->uid[i] <= below_uid)) continue;
      if (best == PC__UIDLOST_SLOTS || v > u->lost[best] || (v == u->lost[best] && u->uid[i] < u->uid[best]))
        best = i;
    }
    if (best == PC__UIDLOST_SLOTS) break;
    int w = snprintf(buf + len, cap - len, "%suid %u %llu", len ? ", " : "", (unsigned)u->uid[best],
                     (unsigned long long)u->lost[best]);
    if (w < 0 || (size_t)w >= cap - len) return;
    len += (size_t)w;
    below = u->lost[best];
    below_uid = u->uid[best];
  }
  if (u->other)
    snprintf(buf + len, cap - len, "%sother uids %llu", len ? ", " : "", (unsigned long long)u->other);
}

uint64_t pc__item_failures(const pc_ebpf_item *it) {
  if (!it->attempt.failed) return 0;
  return it->attempt.repeats ? it->attempt.repeats : 1;
}
