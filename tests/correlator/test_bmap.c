/* The correlator's bounded map: it starts small and grows with its contents up to the size its
 * limit needs, and behaves the same before, during and after growing: every key inserted is
 * found with its value until removed or evicted, evictions start only at the limit, and the
 * count never passes it. A model (a plain array) checks every step of a random workload. */
#include <stdlib.h>
#include <string.h>

#include "bmap.h"
#include "pc_error.h"
#include "pc_test.h"

#define LIMIT 3000
#define KEYS 6000

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

PC_TEST(bmap_grows_and_agrees_with_a_model) {
  pc_bmap *m;
  PC_CHECK_INT(pc_bmap_new(LIMIT, sizeof(uint64_t), &m), PC_OK);
  if (!m) return;
  static uint64_t model[KEYS]; /* 0: absent, else the value + 1 */
  memset(model, 0, sizeof model);
  uint64_t seed = 12345;
  size_t present = 0, evictions = 0;
  for (int step = 0; step < 100000; step++) {
    uint64_t k = rng(&seed) % KEYS, op = rng(&seed) % 10;
    /* Keys share their low bits, as kernel addresses do. */
    uint64_t k1 = 0xffffb00000000000ull + k * 0x40, k2 = k % 3;
    if (op < 6) {
      bool evicted = false;
      uint64_t *v = pc_bmap_put(m, k1, k2, step, &evicted);
      if (!model[k]) {
        PC_CHECK(*v == 0);
        present++;
      }
      *v = (uint64_t)step;
      model[k] = (uint64_t)step + 1;
      if (evicted) {
        PC_CHECK(present > LIMIT);
        evictions++;
        /* Find which key went: the model forgets it. */
        for (size_t j = 0; j < KEYS; j++)
          if (model[j] && j != k && !pc_bmap_get(m, 0xffffb00000000000ull + j * 0x40, j % 3, step)) {
            model[j] = 0;
            present--;
            break;
          }
      }
    } else if (op < 8) {
      uint64_t *v = pc_bmap_get(m, k1, k2, step);
      PC_CHECK((v != NULL) == (model[k] != 0));
      if (v && model[k]) PC_CHECK_UINT(*v, model[k] - 1);
    } else {
      pc_bmap_remove(m, k1, k2);
      if (model[k]) present--;
      model[k] = 0;
    }
    PC_CHECK_UINT(pc_bmap_count(m), present);
    PC_CHECK(pc_bmap_count(m) <= LIMIT);
  }
  PC_CHECK(evictions > 0);
  pc_bmap_free(m);
}
