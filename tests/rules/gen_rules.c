/* gen_rules.c - generated rules for the load test and its benchmark (gen_rules.h). */
#include "gen_rules.h"

#include <stdio.h>
#include <stdlib.h>

char *pc_test_generated_rules(int n, size_t *len_out, size_t *dup_at) {
  size_t cap = (size_t)n * 200 + 256, len = 0;
  char *text = malloc(cap);
  if (!text) return NULL;
  for (int i = 0; i < n; i++)
    len += (size_t)snprintf(text + len, cap - len,
                            "rule GEN-%d\n  title \"t {port}\"\n  severity info\n  priority %d\n"
                            "  when port == %d and %s\n  explain \"e {process}\"\n  fix sh \"kill {pid}\"\n",
                            i, i % 1000, i % 65536,
                            i % 100 == 0 ? "process =~ '^gen[0-9]+$'" : "proto == \"tcp\"");
  *dup_at = len;
  len += (size_t)snprintf(
      text + len, cap - len,
      "rule GEN-77\n  title \"t\"\n  severity info\n  when true\n  explain \"e\"\n  fix \"f\"\n");
  *len_out = len;
  return text;
}
