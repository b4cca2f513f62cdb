#include <stdlib.h>
#include <string.h>

#include "bmap.h"
#include "pc_error.h"

/* Slot layout: header then value bytes, in one array so a lookup touches one cache line
 * for small values. */
typedef struct slot_head {
  uint64_t k1, k2;
  pc_time used;
  bool full;
} slot_head;

#define EVICT_SAMPLE 16

struct pc_bmap {
  size_t limit, count;
  size_t mask;     /* capacity - 1; capacity is a power of two, at least 2 * count */
  size_t max_mask; /* the capacity it may grow to - 1: a power of two >= 2 * limit */
  size_t value_size, slot_size;
  unsigned char *slots;
};

/* The table starts small and doubles with its contents: a correlator whose sockets come and
 * go keeps a few hundred entries, and probing a table sized for the limit (tens of MB at the
 * default 65536 endpoints) costs a cache miss, and at first a page fault, per lookup. */
#define INITIAL_CAPACITY 64

static slot_head *slot_at(const pc_bmap *m, size_t i) {
  return (slot_head *)(m->slots + i * m->slot_size);
}
static void *value_of(slot_head *s) {
  return (unsigned char *)s + sizeof(slot_head);
}

static size_t hash(uint64_t k1, uint64_t k2) {
  uint64_t h = k1 * 0x9E3779B97F4A7C15ull ^ (k2 + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 29;
  return (size_t)h;
}

int pc_bmap_new(size_t limit, size_t value_size, pc_bmap **out) {
  *out = NULL;
  if (limit == 0 || limit > (SIZE_MAX / 4)) return PC_EINVAL;
  size_t max = 16;
  while (max < 2 * limit) max *= 2;
  size_t cap = max < INITIAL_CAPACITY ? max : INITIAL_CAPACITY;
  size_t slot_size = (sizeof(slot_head) + value_size + 7) & ~(size_t)7;
  pc_bmap *m = malloc(sizeof *m);
  unsigned char *slots = calloc(cap, slot_size);
  if (!m || !slots) {
    free(m);
    free(slots);
    return PC_ENOMEM;
  }
  *m = (pc_bmap){.limit = limit,
                 .mask = cap - 1,
                 .max_mask = max - 1,
                 .value_size = value_size,
                 .slot_size = slot_size,
                 .slots = slots};
  *out = m;
  return PC_OK;
}

void pc_bmap_free(pc_bmap *m) {
  if (!m) return;
  free(m->slots);
  free(m);
}

size_t pc_bmap_count(const pc_bmap *m) {
  return m->count;
}

static slot_head *find(const pc_bmap *m, uint64_t k1, uint64_t k2, size_t *pos) {
  for (size_t i = hash(k1, k2) & m->mask;; i = (i + 1) & m->mask) {
    slot_head *s = slot_at(m, i);
    if (!s->full) {
      *pos = i;
      return NULL;
    }
    if (s->k1 == k1 && s->k2 == k2) {
      *pos = i;
      return s;
    }
  }
}

void *pc_bmap_get(pc_bmap *m, uint64_t k1, uint64_t k2, pc_time now) {
  size_t pos;
  slot_head *s = find(m, k1, k2, &pos);
  if (!s) return NULL;
  s->used = now;
  return value_of(s);
}

/* Backward-shift deletion keeps linear probing correct without tombstones. */
static void remove_at(pc_bmap *m, size_t i) {
  slot_at(m, i)->full = false;
  m->count--;
  for (size_t j = (i + 1) & m->mask;; j = (j + 1) & m->mask) {
    slot_head *s = slot_at(m, j);
    if (!s->full) return;
    size_t home = hash(s->k1, s->k2) & m->mask;
    /* Move s back to the hole if the hole lies on s's probe path (home .. j, cyclically). */
    bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      memcpy(slot_at(m, i), s, m->slot_size);
      s->full = false;
      i = j;
    }
  }
}

void pc_bmap_remove(pc_bmap *m, uint64_t k1, uint64_t k2) {
  size_t pos;
  if (find(m, k1, k2, &pos)) remove_at(m, pos);
}

/* Doubles the table (rehashing every entry); false when memory is short, and the table
 * then simply stays as it is, at most half full. */
static bool grow(pc_bmap *m) {
  size_t cap = (m->mask + 1) * 2;
  unsigned char *slots = calloc(cap, m->slot_size);
  if (!slots) return false;
  unsigned char *old = m->slots;
  size_t old_cap = m->mask + 1;
  m->slots = slots;
  m->mask = cap - 1;
  for (size_t i = 0; i < old_cap; i++) {
    slot_head *o = (slot_head *)(old + i * m->slot_size);
    if (!o->full) continue;
    size_t j = hash(o->k1, o->k2) & m->mask;
    while (slot_at(m, j)->full) j = (j + 1) & m->mask;
    memcpy(slot_at(m, j), o, m->slot_size);
  }
  free(old);
  return true;
}

void *pc_bmap_put(pc_bmap *m, uint64_t k1, uint64_t k2, pc_time now, bool *evicted) {
  size_t pos;
  *evicted = false;
  slot_head *s = find(m, k1, k2, &pos);
  if (s) {
    s->used = now;
    return value_of(s);
  }
  if (m->count < m->limit && (m->count + 1) * 2 > m->mask + 1 && m->mask < m->max_mask) {
    if (grow(m))
      find(m, k1, k2, &pos);
    else if (m->count + 1 >= m->mask + 1) {
      /* No memory to grow and one free slot left: it must stay free for probing to end. */
      size_t victim = hash(k1, k2) & m->mask;
      while (!slot_at(m, victim)->full) victim = (victim + 1) & m->mask;
      remove_at(m, victim);
      *evicted = true;
      find(m, k1, k2, &pos);
    }
  }
  if (m->count >= m->limit) {
    /* Evict the least recently used entry among a sample of occupied slots. */
    size_t victim = SIZE_MAX, seen = 0;
    size_t want = m->count < EVICT_SAMPLE ? m->count : EVICT_SAMPLE;
    for (size_t i = hash(k1, k2) & m->mask; seen < want; i = (i + 1) & m->mask) {
      slot_head *c = slot_at(m, i);
      if (!c->full) continue;
      if (victim == SIZE_MAX || c->used < slot_at(m, victim)->used) victim = i;
      seen++;
    }
    remove_at(m, victim);
    *evicted = true;
    find(m, k1, k2, &pos); /* the hole may have moved the probe end */
  }
  s = slot_at(m, pos);
  memset(s, 0, m->slot_size);
  s->full = true;
  s->k1 = k1;
  s->k2 = k2;
  s->used = now;
  m->count++;
  return value_of(s);
}
