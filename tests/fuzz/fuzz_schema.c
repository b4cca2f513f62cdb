/* Fuzzes the schema text parser; whatever parses must write and re-parse to the same set. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>

#include "pc_schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pc_schema_set *set;
  char err[256];
  if (pc_schema_set_parse((const char *)data, size, "fuzz", &set, err, sizeof err) != 0) return 0;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  pc_schema_set_write(set, f);
  fclose(f);
  pc_schema_set *again;
  if (pc_schema_set_parse(text, len, "again", &again, err, sizeof err) != 0) abort();
  if (again->count != set->count) abort();
  /* The writer groups events by provider, so compare by (provider, id, version), not by
   * position: a provider's events may be split over several blocks of the input. */
  for (size_t i = 0; i < set->count; i++) {
    const pc_schema_event *e = &set->events[i];
    const pc_schema_event *back = pc_schema_set_find(again, &e->provider, e->id, e->version);
    char diff[256];
    if (!back || !pc_schema_event_same(e, back, diff, sizeof diff)) abort();
  }
  free(text);
  pc_schema_set_free(again);
  pc_schema_set_free(set);
  return 0;
}
