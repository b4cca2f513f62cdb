#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pc_bench_gen.h"

#define PAYLOAD_MAX 96

static uint64_t rng(uint64_t *s) {
  /* xorshift64*: fast, deterministic, good enough to vary ports and pids. */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

typedef struct gen {
  pc_bench_stream *s;
  size_t cap;
  pc_time t;
} gen;

static uint8_t *add(gen *g, const pc_guid *prov, uint16_t id, uint8_t ver, uint32_t pid) {
  pc_record *r = &g->s->records[g->s->count];
  memset(r, 0, sizeof *r);
  r->provider = *prov;
  r->id = id;
  r->version = ver;
  r->flags = PC_RECORD_FLAG_64BIT_HEADER;
  r->pid = pid;
  r->timestamp = g->t += 2000; /* 200 µs apart */
  uint8_t *p = g->s->payloads + g->s->count * PAYLOAD_MAX;
  r->user_data = p;
  g->s->count++;
  return p;
}

static size_t le(uint8_t *p, size_t at, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; i++) p[at + i] = (uint8_t)(v >> (8 * i));
  return at + n;
}

static size_t sockaddr4(uint8_t *p, size_t at, uint16_t port) {
  const uint8_t sa[16] = {2, 0, (uint8_t)(port >> 8), (uint8_t)port, 0, 0, 0, 0};
  memcpy(p + at, sa, 16);
  return at + 16;
}

int pc_bench_generate(uint64_t seed, size_t n, unsigned failure_permille, pc_bench_stream *out) {
  memset(out, 0, sizeof *out);
  size_t cap = n + 16;
  out->records = calloc(cap, sizeof *out->records);
  out->payloads = malloc(cap * PAYLOAD_MAX);
  if (!out->records || !out->payloads) return -1;
  gen g = {out, cap, 0};
  g.t = 133000000000000000ll;
  uint64_t s = seed ? seed : 1;
  uint64_t endpoint = 0xffffb00000000000ull;
  while (out->count + 8 < n) {
    uint32_t pid = 1000 + (uint32_t)(rng(&s) % 200);
    uint64_t proc = 0xffffa00000000000ull + (uint64_t)pid * 0x1000;
    uint16_t port = (uint16_t)(1024 + rng(&s) % 60000);
    endpoint += 0x10;
    bool udp = rng(&s) % 4 == 0;
    bool fail = rng(&s) % 1000 < failure_permille;
    uint32_t status = 0;
    if (fail) {
      static const uint32_t statuses[] = {0xC0000043u, 0xC0000022u, 0xC000020Au, 0xC0000022u};
      status = statuses[rng(&s) % 4];
      out->failures++;
    }
    uint8_t *p = add(&g, &PC_GUID_AFD, 1000, 0, 4);
    size_t k = le(p, 0, 1, 4);
    k = le(p, k, 1012, 4);
    k = le(p, k, proc, 8);
    k = le(p, k, endpoint, 8);
    k = le(p, k, 2, 4);
    k = le(p, k, udp ? 2 : 1, 4);
    k = le(p, k, udp ? 17 : 6, 4);
    k = le(p, k, pid, 8);
    k = le(p, k, 0, 4);
    out->records[out->count - 1].user_data_len = (uint32_t)k;
    for (int exit = 0; exit <= 1; exit++) {
      p = add(&g, &PC_GUID_AFD, 1030, 0, pid);
      k = le(p, 0, (uint64_t)exit, 4);
      k = le(p, k, exit ? 7022 : 7010, 4);
      k = le(p, k, proc, 8);
      k = le(p, k, endpoint, 8);
      k = le(p, k, exit ? status : 0, 4);
      k = le(p, k, 16, 4);
      k = sockaddr4(p, k, port);
      out->records[out->count - 1].user_data_len = (uint32_t)k;
      if (!exit && fail) {
        /* TCPIP's own failure event, between AFD's enter and exit. */
        p = add(&g, &PC_GUID_TCPIP, udp ? 1394 : 1006, 0, pid);
        k = le(p, 0, 16, 4);
        k = sockaddr4(p, k, port);
        k = le(p, k, status, 4);
        if (udp) k = le(p, k, endpoint + 1, 8);
        out->records[out->count - 1].user_data_len = (uint32_t)k;
      }
    }
    if (fail) {
      p = add(&g, &PC_GUID_WINSOCK_SOCKETS, 12, 0, pid);
      k = le(p, 0, status == 0xC0000022u ? 10013 : 10048, 4);
      k = le(p, k, endpoint & 0xffff, 8);
      k = le(p, k, 16, 4);
      k = sockaddr4(p, k, port);
      k = le(p, k, 0, 4);
      out->records[out->count - 1].user_data_len = (uint32_t)k;
    }
    p = add(&g, &PC_GUID_AFD, 1001, 0, 4);
    k = le(p, 0, 1, 4);
    k = le(p, k, 1, 4);
    k = le(p, k, proc, 8);
    k = le(p, k, endpoint, 8);
    k = le(p, k, 0, 4);
    out->records[out->count - 1].user_data_len = (uint32_t)k;
  }
  return 0;
}

void pc_bench_stream_free(pc_bench_stream *s) {
  free(s->records);
  free(s->payloads);
  memset(s, 0, sizeof *s);
}

double pc_bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long pc_bench_peak_rss_kib(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return ru.ru_maxrss;
}

size_t pc_bench_write_json(const pc_finding *f, const pc_format_options *fo, FILE *out) {
  char buf[8192];
  size_t n = pc_format_json(f, fo, buf, sizeof buf);
  if (n >= sizeof buf) n = sizeof buf - 1;
  buf[n++] = '\n';
  return fwrite(buf, 1, n, out);
}
