/* The reorder stage on its own (issue 14): order across processors within the watermark,
 * bounded memory with the early releases counted, late events passed on and counted, and
 * reserve/commit in place. */
#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_test.h"
#include "reorder.h"

typedef struct seen {
  pc_time ts[64];
  int n;
} seen;

static void collect(const pc_event *ev, void *ud) {
  seen *s = ud;
  if (s->n < 64) s->ts[s->n++] = ev->ts;
}

static pc_event at(pc_time ts) {
  pc_event e;
  memset(&e, 0, sizeof e);
  e.ts = ts;
  return e;
}

PC_TEST(two_processors_merge_by_time_within_the_watermark) {
  pc_reorder_config cfg = {10 * PC_TIME_TICKS_PER_MS, 64};
  seen s = {.n = 0};
  pc_reorder *r;
  PC_CHECK_INT(pc_reorder_new(&cfg, collect, &s, &r), PC_OK);
  /* CPU 1's buffer (later events) arrives first, CPU 0's after it. */
  pc_event e;
  e = at(1000), pc_reorder_push(r, &e, 1);
  e = at(3000), pc_reorder_push(r, &e, 1);
  e = at(500), pc_reorder_push(r, &e, 0);
  e = at(2000), pc_reorder_push(r, &e, 0);
  PC_CHECK_INT(s.n, 0); /* all within the watermark: held */
  pc_reorder_advance(r, 3000 + 10 * PC_TIME_TICKS_PER_MS);
  PC_CHECK_INT(s.n, 4);
  for (int i = 1; i < s.n; i++) PC_CHECK(s.ts[i - 1] <= s.ts[i]);
  pc_reorder_stats st;
  pc_reorder_get_stats(r, &st);
  PC_CHECK_UINT(st.late, 0);
  PC_CHECK_UINT(st.forced, 0);
  /* Older than what was released: passed on at once, counted. */
  e = at(100), pc_reorder_push(r, &e, 2);
  pc_reorder_get_stats(r, &st);
  PC_CHECK_UINT(st.late, 1);
  PC_CHECK_INT(s.n, 5);
  pc_reorder_free(r);
}

PC_TEST(memory_is_bounded_and_early_releases_are_counted) {
  pc_reorder_config cfg = {PC_TIME_TICKS_PER_SEC, 8};
  seen s = {.n = 0};
  pc_reorder *r;
  PC_CHECK_INT(pc_reorder_new(&cfg, collect, &s, &r), PC_OK);
  for (int i = 0; i < 20; i++) {
    pc_event *slot = pc_reorder_reserve(r, (uint16_t)(i % 3));
    PC_CHECK(slot != NULL);
    if (!slot) break;
    *slot = at(1000 + i);
    pc_reorder_commit(r);
  }
  pc_reorder_stats st;
  pc_reorder_get_stats(r, &st);
  PC_CHECK(st.held <= 8);
  PC_CHECK(st.held_max <= 8);
  PC_CHECK_UINT(st.forced, 12);
  pc_reorder_flush(r);
  PC_CHECK_INT(s.n, 20); /* nothing lost */
  for (int i = 1; i < s.n; i++) PC_CHECK(s.ts[i - 1] <= s.ts[i]);
  pc_reorder_free(r);
}
