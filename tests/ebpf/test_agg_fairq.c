/* test_agg_fairq.c - the user-space half of the eBPF source's kernel-side counting
 * (monitor/source/ebpf_agg.c): kernel counts turned into repeats, the per-uid fair queue and
 * the per-uid losses. Pure: needs neither root nor BPF. */
#include <stdlib.h>
#include <string.h>

#include "ebpf_agg.h"
#include "pc_error.h"
#include "pc_test.h"

static struct pc_bpf_agg_key key_of(uint32_t tgid, uint16_t port) {
  struct pc_bpf_agg_key k;
  memset(&k, 0, sizeof k);
  k.tgid = tgid;
  k.port = port;
  k.family = 2;
  k.ret = -98;
  k.proto = 6;
  k.source = 1;
  return k;
}

static pc_ebpf_item item_of(uint32_t uid, uint32_t repeats, uint64_t ts) {
  pc_ebpf_item it;
  memset(&it, 0, sizeof it);
  it.attempt.uid = uid;
  it.attempt.failed = true;
  it.attempt.repeats = repeats;
  it.extra.ts_mono_ns = ts;
  return it;
}

/* One key: openers and settles in turn hand on exactly the failures the kernel numbered. */
PC_TEST(settle_hands_on_every_failure_once) {
  pc__aggtab *t;
  PC_CHECK_INT(pc__aggtab_new(4, &t), PC_OK);
  struct pc_bpf_agg_key k = key_of(10, 80);
  pc_ebpf_item it = item_of(0, 1, 100);
  uint64_t handed = 0;
  /* Window 1: failure 1 opens it, 2..10 are counted in the kernel. */
  pc__agg_entry *e = pc__aggtab_opened(t, &k, 1, &it, 5);
  PC_CHECK(e != NULL);
  handed += 1;
  handed += pc__agg_settle(e, 10);
  PC_CHECK_UINT(handed, 10);
  /* Nothing new: nothing more. */
  PC_CHECK_UINT(pc__agg_settle(e, 10), 0);
  /* Window 2: failure 11 opens it (received before the settle), 12..15 counted. */
  e = pc__aggtab_opened(t, &k, 11, &it, 5);
  handed += 1;
  handed += pc__agg_settle(e, 15);
  PC_CHECK_UINT(handed, 15);
  /* Window 3: two openers received (one lost its window race? no: one per window, but the
   * settle was late), counted ones between them. */
  pc__aggtab_opened(t, &k, 16, &it, 5);
  pc__aggtab_opened(t, &k, 20, &it, 5);
  handed += 2;
  handed += pc__agg_settle(e, 22);
  PC_CHECK_UINT(handed, 22);
  PC_CHECK_UINT(pc__aggtab_count(t), 1);
  pc__aggtab_free(t);
}

/* The kernel made the key anew (numbers restart at 1): counting restarts, nothing is handed
 * on twice. A key first seen with a high number (forgotten here while the kernel kept
 * counting) is counted from that number on. */
PC_TEST(numbering_restarts_or_starts_late) {
  pc__aggtab *t;
  PC_CHECK_INT(pc__aggtab_new(4, &t), PC_OK);
  struct pc_bpf_agg_key k = key_of(10, 80), late = key_of(11, 80);
  pc_ebpf_item it = item_of(0, 1, 100);
  pc__agg_entry *e = pc__aggtab_opened(t, &k, 1, &it, 5);
  PC_CHECK_UINT(pc__agg_settle(e, 7), 6);
  e = pc__aggtab_opened(t, &k, 1, &it, 5);
  PC_CHECK_UINT(pc__agg_settle(e, 3), 2);
  e = pc__aggtab_opened(t, &late, 41, &it, 5);
  PC_CHECK_UINT(pc__agg_settle(e, 50), 9);
  pc__aggtab_free(t);
}

/* Full table: the opener is refused (the caller stops counting the key); removal keeps the
 * other keys findable. */
PC_TEST(table_full_and_removal) {
  pc__aggtab *t;
  PC_CHECK_INT(pc__aggtab_new(3, &t), PC_OK);
  pc_ebpf_item it = item_of(0, 1, 100);
  for (uint16_t p = 1; p <= 3; p++) {
    struct pc_bpf_agg_key k = key_of(1, p);
    PC_CHECK(pc__aggtab_opened(t, &k, 1, &it, 5) != NULL);
  }
  struct pc_bpf_agg_key k4 = key_of(1, 4);
  PC_CHECK(pc__aggtab_opened(t, &k4, 1, &it, 5) == NULL);
  struct pc_bpf_agg_key k1 = key_of(1, 1);
  for (size_t i = 0; i < pc__aggtab_count(t); i++)
    if (pc__aggtab_at(t, i)->key.port == 1) pc__aggtab_remove(t, i);
  PC_CHECK_UINT(pc__aggtab_count(t), 2);
  PC_CHECK(pc__aggtab_find(t, &k1) == NULL);
  for (uint16_t p = 2; p <= 3; p++) {
    struct pc_bpf_agg_key k = key_of(1, p);
    PC_CHECK(pc__aggtab_find(t, &k) != NULL);
  }
  PC_CHECK(pc__aggtab_opened(t, &k4, 1, &it, 5) != NULL);
  pc__aggtab_free(t);
}

/* A uid flooding a full queue cannot push out another uid's items while that one holds no
 * more than its share (half the queue with two uids): the flooder loses its own, the
 * other's all come out, and uids are served in turn. */
PC_TEST(fair_queue_protects_the_quiet_uid) {
  pc__fairq *q;
  PC_CHECK_INT(pc__fairq_new(64, &q), PC_OK);
  pc_ebpf_item dropped, out;
  bool did_drop;
  uint64_t hog_lost = 0, quiet_lost = 0;
  for (int i = 0; i < 10000; i++) {
    pc_ebpf_item it = item_of(65534, 3, (uint64_t)i);
    pc__fairq_push(q, &it, &dropped, &did_drop);
    if (did_drop) hog_lost += pc__item_failures(&dropped);
    if (i % 500 == 0) {
      pc_ebpf_item r = item_of(0, 1, (uint64_t)i);
      pc__fairq_push(q, &r, &dropped, &did_drop);
      if (did_drop && dropped.attempt.uid == 0) quiet_lost += pc__item_failures(&dropped);
      if (did_drop && dropped.attempt.uid != 0) hog_lost += pc__item_failures(&dropped);
    }
  }
  PC_CHECK_UINT(quiet_lost, 0);
  PC_CHECK_UINT(pc__fairq_len(q), 64);
  /* 20 root items, 44 of the hog's; served alternately while both have some. */
  size_t root = 0, hog = 0;
  uint32_t prev = 1;
  bool alternated = true;
  for (int i = 0; i < 40; i++) {
    PC_CHECK(pc__fairq_pop(q, &out));
    if (out.attempt.uid == prev) alternated = false;
    prev = out.attempt.uid;
  }
  PC_CHECK(alternated);
  while (pc__fairq_pop(q, &out)) {
    if (out.attempt.uid == 0)
      root++;
    else
      hog++;
  }
  PC_CHECK_UINT(root, 0);
  PC_CHECK_UINT(hog, 24);
  PC_CHECK_UINT(hog_lost, (10000 - 44) * 3);
  PC_CHECK(!pc__fairq_pop(q, &out));
  pc__fairq_free(q);
}

/* FIFO within one uid; every item comes out once; more uids than slots still work. */
PC_TEST(fair_queue_order_and_many_uids) {
  pc__fairq *q;
  PC_CHECK_INT(pc__fairq_new(1000, &q), PC_OK);
  pc_ebpf_item dropped, out;
  bool did_drop;
  for (uint32_t i = 0; i < 1000; i++) {
    pc_ebpf_item it = item_of(i % 300, 1, i);
    PC_CHECK(pc__fairq_push(q, &it, &dropped, &did_drop));
    PC_CHECK(!did_drop);
  }
  uint64_t last_ts[300];
  memset(last_ts, 0, sizeof last_ts);
  size_t n = 0;
  while (pc__fairq_pop(q, &out)) {
    uint32_t u = out.attempt.uid;
    PC_CHECK(n < 300 || out.extra.ts_mono_ns >= last_ts[u]); /* per uid in order */
    last_ts[u] = out.extra.ts_mono_ns;
    n++;
  }
  PC_CHECK_UINT(n, 1000);
  pc__fairq_free(q);
}

PC_TEST(uid_losses_top) {
  pc__uidlost *u = calloc(1, sizeof *u);
  PC_CHECK(u != NULL);
  if (!u) return;
  char buf[160];
  pc__uidlost_top(u, 3, buf, sizeof buf);
  PC_CHECK_STR(buf, "");
  pc__uidlost_add(u, 65534, 1000);
  pc__uidlost_add(u, 1000, 5);
  pc__uidlost_add(u, 0, 7);
  pc__uidlost_add(u, 1001, 5);
  pc__uidlost_add(u, 65534, 1);
  pc__uidlost_top(u, 3, buf, sizeof buf);
  PC_CHECK_STR(buf, "uid 65534 1001, uid 0 7, uid 1000 5");
  for (uint32_t i = 0; i < 5000; i++) pc__uidlost_add(u, 100000 + i, 1);
  pc__uidlost_top(u, 1, buf, sizeof buf);
  PC_CHECK(strncmp(buf, "uid 65534 1001, other uids ", 27) == 0);
  free(u);
}
