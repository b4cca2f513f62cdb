/* bmap.h - a bounded hash map from a (u64, u64) key to a fixed-size value.
 *
 * Used by the correlator for its socket and process tables. It never grows: at its limit
 * an insert evicts the least recently touched entry among a few neighbours (an
 * approximation of LRU that costs O(1)), and says so, so memory stays flat whatever the
 * event rate. Values are stored inline; pointers returned are valid until the next
 * insert or remove. */
#ifndef PC_BMAP_H
#define PC_BMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_time.h"

typedef struct pc_bmap pc_bmap;

/* limit: most entries held (> 0); value_size: bytes per value. */
int pc_bmap_new(size_t limit, size_t value_size, pc_bmap **out);
void pc_bmap_free(pc_bmap *m);

/* Returns the value for the key, or NULL. Touching marks it used at `now`. */
void *pc_bmap_get(pc_bmap *m, uint64_t k1, uint64_t k2, pc_time now);

/* Returns the value for the key, inserting a zeroed one if absent. *evicted is set when an
 * older entry had to go to make room. Never fails. */
void *pc_bmap_put(pc_bmap *m, uint64_t k1, uint64_t k2, pc_time now, bool *evicted);

/* Removes the key if present. */
void pc_bmap_remove(pc_bmap *m, uint64_t k1, uint64_t k2);

size_t pc_bmap_count(const pc_bmap *m);

#endif
