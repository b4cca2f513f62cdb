/* The finding path of analyze and monitor (run.h, feed.h) on a busy host:
 *  - identical failures within the window are counted before they are explained: one
 *    host-state lookup per key and window, counts that include the attempts' repeats, and
 *    different keys that never merge;
 *  - a stop (Ctrl+C / SIGTERM) takes well under a second however much is queued, and says
 *    how many failures were not explained; --drain explains them all.
 * The host state is a fake that counts its lookups (and can be slow); the live source is a
 * fake with a full queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "pc_hoststate.h"
#include "pc_os.h"
#include "pc_test.h"
#include "run.h"

#define SEC PC_TIME_TICKS_PER_SEC

/* ---- a host state that counts its lookups ---- */

typedef struct fake_hs {
  uint64_t sockets, processes; /* calls */
  unsigned delay_ms;           /* each socket lookup takes this long (busy, like a /proc scan) */
} fake_hs;

static void spin(unsigned ms) {
  uint64_t until = pc_os_clock_ms() + ms;
  while (pc_os_clock_ms() < until) {
  }
}

static int fake_sockets(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows,
                        size_t cap, size_t *n) {
  (void)hs;
  fake_hs *f = impl;
  f->sockets++;
  spin(f->delay_ms);
  *n = 0;
  if (cap == 0) return PC_OK;
  /* One listener of the port, so the rules have an owner to name. */
  memset(&rows[0], 0, sizeof rows[0]);
  rows[0].proto = proto;
  rows[0].local.family = PC_AF_INET;
  rows[0].local.port = port;
  rows[0].state = PC_OWNER_STATE_LISTEN;
  rows[0].pid = 777;
  *n = 1;
  return PC_OK;
}

static int fake_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  fake_hs *f = impl;
  f->processes++;
  memset(out, 0, sizeof *out);
  out->pid = pid;
  snprintf(out->name, sizeof out->name, "%s", pid == 777 ? "holder" : "svc");
  return PC_OK;
}

static const pc__hoststate_ops fake_ops = {
    .name = "fake", .live = false, .os = PC_OS_LINUX, .sockets = fake_sockets, .process = fake_process};

static uint64_t lookups(const fake_hs *f) {
  return f->sockets + f->processes;
}

/* ---- the finding output, writing JSON lines to a temporary file ---- */

typedef struct rig {
  fake_hs fake;
  pc_hoststate *hs;
  pc_finding_output *out;
  FILE *findings, *status;
} rig;

static bool rig_open(rig *r, bool live, pc_time window) {
  memset(r, 0, sizeof *r);
  char err[PC_HOSTSTATE_ERR_MAX];
  if (pc__hoststate_create(&fake_ops, &r->fake, &r->hs, err, sizeof err) != PC_OK) return false;
  r->findings = tmpfile();
  r->status = tmpfile();
  if (!r->findings || !r->status) return false;
  pc_run_options run;
  memset(&run, 0, sizeof run);
  pc_sink_options_init(&run.sinks);
  run.sinks.format = PC_FORMAT_JSON;
  run.sinks.console_out = r->findings;
  run.sinks.status_out = r->status;
  run.sinks.status_interval_ms = 0;
  run.sinks.host = "test";
  run.window = window;
  pc_finding_output_options fo = {r->hs, "linux", 0, "ebpf", live, false, false};
  return pc_finding_output_open(&run, &fo, &r->out) == PC_OK;
}

typedef struct written {
  size_t n;
  uint64_t total;     /* sum of the counts */
  uint64_t count[16]; /* of the first 16 findings, in order */
  unsigned port[16];
} written;

/* Closes the output (the aggregator's findings are written) and reads the findings back. */
static void rig_close(rig *r, written *w) {
  memset(w, 0, sizeof *w);
  pc_finding_output_close(r->out, NULL, false);
  r->out = NULL;
  pc_hoststate_close(r->hs);
  rewind(r->findings);
  char line[8192];
  while (fgets(line, sizeof line, r->findings)) {
    const char *c = strstr(line, "\"count\":");
    const char *p = strstr(line, "\"port\":");
    if (!c) continue;
    uint64_t n = strtoull(c + 8, NULL, 10);
    if (w->n < 16) {
      w->count[w->n] = n;
      w->port[w->n] = p ? (unsigned)strtoul(p + 7, NULL, 10) : 0;
    }
    w->n++;
    w->total += n;
  }
  fclose(r->findings);
  fclose(r->status);
}

static pc_time t0(void) {
  return pc_time_from_unix(1795305000, 0);
}

static pc_bind_attempt failure(uint32_t pid, uint16_t port, pc_time ts) {
  pc_bind_attempt a;
  memset(&a, 0, sizeof a);
  a.ts_first = a.ts_last = ts;
  a.pid = pid;
  a.pid_known = true;
  a.start_key = 5000 + pid;
  a.local.family = PC_AF_INET;
  a.local.port = port;
  a.addr_known = true;
  a.proto = PC_PROTO_TCP;
  a.socktype = 1;
  a.stage = PC_STAGE_BIND;
  a.failed = true;
  a.error = 98; /* EADDRINUSE */
  a.error_known = true;
  a.error_is_errno = true;
  a.seen_by = PC_SEEN_EBPF;
  snprintf(a.comm, sizeof a.comm, "svc");
  return a;
}

/* ---- aggregate before explaining ---- */

PC_TEST(ten_thousand_identical_failures_are_looked_up_once_per_window) {
  rig r;
  PC_CHECK(rig_open(&r, false, 10 * SEC));
  if (!r.out) return;
  pc_bind_attempt a = failure(4242, 8080, t0());
  pc_finding_output_attempt(r.out, &a);
  uint64_t one = lookups(&r.fake);
  PC_CHECK(one > 0); /* the first failure is explained with the host state */
  /* 9 999 more within the window (one every 0.5 ms): counted, never looked up again. */
  for (int i = 1; i < 10000; i++) {
    a = failure(4242, 8080, t0() + (pc_time)i * (SEC / 2000));
    pc_finding_output_attempt(r.out, &a);
  }
  PC_CHECK_UINT(lookups(&r.fake), one);
  /* The next window explains again, once. */
  a = failure(4242, 8080, t0() + 11 * SEC);
  pc_finding_output_attempt(r.out, &a);
  PC_CHECK_UINT(lookups(&r.fake), 2 * one);
  pc_finding_output_stats st;
  pc_finding_output_get_stats(r.out, &st);
  PC_CHECK_UINT(st.explained, 2);
  PC_CHECK_UINT(st.counted, 9999);
  PC_CHECK_UINT(st.not_explained, 0);
  written w;
  rig_close(&r, &w);
  /* Offline: one finding per window, carrying the count. */
  PC_CHECK_UINT(w.n, 2);
  PC_CHECK_UINT(w.count[0], 10000);
  PC_CHECK_UINT(w.count[1], 1);
}

PC_TEST(live_the_first_is_written_at_once_the_repeats_at_window_end) {
  rig r;
  PC_CHECK(rig_open(&r, true, 10 * SEC));
  if (!r.out) return;
  for (int i = 0; i < 10000; i++) {
    pc_bind_attempt a = failure(4242, 8080, t0() + (pc_time)i * (SEC / 2000));
    pc_finding_output_attempt(r.out, &a);
  }
  PC_CHECK(lookups(&r.fake) > 0);
  PC_CHECK(lookups(&r.fake) <= 4); /* one enrichment: the port's sockets and the processes */
  fflush(r.findings);
  PC_CHECK(ftell(r.findings) > 0); /* the first finding is out before the window ends */
  written w;
  rig_close(&r, &w);
  PC_CHECK_UINT(w.n, 2);
  PC_CHECK_UINT(w.count[0], 1);
  PC_CHECK_UINT(w.count[1], 9999);
}

PC_TEST(counts_include_the_repeats_an_attempt_stands_for) {
  rig r;
  PC_CHECK(rig_open(&r, false, 10 * SEC));
  if (!r.out) return;
  /* The kernel counted 5 identical failures for each attempt it sent up, the first too. */
  for (int i = 0; i < 100; i++) {
    pc_bind_attempt a = failure(4242, 8080, t0() + (pc_time)i * (SEC / 100));
    a.repeats = 5;
    a.ts_last = a.ts_first + SEC / 200;
    pc_finding_output_attempt(r.out, &a);
  }
  /* repeats 0 and 1 both mean the attempt alone. */
  pc_bind_attempt a = failure(4242, 8080, t0() + 2 * SEC);
  a.repeats = 0;
  pc_finding_output_attempt(r.out, &a);
  a.repeats = 1;
  pc_finding_output_attempt(r.out, &a);
  pc_finding_output_stats st;
  pc_finding_output_get_stats(r.out, &st);
  PC_CHECK_UINT(st.explained, 5);
  PC_CHECK_UINT(st.counted, 99 * 5 + 2);
  written w;
  rig_close(&r, &w);
  PC_CHECK_UINT(w.n, 1);
  PC_CHECK_UINT(w.count[0], 502);
}

PC_TEST(repeats_count_without_a_window_too) {
  rig r;
  PC_CHECK(rig_open(&r, false, 0)); /* --window 0: each attempt is its own finding */
  if (!r.out) return;
  pc_bind_attempt a = failure(4242, 8080, t0());
  a.repeats = 7;
  pc_finding_output_attempt(r.out, &a);
  pc_finding_output_attempt(r.out, &a);
  written w;
  rig_close(&r, &w);
  PC_CHECK_UINT(w.n, 2);
  PC_CHECK_UINT(w.count[0], 7);
  PC_CHECK_UINT(w.count[1], 7);
}

PC_TEST(different_keys_never_merge) {
  rig r;
  PC_CHECK(rig_open(&r, false, 10 * SEC));
  if (!r.out) return;
  enum { KEYS = 8 };
  pc_bind_attempt k[KEYS];
  for (int i = 0; i < KEYS; i++) k[i] = failure(4242, 8080, t0());
  k[1].pid = 4243;              /* another process */
  k[2].start_key = 99;          /* the same PID, reused by another process */
  k[3].local.port = 8081;       /* another port */
  k[4].proto = PC_PROTO_UDP;    /* another protocol */
  k[5].local.bytes[0] = 127;    /* another address: 127.0.0.1 */
  k[5].local.bytes[3] = 1;      /* */
  k[6].error = 13;              /* another error: EACCES */
  k[7].stage = PC_STAGE_LISTEN; /* failed at listen(), not bind() */
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < KEYS; i++) {
      pc_bind_attempt a = k[i];
      a.ts_first = a.ts_last = t0() + (pc_time)(round * KEYS + i) * (SEC / 100);
      pc_finding_output_attempt(r.out, &a);
    }
  pc_finding_output_stats st;
  pc_finding_output_get_stats(r.out, &st);
  PC_CHECK_UINT(st.explained, KEYS);
  PC_CHECK_UINT(st.counted, 2 * KEYS);
  written w;
  rig_close(&r, &w);
  PC_CHECK_UINT(w.n, KEYS);
  for (int i = 0; i < KEYS; i++) PC_CHECK_UINT(w.count[i], 3);
}

/* ---- stop within a second ---- */

/* A live source whose queue holds n failures on `keys` distinct ports; the stop request (as
 * from SIGINT) arrives while it hands out the first one. */
typedef struct fake_src {
  int n, next, keys;
  volatile int *stop_flag;
  int stopped;
  int handed_after_stop;
} fake_src;

static int fs_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  (void)timeout_ms;
  fake_src *s = self;
  if (s->next >= s->n) return s->stopped ? PC_EEND : PC_ETIMEOUT;
  it->kind = PC_SOURCE_ATTEMPT;
  it->attempt = failure(4242, (uint16_t)(20000 + s->next % s->keys), pc_os_clock_now());
  if (s->next == 0) *s->stop_flag = 1; /* Ctrl+C with everything else still queued */
  if (s->stopped) s->handed_after_stop++;
  s->next++;
  return PC_OK;
}
static void fs_stats(void *self, pc_source_stats *st) {
  st->items = (uint64_t)((fake_src *)self)->next;
}
static void fs_info(void *self, pc_source_info *in) {
  (void)self;
  in->name = "fake";
}
static void fs_stop(void *self) {
  ((fake_src *)self)->stopped = 1;
}
static const char *fs_error(const void *self) {
  (void)self;
  return "";
}
static void fs_close(void *self) {
  (void)self;
}
static const pc_source_ops fs_ops = {fs_next, fs_stats, fs_info, fs_stop, fs_error, fs_close, NULL};

typedef struct stop_run {
  uint64_t ms;
  pc_finding_output_stats st;
  pc_run_counts counts;
  char line[512]; /* the status line of the summary */
  written w;
  uint64_t lookups;
} stop_run;

static void run_stop(int n, int keys, bool drain, stop_run *out) {
  memset(out, 0, sizeof *out);
  rig r;
  PC_CHECK(rig_open(&r, true, 10 * SEC));
  if (!r.out) return;
  r.fake.delay_ms = 10; /* a slow host state: 10 ms per lookup */
  volatile int stop_flag = 0;
  fake_src fs = {.n = n, .keys = keys, .stop_flag = &stop_flag};
  pc_source *src;
  PC_CHECK_INT(pc_source_new(&fs_ops, &fs, &src), PC_OK);
  pc_feed_options fo = {.live = true, .stop_flag = &stop_flag, .drain = drain};
  pc_feed *feed;
  PC_CHECK_INT(pc_feed_new(&fo, r.out, &feed), PC_OK);
  pc_feed_result res;
  uint64_t start = pc_os_clock_ms();
  pc_feed_run(feed, src, &res);
  out->ms = pc_os_clock_ms() - start;
  PC_CHECK(res.interrupted);
  PC_CHECK_UINT(res.items, (uint64_t)n); /* the source gave everything it held */
  pc_finding_output_get_stats(r.out, &out->st);
  pc_feed_counts(feed, &res, &out->counts);
  pc_sinks_status_line(pc_finding_output_sinks(r.out), &out->counts, out->line, sizeof out->line);
  out->lookups = r.fake.sockets;
  pc_feed_free(feed);
  pc_source_close(src);
  rig_close(&r, &out->w);
  printf("  %d queued on %d keys, drain %s: %llu ms, %llu lookups; %s\n", n, keys, drain ? "on" : "off",
         (unsigned long long)out->ms, (unsigned long long)out->lookups, out->line);
}

PC_TEST(stop_returns_within_a_second_and_counts_what_was_not_explained) {
  stop_run s;
  run_stop(4096, 4096, false, &s); /* every queued failure distinct: 41 s of lookups */
  PC_CHECK(s.ms < 1000);
  PC_CHECK_UINT(s.st.explained, 1); /* taken before the stop was seen */
  PC_CHECK_UINT(s.st.not_explained, 4095);
  PC_CHECK_UINT(s.counts.not_explained_at_stop, 4095);
  PC_CHECK(strstr(s.line, ", 4095 not explained at stop") != NULL);
  PC_CHECK_UINT(s.w.total, 1);
}

PC_TEST(stop_still_counts_repeats_of_what_was_explained) {
  stop_run s;
  run_stop(4096, 64, false, &s);
  PC_CHECK(s.ms < 1000);
  /* The first key was explained; its repeats still in the queue are counted into its
   * finding, the other keys' failures are not explained. Nothing is lost. */
  PC_CHECK_UINT(s.st.explained, 1);
  PC_CHECK_UINT(s.st.counted, 4096 / 64 - 1);
  PC_CHECK_UINT(s.st.explained + s.st.counted + s.st.not_explained, 4096);
  PC_CHECK_UINT(s.w.total, 4096 / 64);
}

PC_TEST(drain_explains_everything_that_was_queued) {
  stop_run s;
  run_stop(4096, 64, true, &s);
  PC_CHECK_UINT(s.st.not_explained, 0);
  PC_CHECK_UINT(s.st.explained, 64); /* once per key */
  PC_CHECK_UINT(s.st.counted, 4096 - 64);
  PC_CHECK_UINT(s.lookups, 64);
  PC_CHECK(s.ms >= 64 * 10);
  PC_CHECK_UINT(s.w.total, 4096);
  PC_CHECK(strstr(s.line, "not explained") == NULL);
}

PC_TEST(stop_without_findings_output_prints_attempts_as_before) {
  /* --attempts: nothing is explained, so a stop hands out the raw lines as before. */
  volatile int stop_flag = 0;
  fake_src fs = {.n = 16, .keys = 16, .stop_flag = &stop_flag};
  pc_source *src;
  PC_CHECK_INT(pc_source_new(&fs_ops, &fs, &src), PC_OK);
  pc_feed_options fo = {.live = true, .stop_flag = &stop_flag, .print_attempts = true};
  pc_feed *feed;
  PC_CHECK_INT(pc_feed_new(&fo, NULL, &feed), PC_OK);
  pc_feed_result res;
  pc_feed_run(feed, src, &res);
  PC_CHECK_UINT(res.items, 16);
  PC_CHECK_INT(fs.handed_after_stop, 15);
  pc_feed_free(feed);
  pc_source_close(src);
}
