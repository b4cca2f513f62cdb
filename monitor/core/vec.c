/* vec.c - pc_vec.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_vec.h"

int pc_vec_reserve(void **arr, size_t *cap, size_t need, size_t elem, size_t max) {
  if (need <= *cap) return PC_OK;
  size_t limit = SIZE_MAX / (elem ? elem : 1);
  if (max == 0 || max > limit) max = limit;
  if (need > max) return PC_ELIMIT;
  size_t ncap = *cap ? *cap : 16;
  while (ncap < need) ncap = ncap > max / 2 ? max : ncap * 2;
  if (ncap > max) ncap = max;
  void *p = realloc(*arr, ncap * elem);
  if (!p) return PC_ENOMEM;
  *arr = p;
  *cap = ncap;
  return PC_OK;
}

int pc_vec_append(void **dst, size_t *dn, void *src, size_t n, size_t elem) {
  int rc = PC_OK;
  if (n > 0) {
    void *p = n > (SIZE_MAX / elem) - *dn ? NULL : realloc(*dst, (*dn + n) * elem);
    if (p) {
      memcpy((char *)p + *dn * elem, src, n * elem);
      *dst = p;
      *dn += n;
    } else {
      rc = PC_ENOMEM;
    }
  }
  free(src);
  return rc;
}
