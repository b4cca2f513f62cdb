/* etl_writer.c - a test-only ETL writer; see etl_writer.h. Layouts mirror what
 * parsers/etl_format.c reads (and what the sample captures contain). */
#include "etl_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"

#define BUFHDR 0x48u
#define MAX_CPUS 1024u
#define DEFAULT_START (INT64_C(134116992000000000)) /* 2026-01-01T00:00:00Z */

typedef struct cpu_buf {
  uint8_t *data; /* buffer_size bytes */
  uint32_t used; /* 0 = not started */
  int64_t seq;
  int64_t last_raw;
} cpu_buf;

struct pc_etl_writer {
  FILE *f;
  pc_etl_writer_opts o;
  cpu_buf cpu[MAX_CPUS];
  int64_t next_seq;
  uint32_t buffers_written; /* header buffer included */
  int64_t max_raw;
  pc_time max_time;
  pc_time min_time; /* the earliest record, or StartTime when none is earlier */
  int err;
};

static void w16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void w32(uint8_t *p, uint32_t v) {
  w16(p, v & 0xFFFF);
  w16(p + 2, v >> 16);
}
static void w64(uint8_t *p, uint64_t v) {
  w32(p, (uint32_t)v);
  w32(p + 4, (uint32_t)(v >> 32));
}

static void defaults(pc_etl_writer_opts *o, const pc_etl_writer_opts *in) {
  if (in)
    *o = *in;
  else
    memset(o, 0, sizeof *o);
  if (o->pointer_size != 4) o->pointer_size = 8;
  if (!o->cpus) o->cpus = 4;
  if (!o->buffer_size) o->buffer_size = 64 * 1024;
  if (o->buffer_size < 1024) o->buffer_size = 1024;
  if (!o->start_time) o->start_time = DEFAULT_START;
  if (!o->perf_freq) o->perf_freq = 10000000;
  if (!o->clock_type) o->clock_type = 1;
  if (!o->start_raw) o->start_raw = 1000000000;
  if (!o->os_build) o->os_build = 19041;
  if (!o->logger_name) o->logger_name = "portclash-test";
}

int64_t pc_etl_writer_raw_time(const pc_etl_writer_opts *opts, pc_time t) {
  pc_etl_writer_opts o;
  defaults(&o, opts);
  if (o.clock_type == 2) return t;
  int64_t d = t - o.start_time;
  /* Exact for the default 10 MHz clock; otherwise the reader's inverse rounds down. */
  return o.start_raw + d / 10000000 * o.perf_freq + (d % 10000000) * o.perf_freq / 10000000;
}

/* Writes the WMI_BUFFER_HEADER of a buffer into p. */
static void put_bufhdr(uint8_t *p, uint32_t stored, uint32_t saved, int64_t ts, int64_t seq, unsigned cpu,
                       uint32_t state, uint16_t flags, uint16_t type) {
  memset(p, 0, BUFHDR);
  w32(p + 0x00, stored);
  w32(p + 0x04, saved);
  w32(p + 0x08, saved);
  w64(p + 0x10, (uint64_t)ts);
  w64(p + 0x18, (uint64_t)seq);
  w16(p + 0x28, cpu);
  w16(p + 0x2A, 0x14); /* LoggerId */
  w32(p + 0x2C, state);
  w32(p + 0x30, saved);
  w16(p + 0x34, flags);
  w16(p + 0x36, type);
}

static size_t put_utf16(uint8_t *p, const char *s) {
  size_t n = 0;
  for (; *s; s++, n += 2) w16(p + n, (unsigned char)*s);
  w16(p + n, 0);
  return n + 2;
}

/* Writes the header buffer. start_time/start_raw are the session start and the raw clock
 * then (the header record's own timestamp, which the reader takes as its first horizon). */
static int write_header(pc_etl_writer *w, pc_time start_time, int64_t start_raw, pc_time end_time) {
  const pc_etl_writer_opts *o = &w->o;
  uint8_t *b = malloc(o->buffer_size);
  if (!b) return PC_ENOMEM;
  memset(b, 0xFF, o->buffer_size);
  unsigned ptr = o->pointer_size;
  uint8_t *sys = b + BUFHDR;
  uint8_t *h = sys + 0x20;
  uint32_t tz = 56 + 2 * ptr, boot = (tz + 172 + 7) & ~7u, fixed = boot + 32;
  size_t names = 2 * (strlen(o->logger_name) + 1) + 2 * (strlen("C:\\portclash\\test.etl") + 1);
  if (BUFHDR + 0x20 + fixed + names > o->buffer_size || 0x20 + fixed + names > 0xFFFF) {
    free(b);
    return PC_EINVAL;
  }
  memset(sys, 0, 0x20 + fixed + names);
  w32(h + 0, o->buffer_size);
  h[4] = 10, h[5] = 0, h[6] = 0, h[7] = 0;
  w32(h + 8, o->os_build);
  w32(h + 12, o->cpus);
  w64(h + 16, (uint64_t)end_time);
  w32(h + 24, 156250);
  w32(h + 32, 0x00000001u | (o->compress ? 0x04000000u : 0));
  w32(h + 36, w->buffers_written);
  w32(h + 40, 1);
  w32(h + 44, ptr);
  w32(h + 48, o->events_lost);
  w32(h + 52, 3000);
  w64(h + boot, (uint64_t)(start_time - INT64_C(36000000000))); /* booted an hour before */
  w64(h + boot + 8, (uint64_t)o->perf_freq);
  w64(h + boot + 16, (uint64_t)start_time);
  w32(h + boot + 24, o->clock_type);
  w32(h + boot + 28, o->buffers_lost);
  size_t n = fixed;
  n += put_utf16(h + n, o->logger_name);
  n += put_utf16(h + n, "C:\\portclash\\test.etl");
  uint32_t size = (uint32_t)(0x20 + n);
  w32(sys, 0xC0000002u | (ptr == 8 ? 0x02u : 0x01u) << 16);
  w16(sys + 4, size);
  w16(sys + 6, 0); /* HookId: header group, type 0 */
  w32(sys + 8, 0x1234);
  w32(sys + 12, 0x5678);
  w64(sys + 16, (uint64_t)start_raw);
  uint32_t saved = BUFHDR + ((size + 7) & ~7u);
  put_bufhdr(b, o->buffer_size, saved, 0, 0, 0, o->compress ? 3 : 3, 0x0021, 4);
  int rc = fwrite(b, 1, o->buffer_size, w->f) == o->buffer_size ? PC_OK : PC_EIO;
  free(b);
  return rc;
}

pc_etl_writer *pc_etl_writer_open(const char *path, const pc_etl_writer_opts *opts) {
  pc_etl_writer *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  defaults(&w->o, opts);
  w->f = fopen(path, "wb");
  if (!w->f) {
    free(w);
    return NULL;
  }
  w->next_seq = 1;
  w->buffers_written = 1;
  w->max_time = w->min_time = w->o.start_time;
  if (write_header(w, w->o.start_time, w->o.start_raw, 0) != PC_OK) {
    fclose(w->f);
    free(w);
    return NULL;
  }
  return w;
}

int pc_etl_writer_flush_cpu(pc_etl_writer *w, unsigned cpu) {
  if (cpu >= MAX_CPUS) return PC_EINVAL;
  cpu_buf *c = &w->cpu[cpu];
  if (!c->used) return PC_OK;
  uint32_t size = w->o.buffer_size;
  if (w->o.compress) {
    size_t clen;
    uint8_t *z = pc_etl_test_xpress_compress(c->data + BUFHDR, c->used - BUFHDR, &clen);
    if (!z) return PC_ENOMEM;
    uint8_t hdr[BUFHDR];
    put_bufhdr(hdr, (uint32_t)(BUFHDR + clen), c->used, c->last_raw, c->seq, cpu, 3, 0x0060, 0);
    int ok = fwrite(hdr, 1, BUFHDR, w->f) == BUFHDR && fwrite(z, 1, clen, w->f) == clen;
    free(z);
    if (!ok) return PC_EIO;
  } else {
    put_bufhdr(c->data, size, c->used, c->last_raw, c->seq, cpu, 3, 0x0020, 0);
    memset(c->data + c->used, 0xFF, size - c->used);
    if (fwrite(c->data, 1, size, w->f) != size) return PC_EIO;
  }
  w->buffers_written++;
  c->used = 0;
  return PC_OK;
}

/* Makes room for len (8-aligned) bytes in CPU cpu's buffer; returns where they go. */
static uint8_t *reserve(pc_etl_writer *w, unsigned cpu, uint32_t len, int *rc) {
  *rc = PC_OK;
  if (cpu >= MAX_CPUS || len > w->o.buffer_size - BUFHDR) {
    *rc = PC_EINVAL;
    return NULL;
  }
  cpu_buf *c = &w->cpu[cpu];
  if (!c->data) {
    c->data = malloc(w->o.buffer_size);
    if (!c->data) {
      *rc = PC_ENOMEM;
      return NULL;
    }
  }
  if (c->used && c->used + len > w->o.buffer_size) {
    *rc = pc_etl_writer_flush_cpu(w, cpu);
    if (*rc != PC_OK) return NULL;
  }
  if (!c->used) {
    /* ETW numbers a buffer when it starts filling it, not when it writes it out. */
    c->used = BUFHDR;
    c->seq = w->next_seq++;
  }
  uint8_t *p = c->data + c->used;
  memset(p, 0, len);
  c->used += len;
  return p;
}

int pc_etl_writer_add_raw(pc_etl_writer *w, unsigned cpu, const void *bytes, size_t len) {
  if (len > 0xFFFF) return PC_EINVAL;
  int rc;
  uint8_t *p = reserve(w, cpu, (uint32_t)((len + 7) & ~(size_t)7), &rc);
  if (!p) return rc;
  memcpy(p, bytes, len);
  return PC_OK;
}

int pc_etl_writer_add(pc_etl_writer *w, const pc_record *rec) {
  bool ext = (rec->ext_present & PC_RECORD_EXT_PROCESS_START_KEY) != 0;
  uint32_t dummy = ext && w->o.dummy_ext_len ? (8u + w->o.dummy_ext_len + 7u) & ~7u : 0;
  uint32_t ext_len = ext ? dummy + 16 : 0;
  uint64_t size = 0x50u + ext_len + rec->user_data_len;
  if (size > 0xFFFF) return PC_EINVAL;
  int rc;
  unsigned cpu = rec->processor;
  uint8_t *p = reserve(w, cpu, (uint32_t)((size + 7) & ~7u), &rc);
  if (!p) return rc;
  int64_t raw = pc_etl_writer_raw_time(&w->o, rec->timestamp);
  bool is32 = (rec->flags & PC_RECORD_FLAG_32BIT_HEADER) != 0;
  uint16_t flags = rec->flags & (uint16_t) ~(PC_RECORD_FLAG_32BIT_HEADER | PC_RECORD_FLAG_64BIT_HEADER |
                                             PC_RECORD_FLAG_EXTENDED_INFO);
  if (ext) flags |= PC_RECORD_FLAG_EXTENDED_INFO;
  w32(p, (uint32_t)size | (is32 ? 0x12u : 0x13u) << 16 | 0xC0u << 24);
  w16(p + 0x04, flags);
  w32(p + 0x08, rec->tid);
  w32(p + 0x0C, rec->pid);
  w64(p + 0x10, (uint64_t)raw);
  w32(p + 0x18, rec->provider.data1);
  w16(p + 0x1C, rec->provider.data2);
  w16(p + 0x1E, rec->provider.data3);
  memcpy(p + 0x20, rec->provider.data4, 8);
  w16(p + 0x28, rec->id);
  p[0x2A] = rec->version;
  p[0x2B] = rec->channel;
  p[0x2C] = rec->level;
  p[0x2D] = rec->opcode;
  w16(p + 0x2E, rec->task);
  w64(p + 0x30, rec->keyword);
  uint8_t *q = p + 0x50;
  if (ext) {
    if (dummy) {
      w16(q, dummy);
      w16(q + 2, 0x000B); /* EVENT_SCHEMA_TL */
      w16(q + 4, 1);      /* another item follows */
      w16(q + 6, w->o.dummy_ext_len);
      memset(q + 8, 0xAB, w->o.dummy_ext_len);
      q += dummy;
    }
    w16(q, 16);
    w16(q + 2, 0x000D); /* PROCESS_START_KEY */
    w16(q + 4, 0);
    w16(q + 6, 8);
    w64(q + 8, rec->process_start_key);
    q += 16;
  }
  if (rec->user_data_len) memcpy(q, rec->user_data, rec->user_data_len);
  cpu_buf *c = &w->cpu[cpu];
  c->last_raw = raw;
  if (raw > w->max_raw) w->max_raw = raw;
  if (rec->timestamp > w->max_time) w->max_time = rec->timestamp;
  if (rec->timestamp < w->min_time) w->min_time = rec->timestamp;
  return PC_OK;
}

int pc_etl_writer_close(pc_etl_writer *w) {
  if (!w) return PC_OK;
  int rc = PC_OK;
  for (unsigned i = 0; i < MAX_CPUS; i++) {
    if (rc == PC_OK) rc = pc_etl_writer_flush_cpu(w, i);
    free(w->cpu[i].data);
  }
  if (rc == PC_OK && fseek(w->f, 0, SEEK_SET) != 0) rc = PC_EIO;
  /* A session starts before its first event. Records older than StartTime (callers replay
   * old captures without setting it) move the start back to the earliest one, on the same
   * clock line so every raw timestamp already written keeps its meaning. Without this the
   * header record would be later than the events, and since the reader rightly takes it as
   * the earliest time any buffer can start, it would hand out records before reading the
   * buffers that precede them in time: the multi-CPU merge of such files came out of order. */
  pc_time start = w->min_time;
  int64_t start_raw = start == w->o.start_time ? w->o.start_raw : pc_etl_writer_raw_time(&w->o, start);
  if (rc == PC_OK) rc = write_header(w, start, start_raw, w->max_time + 1);
  if (fclose(w->f) != 0 && rc == PC_OK) rc = PC_EIO;
  free(w);
  return rc;
}

/* ---- XPRESS compression (greedy, for tests only) ------------------------------- */

typedef struct zout {
  uint8_t *p;
  size_t n, cap;
  size_t flag_pos;
  uint32_t flags;
  unsigned nflags;
  size_t nibble; /* 0 = none pending */
} zout;

static int zput(zout *z, const void *b, size_t n) {
  if (z->n + n > z->cap) {
    size_t cap = (z->cap + n) * 2;
    uint8_t *np = realloc(z->p, cap);
    if (!np) return -1;
    z->p = np;
    z->cap = cap;
  }
  memcpy(z->p + z->n, b, n);
  z->n += n;
  return 0;
}

static int zflag(zout *z, unsigned bit) {
  if (z->nflags == 32) {
    uint8_t f[4];
    w32(f, z->flags);
    memcpy(z->p + z->flag_pos, f, 4);
    z->flag_pos = z->n;
    z->flags = 0;
    z->nflags = 0;
    uint8_t zero[4] = {0};
    if (zput(z, zero, 4)) return -1;
  }
  z->flags = z->flags << 1 | bit;
  z->nflags++;
  return 0;
}

static int zmatch(zout *z, size_t offset, size_t length) {
  uint8_t b[8];
  size_t l = length - 3;
  if (zflag(z, 1)) return -1;
  if (l < 7) {
    w16(b, (uint32_t)((offset - 1) << 3 | l));
    return zput(z, b, 2);
  }
  w16(b, (uint32_t)((offset - 1) << 3 | 7));
  if (zput(z, b, 2)) return -1;
  l -= 7;
  unsigned nib = l < 15 ? (unsigned)l : 15;
  if (z->nibble == 0) {
    z->nibble = z->n;
    b[0] = (uint8_t)nib;
    if (zput(z, b, 1)) return -1;
  } else {
    z->p[z->nibble] |= (uint8_t)(nib << 4);
    z->nibble = 0;
  }
  if (l >= 15) {
    l -= 15;
    if (l < 255) {
      b[0] = (uint8_t)l;
      return zput(z, b, 1);
    }
    b[0] = 255;
    if (zput(z, b, 1)) return -1;
    l += 15 + 7;
    if (l < 65536) {
      w16(b, (uint32_t)l);
      return zput(z, b, 2);
    }
    w16(b, 0);
    w32(b + 2, (uint32_t)l);
    return zput(z, b, 6);
  }
  return 0;
}

uint8_t *pc_etl_test_xpress_compress(const uint8_t *in, size_t len, size_t *out_len) {
  enum { HBITS = 12, WINDOW = 8192 };
  zout z = {0};
  size_t *head = calloc((size_t)1 << HBITS, sizeof *head); /* position + 1 */
  uint8_t zero[4] = {0};
  if (!head || zput(&z, zero, 4)) {
    free(head);
    free(z.p);
    return NULL;
  }
  size_t i = 0;
  while (i < len) {
    size_t best = 0, best_off = 0;
    if (len - i >= 3) {
      uint32_t h =
          ((uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2]) * 2654435761u >> (32 - HBITS);
      size_t cand = head[h];
      head[h] = i + 1;
      if (cand && i - (cand - 1) <= WINDOW) {
        size_t c = cand - 1, n = 0;
        while (i + n < len && in[c + n] == in[i + n]) n++;
        if (n >= 3) best = n, best_off = i - c;
      }
    }
    if (best) {
      if (zmatch(&z, best_off, best)) goto fail;
      i += best;
    } else {
      if (zflag(&z, 0) || zput(&z, in + i, 1)) goto fail;
      i++;
    }
  }
  /* End of stream: a match flag with no match bytes after it. */
  if (zflag(&z, 1)) goto fail;
  z.flags <<= 32 - z.nflags;
  uint8_t f[4];
  w32(f, z.flags);
  memcpy(z.p + z.flag_pos, f, 4);
  free(head);
  *out_len = z.n;
  return z.p;
fail:
  free(head);
  free(z.p);
  return NULL;
}
