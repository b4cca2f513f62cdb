/* alloc_fail.h - make the Nth allocation fail (see alloc_fail.c). */
#ifndef PC_ALLOC_FAIL_H
#define PC_ALLOC_FAIL_H

/* From now on, the nth allocation (1-based) returns NULL; -1 turns failures off. Resets
 * the call counter. */
void pc_alloc_fail_at(long nth);

/* Allocations made since the last pc_alloc_fail_at. */
long pc_alloc_calls(void);

#endif
