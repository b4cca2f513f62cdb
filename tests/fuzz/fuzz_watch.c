/* libFuzzer target: the watch-list parser and the state-file loaders (learned ports, range
 * snapshots). The first byte picks the parser; none may crash, leak or read out of bounds,
 * and a learned store that loaded must format and load again to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "learned_ports.h"
#include "ranges_diff.h"
#include "watch_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t which = data[0] % 3;
  data++;
  size--;
  char err[512];
  if (which == 0) {
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    pc_watch_list *w;
    if (pc_watch_new(&w) == PC_OK) {
      if (pc_watch_add(w, text, "--watch", err, sizeof err) == PC_OK) {
        for (size_t i = 0; i < pc_watch_count(w); i++) {
          const pc_watch_entry *e = &pc_watch_entries(w)[i];
          if (e->lo == 0 || e->lo > e->hi || !pc_watch_contains(w, 0, e->lo)) abort();
        }
      }
      pc_watch_free(w);
    }
    free(text);
  } else if (which == 1) {
    pc_learned *l, *m;
    if (pc_learned_new(16, &l) != PC_OK) return 0;
    if (pc_learned_parse(l, (const char *)data, size, "fuzz", err, sizeof err) == PC_OK) {
      char *text;
      size_t len;
      if (pc_learned_format(l, &text, &len) == PC_OK) {
        if (pc_learned_new(16, &m) == PC_OK) {
          if (pc_learned_parse(m, text, len, "again", err, sizeof err) != PC_OK ||
              pc_learned_count(m) != pc_learned_count(l))
            abort();
          pc_learned_free(m);
        }
        free(text);
      }
    }
    pc_learned_free(l);
  } else {
    pc_range_snapshot s;
    if (pc_range_snapshot_parse((const char *)data, size, "fuzz", &s, err, sizeof err) == PC_OK) {
      char *text;
      size_t len;
      if (pc_range_snapshot_format(&s, &text, &len) == PC_OK) {
        pc_range_snapshot t;
        if (pc_range_snapshot_parse(text, len, "again", &t, err, sizeof err) != PC_OK ||
            !pc_range_snapshot_equal(&s, &t))
          abort();
        pc_range_snapshot_clear(&t);
        free(text);
      }
    }
    pc_range_snapshot_clear(&s);
  }
  return 0;
}
