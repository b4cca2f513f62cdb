/* pc_heap.h - the one indexed binary min-heap, for the places that merge ordered streams (the
 * ETL reader's per-CPU streams, the reorder stage's per-source queues): the next item is
 * found in O(log n), not by a scan. The caller owns the array of item pointers (and its
 * room); each item remembers where it stands through the placed callback, so that an item
 * whose key changed can be fixed in place. Static inline, so that the compiler can call the
 * callbacks directly in the record hot paths. */
#ifndef PC_HEAP_H
#define PC_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* True when a's key sorts before b's. */
typedef bool (*pc_heap_before_fn)(const void *a, const void *b);
/* item now stands at items[pos]. */
typedef void (*pc_heap_placed_fn)(void *item, size_t pos);

static inline void pc__heap_put(void **items, size_t pos, void *item, pc_heap_placed_fn placed) {
  items[pos] = item;
  placed(item, pos);
}

/* Restores the order of items[0..n) around position i, after the key of items[i] changed
 * either way or it was just put there. */
static inline void pc_heap_fix(void **items, size_t n, size_t i, pc_heap_before_fn before,
                               pc_heap_placed_fn placed) {
  void *x = items[i];
  while (i > 0 && before(x, items[(i - 1) / 2])) {
    pc__heap_put(items, i, items[(i - 1) / 2], placed);
    i = (i - 1) / 2;
  }
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(items[c + 1], items[c])) c++;
    if (!before(items[c], x)) break;
    pc__heap_put(items, i, items[c], placed);
    i = c;
  }
  pc__heap_put(items, i, x, placed);
}

/* Adds item to items[0..n) (the caller made room for n + 1) and returns the new count. */
static inline size_t pc_heap_push(void **items, size_t n, void *item, pc_heap_before_fn before,
                                  pc_heap_placed_fn placed) {
  pc__heap_put(items, n, item, placed);
  pc_heap_fix(items, n + 1, n, before, placed);
  return n + 1;
}

/* Takes the item at position i out of items[0..n) and returns the new count. */
static inline size_t pc_heap_remove(void **items, size_t n, size_t i, pc_heap_before_fn before,
                                    pc_heap_placed_fn placed) {
  void *last = items[--n];
  if (i < n) {
    pc__heap_put(items, i, last, placed);
    pc_heap_fix(items, n, i, before, placed);
  }
  return n;
}

#endif
