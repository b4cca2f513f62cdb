/* etl_counts.c - events counted per (provider GUID, event id, version).
 *
 * An open-addressing hash table with a fixed capacity: a hostile file cannot make it
 * grow, and the per-event cost is one hash and usually one probe (plus a one-entry cache,
 * since consecutive events often share their key). */
#include <stdlib.h>
#include <string.h>

#include "etl_internal.h"

#define SLOTS 8192u /* power of two, twice PC_ETL_MAX_COUNTED */

/* The capacities are fixed, so the arrays live in the one allocation. */
struct pc__etl_counts {
  size_t n;
  size_t last;                              /* cache: index + 1 of the last entry hit */
  uint16_t slot[SLOTS];                     /* index + 1 into entries, 0 = empty */
  pc_etl_count entries[PC_ETL_MAX_COUNTED]; /* in insertion order */
  pc_etl_count sorted[PC_ETL_MAX_COUNTED];  /* snapshot for pc__etl_counts_sorted */
};

pc__etl_counts *pc__etl_counts_new(void) {
  return calloc(1, sizeof(pc__etl_counts));
}

void pc__etl_counts_free(pc__etl_counts *c) {
  free(c);
}

static bool same(const pc_etl_count *e, const pc_guid *g, uint16_t id, uint8_t version) {
  return e->id == id && e->version == version && pc_guid_equal(&e->provider, g);
}

bool pc__etl_counts_add(pc__etl_counts *c, const pc_guid *g, uint16_t id, uint8_t version) {
  if (c->last && same(&c->entries[c->last - 1], g, id, version)) {
    c->entries[c->last - 1].events++;
    return true;
  }
  /* Few providers and many ids: the id and version vary most, the GUID's first field tells
   * the providers apart; a collision only costs a probe (same() compares everything). */
  uint32_t h = g->data1 ^ ((uint32_t)g->data2 << 16 | g->data3);
  h = (h ^ ((uint32_t)id << 8 | version)) * 2654435761u; /* spread the low bits the mask keeps */
  h ^= h >> 15;
  for (uint32_t i = 0; i < SLOTS; i++) {
    uint32_t s = (h + i) & (SLOTS - 1);
    if (c->slot[s] == 0) {
      if (c->n == PC_ETL_MAX_COUNTED) return false;
      pc_etl_count *e = &c->entries[c->n];
      e->provider = *g;
      e->id = id;
      e->version = version;
      e->events = 1;
      c->slot[s] = (uint16_t)(++c->n);
      c->last = c->n;
      return true;
    }
    pc_etl_count *e = &c->entries[c->slot[s] - 1];
    if (same(e, g, id, version)) {
      e->events++;
      c->last = c->slot[s];
      return true;
    }
  }
  return false;
}

static int cmp_count(const void *a, const void *b) {
  const pc_etl_count *x = a, *y = b;
  if (x->provider.data1 != y->provider.data1) return x->provider.data1 < y->provider.data1 ? -1 : 1;
  if (x->provider.data2 != y->provider.data2) return x->provider.data2 < y->provider.data2 ? -1 : 1;
  if (x->provider.data3 != y->provider.data3) return x->provider.data3 < y->provider.data3 ? -1 : 1;
  int d = memcmp(x->provider.data4, y->provider.data4, 8);
  if (d) return d;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  if (x->version != y->version) return x->version < y->version ? -1 : 1;
  return 0;
}

const pc_etl_count *pc__etl_counts_sorted(pc__etl_counts *c, size_t *n) {
  memcpy(c->sorted, c->entries, c->n * sizeof *c->sorted);
  qsort(c->sorted, c->n, sizeof *c->sorted, cmp_count);
  *n = c->n;
  return c->sorted;
}
