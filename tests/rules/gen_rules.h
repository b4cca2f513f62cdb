/* gen_rules.h - many generated rules of the shape users write (a port, a proto, every
 * hundredth a regex on the process name), for the 100 000-rule load: its linearity test
 * (test_rules_engine) and its budget (bench_rules). */
#ifndef PC_TEST_GEN_RULES_H
#define PC_TEST_GEN_RULES_H

#include <stddef.h>

/* The rule text of rules GEN-0 .. GEN-(n-1), then one more rule GEN-77 (a duplicate id the
 * compiler must find) starting at *dup_at. Heap (caller frees); NULL when out of memory. */
char *pc_test_generated_rules(int n, size_t *len, size_t *dup_at);

#endif
