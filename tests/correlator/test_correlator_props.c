/* A generated property test of the correlator with its reorder stage (issue 14).
 *
 * The cases are data made by a generator, not written by hand. For each failure kind (TCP in
 * use, TCP access denied on an excluded port, a sharing conflict with the holder's options,
 * UDP in use, IPv6 in use), every non-empty subset of the three providers' events, header
 * PIDs {caller, 0, 4, another process} on the kernel providers' events (Winsock-Sockets is a
 * user-mode provider: its header is the caller by definition), STATUS_PENDING then the final
 * status or the final status at once, legacy AFD event 40 present or not, and a nested AFD
 * enter/exit pair or not, the generator writes one bind that fails (and, for the same
 * variant, one that succeeds) after an earlier successful bind of another process (the
 * holder). The failing bind's events are split over two processors at every split point and
 * delivered in every buffer order (the later processor's buffer first, or the earlier's),
 * plus a fixed-seed sample of other interleavings that keep each processor's order; the
 * holder's events sit on the first processor, 0.8 s earlier.
 *
 * Properties, for every delivery: exactly one failure per failed bind and none for a
 * successful one; the caller's PID whenever a reliable source names it (AFD create payload,
 * Winsock-Sockets header, TCPIP endpoint creation with ProcessId), else unknown, and never
 * 0, 4 or the other process; the error the application saw; never STATUS_PENDING as the
 * status; the holder's options when the stream showed them (Winsock-Sockets 8); no
 * attempt counted as of unknown outcome. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlator.h"
#include "pc_decode.h"
#include "pc_error.h"
#include "pc_fixture.h"
#include "reorder.h"
#include "pc_test.h"

#define CALLER 2000u
#define HOLDER 3000u
#define OTHER 7777u
#define MAX_EV 64

enum { P_AFD = 1, P_TCPIP = 2, P_WS = 4 };
enum { K_TCP_INUSE, K_TCP_EXCLUDED, K_SHARING, K_UDP_INUSE, K_IPV6, K_COUNT };

typedef struct kind {
  const char *name;
  bool udp;
  const char *fail_addr;   /* the failing bind's address */
  const char *holder_addr; /* NULL: no holder */
  uint32_t afd_status, tcpip_status, wsa;
  int holder_opt; /* Winsock-Sockets OptName the holder sets: 4 SO_REUSEADDR, -5 SO_EXCLUSIVEADDRUSE, 0 */
  uint32_t holder_bit;
  bool win11; /* TCPIP v1 events with Endpoint, joined to a process by 1013 v2 / 1391 */
} kind;

static const kind kinds[K_COUNT] = {
    {"tcp-in-use", false, "0.0.0.0:8080", "0.0.0.0:8080", 0xC0000043u, 0xC000020Au, 10048, 0, 0, false},
    {"tcp-excluded", false, "0.0.0.0:50000", NULL, 0xC0000022u, 0xC0000022u, 10013, 0, 0, false},
    {"sharing", false, "127.0.0.1:9090", "0.0.0.0:9090", 0xC0000022u, 0xC0000022u, 10013, -5,
     PC_SOCKOPT_EXCLUSIVEADDRUSE, false},
    {"udp-in-use", true, "0.0.0.0:5353", "0.0.0.0:5353", 0xC0000043u, 0xC000020Au, 10048, 4,
     PC_SOCKOPT_REUSEADDR, true},
    {"ipv6-in-use", false, "[::]:443", "[::]:443", 0xC0000043u, 0xC000020Au, 10048, 0, 0, true},
};

static const uint32_t header_pids[4] = {CALLER, 0, 4, OTHER};

typedef struct variant {
  int kind;
  unsigned providers; /* P_* */
  uint32_t header;    /* header PID of kernel events */
  bool pending, legacy40, nested, fail;
} variant;

typedef struct gen {
  char text[16384];
  size_t len;
  int cpu_of[MAX_EV]; /* -1: the holder's (processor 0, kept first) */
  int n;
} gen;

static void line(gen *g, int part, const char *fmt, ...) PC_PRINTF(3, 4);
static void line(gen *g, int part, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(g->text + g->len, sizeof g->text - g->len, fmt, ap);
  va_end(ap);
  if (k > 0) g->len += (size_t)k;
  g->cpu_of[g->n++] = part;
}

/* Writes the fixture text of one variant: the holder's successful bind at 0.2 s (part -1),
 * then the bind under test at 1.0 s (part = index among its events). */
static void generate(const variant *v, gen *g) {
  const kind *k = &kinds[v->kind];
  g->len = 0;
  g->n = 0;
  g->text[0] = 0;
  unsigned h = v->header;
  const char *stype = k->udp ? "SocketType=2 Protocol=17" : "SocketType=1 Protocol=6";
  int fam = k->fail_addr[0] == '[' ? 23 : 2;
  if (k->holder_addr) {
    if (v->providers & P_WS) {
      line(g, -1,
           "@0.200000 winsock 2 v0 pid=%u : ErrorCode=0 Socket=0x300 AddressFamily=%d %s ProcessId=%u\n",
           HOLDER, fam, stype, HOLDER);
      if (k->holder_opt)
        line(g, -1,
             "@0.200010 winsock 8 v0 pid=%u : ErrorCode=0 Socket=0x300 Level=0xFFFF OptName=%d "
             "OptVal=hex:01000000\n",
             HOLDER, k->holder_opt);
    }
    if (v->providers & P_AFD) {
      line(g, -1,
           "@0.200020 afd 1000 v0 pid=%u : EnterExit=1 Location=1012 Process=0xffffa00000030000 "
           "Endpoint=0xffffb00000000300 "
           "AddressFamily=%d %s ProcessId=%u Status=0\n",
           h, fam, stype, HOLDER);
      line(g, -1,
           "@0.200030 afd 1030 v0 pid=%u : EnterExit=0 Location=7000 Process=0xffffa00000030000 "
           "Endpoint=0xffffb00000000300 Status=0 Address=%s\n",
           h, k->holder_addr);
    }
    if (v->providers & P_TCPIP) {
      if (k->udp)
        line(g, -1, "@0.200040 tcpip 1396 v0 pid=%u : LocalAddress=%s Status=0 Endpoint=0xffffc00000000300\n",
             h, k->holder_addr);
      else
        line(g, -1, "@0.200040 tcpip 1008 v0 pid=%u : LocalAddress=%s Status=0\n", h, k->holder_addr);
    }
    if (v->providers & P_AFD)
      line(g, -1,
           "@0.200050 afd 1030 v0 pid=%u : EnterExit=1 Location=7001 Process=0xffffa00000030000 "
           "Endpoint=0xffffb00000000300 Status=0\n",
           h);
    if (v->providers & P_WS)
      line(g, -1, "@0.200060 winsock 12 v0 pid=%u : ErrorCode=0 Socket=0x300 Address=%s\n", HOLDER,
           k->holder_addr);
  }
  /* The bind under test. */
  uint32_t afd_final = v->fail ? k->afd_status : 0;
  int part = 0;
  if (v->providers & P_WS)
    line(g, part++,
         "@1.000000 winsock 2 v0 pid=%u : ErrorCode=0 Socket=0x200 AddressFamily=%d %s ProcessId=%u\n",
         CALLER, fam, stype, CALLER);
  if (v->providers & P_AFD)
    line(g, part++,
         "@1.000010 afd 1000 v0 pid=%u : EnterExit=1 Location=1012 Process=0xffffa00000020000 "
         "Endpoint=0xffffb00000000200 "
         "AddressFamily=%d %s ProcessId=%u Status=0\n",
         h, fam, stype, CALLER);
  if ((v->providers & P_TCPIP) && k->win11) {
    if (k->udp)
      line(g, part++,
           "@1.000020 tcpip 1391 v1 pid=%u : Endpoint=0xffffc00000000200 Status=0 ProcessId=%u "
           "CompartmentId=1 "
           "AddressFamily=%d ProcessStartKey=0\n",
           h, CALLER, fam);
    else
      line(g, part++,
           "@1.000020 tcpip 1013 v2 pid=%u : Endpoint=0xffffc00000000200 LocalAddress=%s Status=0 "
           "ProcessId=%u "
           "CompartmentId=1 AddressFamily=%d ProcessStartKey=0\n",
           h, fam == 23 ? "[::]:0" : "0.0.0.0:0", CALLER, fam);
  }
  if (v->providers & P_AFD) {
    line(g, part++,
         "@1.000100 afd 1030 v0 pid=%u : EnterExit=0 Location=7010 Process=0xffffa00000020000 "
         "Endpoint=0xffffb00000000200 Status=0 Address=%s\n",
         h, k->fail_addr);
    if (v->nested)
      line(g, part++,
           "@1.000110 afd 1030 v0 pid=%u : EnterExit=0 Location=7011 Process=0xffffa00000020000 "
           "Endpoint=0xffffb00000000200 Status=0 Address=%s\n",
           h, k->fail_addr);
  }
  if (v->providers & P_TCPIP) {
    uint32_t st = v->fail ? k->tcpip_status : 0;
    if (k->udp)
      line(g, part++,
           "@1.000150 tcpip %u v0 pid=%u : LocalAddress=%s Status=0x%08X Endpoint=0xffffc00000000200\n",
           v->fail ? 1394u : 1396u, h, k->fail_addr, st);
    else if (k->win11)
      line(g, part++,
           "@1.000150 tcpip %u v1 pid=%u : Endpoint=0xffffc00000000200 LocalAddress=%s Status=0x%08X\n",
           v->fail ? 1006u : 1008u, h, k->fail_addr, st);
    else
      line(g, part++, "@1.000150 tcpip %u v0 pid=%u : LocalAddress=%s Status=0x%08X\n",
           v->fail ? 1006u : 1008u, h, k->fail_addr, st);
  }
  if (v->providers & P_AFD) {
    uint32_t first = v->pending ? 0x103u : afd_final;
    if (v->nested)
      line(g, part++,
           "@1.000190 afd 1030 v0 pid=%u : EnterExit=1 Location=7021 Process=0xffffa00000020000 "
           "Endpoint=0xffffb00000000200 Status=0x%08X\n",
           h, first);
    line(g, part++,
         "@1.000200 afd 1030 v0 pid=%u : EnterExit=1 Location=7022 Process=0xffffa00000020000 "
         "Endpoint=0xffffb00000000200 Status=0x%08X\n",
         h, first);
    if (v->pending)
      line(g, part++,
           "@1.400000 afd 1030 v0 pid=%u : EnterExit=3 Location=7030 Process=0xffffa00000020000 "
           "Endpoint=0xffffb00000000200 Status=0x%08X\n",
           h, afd_final);
    if (v->legacy40 && v->fail)
      line(g, part++,
           "@%s afd 40 v0 pid=%u : Process=0xffffa00000020000 Endpoint=0xffffb00000000200 Error=0x%08X\n",
           v->pending ? "1.400010" : "1.000210", h, afd_final);
  }
  if (v->providers & P_WS)
    line(g, part++, "@%s winsock 12 v0 pid=%u : ErrorCode=%u Socket=0x200 Address=%s\n",
         v->pending && (v->providers & P_AFD) ? "1.400100" : "1.000300", CALLER, v->fail ? k->wsa : 0,
         k->fail_addr);
}

typedef struct result {
  int failures, successes;
  pc_bind_attempt last;
} result;

static void collect(const pc_bind_attempt *a, void *ud) {
  result *r = ud;
  if (a->failed) {
    r->failures++;
    r->last = *a;
  } else {
    r->successes++;
  }
}

typedef struct feed {
  pc_correlator *c;
} feed;

static void to_correlator(const pc_event *ev, void *ud) {
  pc_correlator_feed(ud, ev);
}

static uint64_t rng(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

typedef struct counts {
  unsigned variants, deliveries, failures;
} counts;

/* Runs one delivery order of decoded events; checks the properties. */
static void run_order(const variant *v, const pc_event *ev, const int *cpu, const int *order, int n,
                      const char *desc, counts *ct) {
  pc_correlator_config cfg;
  pc_correlator_config_default(&cfg);
  cfg.max_endpoints = 64;
  cfg.max_processes = 64;
  cfg.max_open = 64;
  cfg.max_holders = 64;
  result res = {0};
  pc_correlator *c;
  pc_reorder *ro;
  if (pc_correlator_new(&cfg, collect, &res, &c) != PC_OK ||
      pc_reorder_new(NULL, to_correlator, c, &ro) != PC_OK) {
    pc__test_fail(__FILE__, __LINE__, "out of memory");
    return;
  }
  for (int i = 0; i < n; i++) {
    pc_reorder_push(ro, &ev[order[i]], (uint16_t)cpu[order[i]]);
    pc_time t = pc_reorder_released_until(ro);
    if (t != PC_TIME_UNKNOWN) pc_correlator_advance(c, t);
  }
  pc_reorder_flush(ro);
  pc_correlator_flush(c);
  pc_correlator_stats st;
  pc_correlator_get_stats(c, &st);
  pc_reorder_stats rs;
  pc_reorder_get_stats(ro, &rs);
  pc_reorder_free(ro);
  pc_correlator_free(c);
  ct->deliveries++;

  const kind *k = &kinds[v->kind];
  char why[256] = "";
  int expect_fail = v->fail ? 1 : 0;
  /* Which reliable sources name the caller in this stream. */
  bool named = (v->providers & (P_AFD | P_WS)) || ((v->providers & P_TCPIP) && k->win11);
  if (res.failures != expect_fail)
    snprintf(why, sizeof why, "%d failures, expected %d", res.failures, expect_fail);
  else if (res.successes)
    snprintf(why, sizeof why, "%d successes reported", res.successes);
  else if (st.outcome_unknown)
    snprintf(why, sizeof why, "%llu of unknown outcome", (unsigned long long)st.outcome_unknown);
  else if (rs.late || rs.forced)
    snprintf(why, sizeof why, "reorder: %llu late, %llu forced", (unsigned long long)rs.late,
             (unsigned long long)rs.forced);
  else if (v->fail) {
    const pc_bind_attempt *a = &res.last;
    if (named && (!a->pid_known || a->pid != CALLER))
      snprintf(why, sizeof why, "pid %s%u, expected %u", a->pid_known ? "" : "unknown ", a->pid, CALLER);
    else if (!named && a->pid_known)
      snprintf(why, sizeof why, "pid %u named, no reliable source names one", a->pid);
    else if (!a->error_known || a->error != k->wsa)
      snprintf(why, sizeof why, "error %u, expected %u", a->error, k->wsa);
    else if (a->ntstatus_known && a->ntstatus == 0x103u)
      snprintf(why, sizeof why, "status is STATUS_PENDING");
    else if (!a->addr_known)
      snprintf(why, sizeof why, "address unknown");
    else if (k->holder_bit && (v->providers & P_WS) &&
             (!a->holder_known || !(a->holder_sockopts_known & k->holder_bit) ||
              !(a->holder_sockopts & k->holder_bit)))
      snprintf(why, sizeof why, "holder options missing (holder %s, opts %x/%x)",
               a->holder_known ? "known" : "unknown", a->holder_sockopts, a->holder_sockopts_known);
    else if (!k->holder_addr && a->holder_known)
      snprintf(why, sizeof why, "a holder named where none bound");
    else if (k->holder_addr && a->holder_known && a->holder_pid_known && a->holder_pid != HOLDER)
      snprintf(why, sizeof why, "holder pid %u", a->holder_pid);
  }
  if (why[0]) {
    ct->failures++;
    if (ct->failures <= 10 || getenv("PC_PROPS_ALL"))
      pc__test_fail(__FILE__, __LINE__,
                    "%s providers=%s%s%s header=%u pending=%d legacy40=%d nested=%d %s, %s: %s", k->name,
                    (v->providers & P_AFD) ? "afd," : "", (v->providers & P_TCPIP) ? "tcpip," : "",
                    (v->providers & P_WS) ? "winsock" : "", v->header, v->pending, v->legacy40, v->nested,
                    v->fail ? "failing" : "succeeding", desc, why);
  }
}

/* Decodes the variant and runs every delivery order. */
static void run_variant(const variant *v, pc_decoder *dec, counts *ct, uint64_t *seed) {
  static gen g;
  generate(v, &g);
  ct->variants++;
  pc_fixture *fx;
  if (pc_fixture_open(g.text, g.len, "generated", pc_decoder_schemas(dec), &fx) != PC_OK) {
    pc__test_fail(__FILE__, __LINE__, "fixture did not open");
    return;
  }
  pc_event ev[MAX_EV];
  int cpu[MAX_EV];
  int n = 0;
  pc_record r;
  int rc;
  while ((rc = pc_fixture_next(fx, &r)) == PC_OK && n < MAX_EV) {
    if (pc_decoder_decode(dec, &r, &ev[n]) != PC_OK) {
      pc__test_fail(__FILE__, __LINE__, "generated record %u v%u did not decode", r.id, r.version);
      pc_fixture_close(fx);
      return;
    }
    n++;
  }
  if (rc != 1) pc__test_fail(__FILE__, __LINE__, "generated fixture: %s\n%s", pc_fixture_error(fx), g.text);
  pc_fixture_close(fx);
  int holders = 0;
  while (holders < n && g.cpu_of[holders] < 0) holders++;
  int bind_n = n - holders;
  int order[MAX_EV];
  char desc[64];
  /* Every split point, both buffer orders. */
  for (int split = 0; split <= bind_n; split++) {
    for (int i = 0; i < n; i++) cpu[i] = i < holders ? 0 : (i - holders < split ? 0 : 1);
    for (int later_first = 0; later_first < 2; later_first++) {
      int m = 0;
      for (int pass = 0; pass < 2; pass++) {
        int want = later_first ? (pass == 0 ? 1 : 0) : pass;
        for (int i = 0; i < n; i++)
          if (cpu[i] == want) order[m++] = i;
      }
      snprintf(desc, sizeof desc, "split %d, cpu %d's buffer first", split, later_first ? 1 : 0);
      run_order(v, ev, cpu, order, n, desc, ct);
    }
  }
  /* A sample of other interleavings that keep each processor's order. */
  for (int s = 0; s < 4; s++) {
    int split = (int)(rng(seed) % (uint64_t)(bind_n + 1));
    for (int i = 0; i < n; i++) cpu[i] = i < holders ? 0 : (i - holders < split ? 0 : 1);
    int next[2] = {0, 0}, m = 0;
    int idx[2][MAX_EV], cnt[2] = {0, 0};
    for (int i = 0; i < n; i++) idx[cpu[i]][cnt[cpu[i]]++] = i;
    while (m < n) {
      int pick = (int)(rng(seed) & 1);
      if (next[pick] == cnt[pick]) pick ^= 1;
      order[m++] = idx[pick][next[pick]++];
    }
    snprintf(desc, sizeof desc, "split %d, random interleaving %d", split, s);
    run_order(v, ev, cpu, order, n, desc, ct);
  }
}

PC_TEST(generated_variants_one_finding_per_failed_bind) {
  pc_decoder *dec;
  PC_CHECK_INT(pc_decoder_new(NULL, &dec), PC_OK);
  counts ct = {0};
  uint64_t seed = 14;
  for (int kd = 0; kd < K_COUNT; kd++)
    for (unsigned prov = 1; prov < 8; prov++)
      for (int hp = 0; hp < 4; hp++)
        for (int pending = 0; pending < 2; pending++)
          for (int legacy = 0; legacy < 2; legacy++)
            for (int nested = 0; nested < 2; nested++)
              for (int fail = 0; fail < 2; fail++) {
                /* Options that only change AFD events are only generated with AFD. */
                if (!(prov & P_AFD) && (pending || legacy || nested)) continue;
                if (!fail && legacy) continue; /* event 40 is a failure by definition */
                variant v = {kd, prov, header_pids[hp], pending, legacy, nested, fail};
                run_variant(&v, dec, &ct, &seed);
              }
  printf("  %u variants, %u deliveries, %u wrong\n", ct.variants, ct.deliveries, ct.failures);
  PC_CHECK_INT(ct.failures, 0);
  PC_CHECK(ct.deliveries > 10000);
  pc_decoder_free(dec);
}
