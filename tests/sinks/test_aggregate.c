/* test_aggregate.c - the dedup window: counts, first/last times, separation by key,
 * expiry on event time, eviction, deep copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "pc_test.h"

#define SEC PC_TIME_TICKS_PER_SEC
#define T(s) (pc_time_from_unix(1795305000, 0) + (pc_time)(s))

typedef struct got {
  size_t n;
  uint16_t port[64];
  uint64_t count[64];
  pc_time ts[64], ts_last[64];
  char process[64][32];
} got;

static void collect(void *ud, const pc_finding *f) {
  got *g = ud;
  if (g->n >= 64) return;
  g->port[g->n] = f->port;
  g->count[g->n] = f->count;
  g->ts[g->n] = f->ts;
  g->ts_last[g->n] = f->ts_last;
  snprintf(g->process[g->n], 32, "%s", f->process ? f->process : "(null)");
  g->n++;
}

static pc_finding failure(uint16_t port, pc_time ts) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = ts;
  f.event = "bind_failure";
  f.proto = "tcp";
  f.address = "0.0.0.0";
  f.port_known = true;
  f.port = port;
  f.pid_known = true;
  f.pid = 42;
  f.process = "svc.exe";
  f.rule_id = "C12";
  f.count = 1;
  return f;
}

PC_TEST(thousand_identical_become_one) {
  got g = {0};
  pc_aggregator *a;
  PC_CHECK_INT(pc_aggregator_create(NULL, collect, &g, &a), PC_OK);
  /* 1000 failures over 9.99 s of event time, inside the default 10 s window. */
  for (int i = 0; i < 1000; i++) {
    pc_finding f = failure(8080, T(i * (SEC / 100)));
    pc_aggregator_add(a, &f, f.ts);
  }
  PC_CHECK_UINT(g.n, 0); /* held until the window ends */
  pc_aggregator_advance(a, T(10 * SEC - 1));
  PC_CHECK_UINT(g.n, 0);
  pc_aggregator_advance(a, T(10 * SEC));
  PC_CHECK_UINT(g.n, 1);
  PC_CHECK_UINT(g.count[0], 1000);
  PC_CHECK_INT(g.ts[0], T(0));
  PC_CHECK_INT(g.ts_last[0], T(999 * (SEC / 100)));
  pc_agg_stats st;
  pc_aggregator_stats(a, &st);
  PC_CHECK_UINT(st.added, 1000);
  PC_CHECK_UINT(st.emitted, 1);
  PC_CHECK_UINT(st.entries, 0);
  pc_aggregator_free(a);
}

PC_TEST(different_keys_stay_separate) {
  got g = {0};
  pc_aggregator *a;
  pc_aggregator_create(NULL, collect, &g, &a);
  for (int i = 0; i < 10; i++) {
    pc_finding f = failure(8080, T(i));
    pc_aggregator_add(a, &f, f.ts);
    f = failure(8081, T(i));
    pc_aggregator_add(a, &f, f.ts);
    f = failure(8080, T(i));
    f.proto = "udp";
    pc_aggregator_add(a, &f, f.ts);
    f = failure(8080, T(i));
    f.pid = 43;
    pc_aggregator_add(a, &f, f.ts);
    f = failure(8080, T(i));
    f.rule_id = NULL;
    pc_aggregator_add(a, &f, f.ts);
  }
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 5);
  for (size_t i = 0; i < g.n; i++) PC_CHECK_UINT(g.count[i], 10);
  PC_CHECK_UINT(g.port[0], 8080); /* oldest first */
  PC_CHECK_UINT(g.port[1], 8081);
  pc_aggregator_free(a);
}

PC_TEST(window_expiry_starts_a_new_window) {
  got g = {0};
  pc_aggregator_options o = {.window = 2 * SEC};
  pc_aggregator *a;
  pc_aggregator_create(&o, collect, &g, &a);
  pc_finding f = failure(80, T(0));
  pc_aggregator_add(a, &f, f.ts);
  f = failure(80, T(SEC));
  pc_aggregator_add(a, &f, f.ts);
  f = failure(80, T(3 * SEC)); /* the first window ended at 2 s: emitted before this one */
  pc_aggregator_add(a, &f, f.ts);
  PC_CHECK_UINT(g.n, 1);
  PC_CHECK_UINT(g.count[0], 2);
  PC_CHECK_INT(g.ts_last[0], T(SEC));
  pc_aggregator_flush(a); /* at exit */
  PC_CHECK_UINT(g.n, 2);
  PC_CHECK_UINT(g.count[1], 1);
  PC_CHECK_INT(g.ts[1], T(3 * SEC));
  PC_CHECK_INT(g.ts_last[1], T(3 * SEC));
  pc_aggregator_free(a);
}

PC_TEST(bounded_table_evicts_oldest) {
  got g = {0};
  pc_aggregator_options o = {.max_entries = 4};
  pc_aggregator *a;
  pc_aggregator_create(&o, collect, &g, &a);
  for (uint16_t p = 1; p <= 6; p++) {
    pc_finding f = failure(p, T(p));
    pc_aggregator_add(a, &f, f.ts);
  }
  PC_CHECK_UINT(g.n, 2);
  PC_CHECK_UINT(g.port[0], 1);
  PC_CHECK_UINT(g.port[1], 2);
  pc_agg_stats st;
  pc_aggregator_stats(a, &st);
  PC_CHECK_UINT(st.evictions, 2);
  PC_CHECK_UINT(st.entries, 4);
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 6);
  pc_aggregator_free(a);
}

PC_TEST(strings_are_deep_copied) {
  got g = {0};
  pc_aggregator *a;
  pc_aggregator_create(NULL, collect, &g, &a);
  char proc[16] = "first.exe", addr[16] = "0.0.0.0", fix[16] = "do this";
  const char *fixes[1] = {fix};
  pc_finding f = failure(80, T(0));
  f.process = proc;
  f.address = addr;
  f.fixes = fixes;
  f.fix_count = 1;
  pc_aggregator_add(a, &f, f.ts);
  snprintf(proc, sizeof proc, "changed");
  snprintf(fix, sizeof fix, "gone");
  f = failure(80, T(1));
  pc_aggregator_add(a, &f, f.ts); /* same key: the address text is equal, not the pointer */
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 1);
  PC_CHECK_STR(g.process[0], "first.exe");
  PC_CHECK_UINT(g.count[0], 2);
  pc_aggregator_free(a);
}

PC_TEST(emit_first_mode) {
  got g = {0};
  pc_aggregator_options o = {.emit_first = true};
  pc_aggregator *a;
  pc_aggregator_create(&o, collect, &g, &a);
  for (int i = 0; i < 5; i++) {
    pc_finding f = failure(80, T(i));
    pc_aggregator_add(a, &f, f.ts);
  }
  PC_CHECK_UINT(g.n, 1);
  PC_CHECK_UINT(g.count[0], 1);
  pc_aggregator_advance(a, T(20 * SEC));
  PC_CHECK_UINT(g.n, 2);
  PC_CHECK_UINT(g.count[1], 4);            /* the repeats */
  pc_finding f = failure(81, T(30 * SEC)); /* a single one: no second finding */
  pc_aggregator_add(a, &f, f.ts);
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 3);
  pc_aggregator_free(a);
}

PC_TEST(unknown_event_time_is_safe) {
  got g = {0};
  pc_aggregator *a;
  pc_aggregator_create(NULL, collect, &g, &a);
  pc_finding f = failure(80, PC_TIME_UNKNOWN);
  pc_aggregator_add(a, &f, PC_TIME_UNKNOWN); /* no overflow in now - start */
  pc_aggregator_add(a, &f, PC_TIME_UNKNOWN);
  pc_aggregator_advance(a, PC_TIME_UNKNOWN);
  PC_CHECK_UINT(g.n, 0);
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 1);
  PC_CHECK_UINT(g.count[0], 2);
  pc_aggregator_free(a);
}

/* ---- aggregating before explaining (pc_aggregator_count / add_explained) ---- */

static pc_bind_attempt attempt(uint16_t port, pc_time ts) {
  pc_bind_attempt at;
  memset(&at, 0, sizeof at);
  at.ts_first = at.ts_last = ts;
  at.pid = 42;
  at.pid_known = true;
  at.start_key = 7;
  at.local.family = PC_AF_INET;
  at.local.port = port;
  at.addr_known = true;
  at.proto = PC_PROTO_TCP;
  at.failed = at.error_known = at.error_is_errno = true;
  at.error = 98;
  return at;
}

/* What the finding path does with one failure: count it, or explain it (here: a finding). */
static bool feed_one(pc_aggregator *a, const pc_bind_attempt *at) {
  if (pc_aggregator_count(a, at, at->ts_first)) return false;
  pc_finding f = failure(at->local.port, at->ts_first);
  f.count = at->repeats > 1 ? at->repeats : 1;
  pc_aggregator_add_explained(a, at, &f, at->ts_first);
  return true;
}

PC_TEST(counted_failures_close_the_window_with_their_count) {
  got g = {0};
  pc_aggregator *a;
  PC_CHECK_INT(pc_aggregator_create(NULL, collect, &g, &a), PC_OK);
  int explained = 0;
  for (int i = 0; i < 100; i++) {
    pc_bind_attempt at = attempt(8080, T(i * (SEC / 20)));
    at.repeats = i == 50 ? 3 : 0; /* one attempt stands for 3 failures */
    explained += feed_one(a, &at);
  }
  PC_CHECK_INT(explained, 1);
  pc_agg_stats st;
  pc_aggregator_stats(a, &st);
  PC_CHECK_UINT(st.counted, 101);
  pc_aggregator_advance(a, T(10 * SEC));
  PC_CHECK_UINT(g.n, 1);
  PC_CHECK_UINT(g.count[0], 102);
  PC_CHECK(g.ts[0] == T(0));
  PC_CHECK(g.ts_last[0] == T(99 * (SEC / 20)));
  /* The next window explains again. */
  pc_bind_attempt at = attempt(8080, T(10 * SEC));
  PC_CHECK(feed_one(a, &at));
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 2);
  pc_aggregator_free(a);
}

PC_TEST(failure_keys_and_finding_keys_stay_apart) {
  got g = {0};
  pc_aggregator *a;
  pc_aggregator_create(NULL, collect, &g, &a);
  pc_bind_attempt at = attempt(8080, T(0));
  PC_CHECK(feed_one(a, &at));
  pc_finding f = failure(8080, T(1)); /* the same finding text, from elsewhere (no failure key) */
  pc_aggregator_add(a, &f, f.ts);
  at.start_key = 8; /* PID 42 reused by another process */
  PC_CHECK(feed_one(a, &at));
  pc_aggregator_flush(a);
  PC_CHECK_UINT(g.n, 3);
  pc_aggregator_free(a);
}

PC_TEST(a_full_table_of_failure_keys_evicts_and_counts) {
  got g = {0};
  pc_aggregator_options o = {.max_entries = 4};
  pc_aggregator *a;
  pc_aggregator_create(&o, collect, &g, &a);
  uint64_t sent = 0;
  for (int round = 0; round < 3; round++)
    for (uint16_t p = 1; p <= 6; p++) {
      pc_bind_attempt at = attempt(p, T(round * 6 + p));
      feed_one(a, &at);
      sent++;
    }
  pc_agg_stats st;
  pc_aggregator_stats(a, &st);
  PC_CHECK(st.evictions > 0);
  PC_CHECK_UINT(st.entries, 4);
  pc_aggregator_flush(a);
  uint64_t total = 0;
  for (size_t i = 0; i < g.n; i++) total += g.count[i];
  PC_CHECK_UINT(total, sent); /* evicted early, never lost */
  pc_aggregator_free(a);
}
