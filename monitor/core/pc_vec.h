/* pc_vec.h - growing an array within a bound: the one place where capacity doubles,
 * multiplication overflow is checked and a cap is enforced. */
#ifndef PC_VEC_H
#define PC_VEC_H

#include <stddef.h>

/* Makes *arr (elements of elem bytes, *cap of them allocated; NULL/0 at first) hold at least
 * need elements, doubling from 16. max caps the element count (0 = only what size_t allows).
 * PC_OK; PC_ELIMIT when need > max (nothing changed); PC_ENOMEM (nothing changed). */
int pc_vec_reserve(void **arr, size_t *cap, size_t need, size_t elem, size_t max);

/* Appends src[0..n) (elements of elem bytes) to *dst, which holds *dn of them, and frees src
 * in every case (it is taken). PC_OK or PC_ENOMEM (*dst unchanged). */
int pc_vec_append(void **dst, size_t *dn, void *src, size_t n, size_t elem);

#endif
