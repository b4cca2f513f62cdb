/* etl_reader.c - buffers, per-CPU streams and the time-ordered merge.
 *
 * An ETL file is a sequence of buffers, each filled by one CPU. Within a CPU the events
 * are in time order; across CPUs they interleave, so the reader keeps one stream per CPU
 * and repeatedly hands out the earliest staged record of all streams (a k-way merge).
 *
 * Streaming: buffers are read strictly forward, one at a time, only when the merge needs
 * them. Which buffers it needs follows from the buffer sequence numbers [INF, checked on
 * HTTP_Server.etl]: ETW numbers buffers in the order it starts filling them, but writes
 * them in the order they fill up, so an idle CPU's early buffer can sit far behind later
 * ones in the file. Once every buffer numbered up to N has been read, no unread buffer
 * can start before the first event of buffer N (the "horizon"), so any staged record up
 * to the horizon is safe to hand out. When a number never turns up (lost buffers,
 * circular files) the lookahead is capped by PC_ETL_LOOKAHEAD_BYTES: the merge then gives
 * up waiting and counts events that arrive later than their time as events_late.
 *
 * Errors: damage (a bad record, a cut or undecodable buffer, a broken buffer header)
 * stops the reading of further buffers; the merge then delivers every good record read
 * so far, which includes every record stored before the damage, and returns the first
 * error last. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "etl_internal.h"
#include "pc_compiler.h"
#include "pc_error.h"
#include "pc_heap.h"
#include "pc_xpress.h"

#define MAX_HELD_BUFFERS 4096u /* lookahead cap in buffers, for files of tiny buffers */
#define MAX_FREE_BUFFERS 8u    /* recycled buffer blocks kept for reuse */
#define LOGFILE_MODE_CIRCULAR 0x00000002u

typedef struct etl_buf {
  struct etl_buf *next; /* in its CPU stream, by sequence number */
  uint8_t *store;       /* owned bytes (NULL when the data is borrowed from memory) */
  size_t store_cap;
  const uint8_t *data; /* buffer header + records, uncompressed */
  uint32_t end;        /* where the records end, from the buffer header */
  uint32_t limit;      /* bytes of data present: below end when the file was cut */
  uint32_t pos;        /* the next record */
  uint32_t held;       /* bytes counted against the lookahead */
  uint64_t file_off;
  int64_t seq;
  int64_t first_ts; /* raw time of the first record, INT64_MIN if unknown */
  bool compressed;
  int err; /* reported when the walk reaches `limit` (0 = none) */
  uint64_t err_off;
  char msg[224];
} etl_buf;

enum { SLOT_EMPTY, SLOT_RECORD };

typedef struct etl_slot {
  etl_buf *head, *tail;
  int state;
  int64_t key; /* raw time of the staged entry */
  pc_record rec;
  uint16_t cpu;
  int active; /* index in reader->active, -1 if not there */
} etl_slot;

typedef struct seq_note {
  int64_t seq;
  int64_t first_ts;
} seq_note;

struct pc_etl_reader {
  pc__etl_source src;
  pc_etl_info info;
  pc__etl_clock clock;
  pc__etl_counts *counts;
  unsigned compression; /* format of compressed buffers (header buffer State) */

  etl_slot **slots; /* by CPU index, allocated on first use */
  size_t nslots;
  void **active; /* slots with a staged entry (pc_heap of etl_slot) */
  size_t nactive, active_cap;
  size_t nmade;         /* slots created: the active list must have room for each of them */
  etl_slot *to_advance; /* emitted last; advanced at the next call (user_data borrow) */

  bool scan_done;
  int scan_err;
  uint64_t scan_err_off;
  char scan_msg[256];
  uint64_t held; /* bytes of buffers read and not yet fully consumed */
  size_t held_bufs;

  int64_t cmax;    /* every buffer numbered <= cmax has been read */
  int64_t horizon; /* earliest possible start of an unread buffer */
  seq_note *pend;  /* numbers read above cmax + 1, sorted */
  size_t npend;

  etl_buf *free_bufs;
  size_t nfree;
  uint8_t *scratch; /* compressed input of one buffer (file sources) */
  size_t scratch_cap;

  int err;
  uint64_t err_off;
  char msg[256];
  int64_t last_emitted; /* raw time, for events_late */
  bool emitted_any;
};

/* ---- small helpers --------------------------------------------------------------- */

static void fmt(char *dst, size_t cap, const char *f, ...) PC_PRINTF(3, 4);
static void fmt(char *dst, size_t cap, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  vsnprintf(dst, cap, f, ap);
  va_end(ap);
}

static void scan_fail(pc_etl_reader *r, int err, uint64_t off) {
  r->scan_done = true;
  r->scan_err = err;
  r->scan_err_off = off;
}

/* ---- buffer blocks --------------------------------------------------------------- */

static etl_buf *buf_alloc(pc_etl_reader *r, size_t need) {
  etl_buf *b = r->free_bufs;
  if (b) {
    r->free_bufs = b->next;
    r->nfree--;
  } else {
    b = calloc(1, sizeof *b);
    if (!b) return NULL;
  }
  if (need > b->store_cap) {
    free(b->store);
    b->store = malloc(need);
    b->store_cap = b->store ? need : 0;
    if (!b->store) {
      free(b);
      return NULL;
    }
  }
  b->next = NULL;
  b->data = b->store;
  b->end = b->limit = b->pos = b->held = 0;
  b->file_off = 0;
  b->seq = 0;
  b->first_ts = INT64_MIN;
  b->compressed = false;
  b->err = 0;
  b->err_off = 0;
  b->msg[0] = '\0';
  return b;
}

static void buf_release(pc_etl_reader *r, etl_buf *b) {
  r->held -= b->held;
  r->held_bufs--;
  if (r->nfree < MAX_FREE_BUFFERS && b->store_cap <= 4u * 1024u * 1024u) {
    b->next = r->free_bufs;
    r->free_bufs = b;
    r->nfree++;
  } else {
    free(b->store);
    free(b);
  }
}

static void buf_free_list(etl_buf *b) {
  while (b) {
    etl_buf *n = b->next;
    free(b->store);
    free(b);
    b = n;
  }
}

/* ---- per-CPU streams ------------------------------------------------------------- */

/* The active slots form a binary min-heap by (raw time, CPU), so that the next record of a
 * capture written on many CPUs is found in O(log CPUs), not by a scan of every CPU per
 * record (64 CPUs: the scan was most of the reader's time). */
static bool slot_before(const void *pa, const void *pb) {
  const etl_slot *a = pa, *b = pb;
  return a->key < b->key || (a->key == b->key && a->cpu < b->cpu);
}

static void slot_placed(void *s, size_t pos) {
  ((etl_slot *)s)->active = (int)pos;
}

/* on: s has a (new) staged entry; off: it has none. */
static void slot_set_active(pc_etl_reader *r, etl_slot *s, bool on) {
  if (on) {
    /* active_cap was sized for every slot when the slot was created. */
    if (s->active < 0)
      r->nactive = pc_heap_push(r->active, r->nactive, s, slot_before, slot_placed);
    else
      pc_heap_fix(r->active, r->nactive, (size_t)s->active, slot_before, slot_placed);
  } else if (s->active >= 0) {
    r->nactive = pc_heap_remove(r->active, r->nactive, (size_t)s->active, slot_before, slot_placed);
    s->active = -1;
  }
}

/* A damaged record or buffer ends its CPU stream: the rest of that buffer cannot be
 * walked, and later buffers of the same CPU would leave a hole in its history. The
 * reader then stops reading the file, delivers every record already read from the other
 * streams, and returns the first such error last. */
static void stage_error(pc_etl_reader *r, etl_slot *s, int err, uint64_t off, const char *msg) {
  if (!r->scan_err) {
    r->scan_err = err;
    r->scan_err_off = off;
    snprintf(r->scan_msg, sizeof r->scan_msg, "%s", msg);
  }
  r->scan_done = true;
  while (s->head) {
    etl_buf *b = s->head;
    s->head = b->next;
    buf_release(r, b);
  }
  s->tail = NULL;
  s->state = SLOT_EMPTY;
  slot_set_active(r, s, false);
}

/* Describes where a damaged record sits: a file offset for stored buffers, an offset in
 * the decompressed data for compressed ones. */
static void where(const etl_buf *b, uint32_t at, char *dst, size_t cap, uint64_t *off) {
  if (b->compressed) {
    *off = b->file_off;
    fmt(dst, cap, "byte 0x%" PRIx64 ": at offset 0x%" PRIx32 " of the decompressed buffer at 0x%" PRIx64,
        b->file_off, at, b->file_off);
  } else {
    *off = b->file_off + at;
    fmt(dst, cap, "byte 0x%" PRIx64 ":", *off);
  }
}

static void stage_corrupt(pc_etl_reader *r, etl_slot *s, etl_buf *b, uint32_t at, const char *why) {
  char loc[128], msg[224];
  uint64_t off;
  where(b, at, loc, sizeof loc, &off);
  fmt(msg, sizeof msg, "%s %s in buffer at 0x%" PRIx64, loc, why, b->file_off);
  stage_error(r, s, PC_ECORRUPT, off, msg);
}

/* Advances s to its next EVENT_HEADER record (or error), releasing consumed buffers. */
static void stage(pc_etl_reader *r, etl_slot *s) {
  for (;;) {
    etl_buf *b = s->head;
    if (!b) {
      s->state = SLOT_EMPTY;
      slot_set_active(r, s, false);
      return;
    }
    while (b->pos < b->limit) {
      uint32_t avail = b->limit - b->pos;
      bool cut = b->limit < b->end;
      if (avail < 8 && cut) break; /* the file ends inside this record's header */
      if (avail < 4) {
        b->pos = b->limit; /* fewer bytes than a marker: nothing more to read */
        break;
      }
      const uint8_t *p = b->data + b->pos;
      int kind;
      uint32_t size;
      const char *why;
      if (pc__etl_record_size(p, avail, &kind, &size, &why) != PC_OK) {
        stage_corrupt(r, s, b, b->pos, why);
        return;
      }
      if (kind == PC__ETL_REC_PADDING) {
        b->pos = b->limit;
        break;
      }
      if (size > b->end - b->pos) {
        char why2[96];
        fmt(why2, sizeof why2, "record of %" PRIu32 " bytes runs past the data end 0x%" PRIx32, size, b->end);
        stage_corrupt(r, s, b, b->pos, why2);
        return;
      }
      if (size > avail) break; /* cut off by the end of the file */
      r->info.records_seen++;
      uint32_t at = b->pos;
      uint32_t step = (size + 7u) & ~7u;
      b->pos = step > b->end - b->pos ? b->end : b->pos + step;
      if (kind == PC__ETL_REC_OTHER) {
        r->info.records_skipped++;
        continue;
      }
      int64_t raw;
      uint32_t bad_at;
      if (pc__etl_parse_event(p, size, kind, &s->rec, &raw, &why, &bad_at) != PC_OK) {
        stage_corrupt(r, s, b, at + bad_at, why);
        return;
      }
      s->rec.processor = s->cpu;
      s->state = SLOT_RECORD;
      s->key = raw;
      slot_set_active(r, s, true);
      return;
    }
    if (b->err || b->pos < b->limit || b->limit < b->end) {
      if (!b->err) {
        /* Defensive: a cut buffer always carries its error; never drop it silently. */
        b->err = PC_ETRUNC;
        b->err_off = b->file_off + b->limit;
        fmt(b->msg, sizeof b->msg, "byte 0x%" PRIx64 ": buffer at 0x%" PRIx64 " is cut short", b->err_off,
            b->file_off);
      }
      stage_error(r, s, b->err, b->err_off, b->msg);
      return;
    }
    s->head = b->next;
    if (!s->head) s->tail = NULL;
    buf_release(r, b);
  }
}

static etl_slot *slot_get(pc_etl_reader *r, uint16_t cpu) {
  if (cpu >= r->nslots) {
    size_t n = (size_t)cpu + 1;
    etl_slot **ns = realloc(r->slots, n * sizeof *ns);
    if (!ns) return NULL;
    for (size_t i = r->nslots; i < n; i++) ns[i] = NULL;
    r->slots = ns;
    r->nslots = n;
  }
  if (!r->slots[cpu]) {
    /* Sized by the slots made, not by those active now: an idle CPU's slot becomes active
     * again later, and 17 CPUs used to overflow the first 16 entries. */
    if (r->nmade + 1 > r->active_cap) {
      size_t cap = r->active_cap ? r->active_cap * 2 : 16;
      void **na = realloc(r->active, cap * sizeof *na);
      if (!na) return NULL;
      r->active = na;
      r->active_cap = cap;
    }
    etl_slot *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cpu = cpu;
    s->active = -1;
    r->slots[cpu] = s;
    r->nmade++;
  }
  return r->slots[cpu];
}

/* ---- sequence numbers and the horizon -------------------------------------------- */

/* Sequence numbers come from the file, so every "+ 1" is guarded against overflow. */
static void seq_advance(pc_etl_reader *r) {
  size_t i = 0;
  while (i < r->npend && r->cmax < INT64_MAX && r->pend[i].seq <= r->cmax + 1) {
    if (r->pend[i].seq == r->cmax + 1) {
      r->cmax++;
      if (r->pend[i].first_ts > r->horizon) r->horizon = r->pend[i].first_ts;
    }
    i++;
  }
  if (i) {
    memmove(r->pend, r->pend + i, (r->npend - i) * sizeof *r->pend);
    r->npend -= i;
  }
}

/* Gives up waiting for the missing numbers below the lowest one read. */
static void seq_skip_gap(pc_etl_reader *r) {
  if (!r->npend) return;
  r->cmax = r->pend[0].seq - 1;
  seq_advance(r);
}

static void seq_note_read(pc_etl_reader *r, int64_t seq, int64_t first_ts) {
  if (seq <= r->cmax) return; /* a duplicate or a number given up on: nothing to wait for */
  if (seq == r->cmax + 1) {
    r->cmax = seq;
    if (first_ts > r->horizon) r->horizon = first_ts;
    seq_advance(r);
    return;
  }
  if (r->npend == MAX_HELD_BUFFERS) seq_skip_gap(r);
  if (seq <= r->cmax) return;
  size_t i = r->npend;
  while (i > 0 && r->pend[i - 1].seq > seq) i--;
  if (i > 0 && r->pend[i - 1].seq == seq) return;
  memmove(r->pend + i + 1, r->pend + i, (r->npend - i) * sizeof *r->pend);
  r->pend[i].seq = seq;
  r->pend[i].first_ts = first_ts;
  r->npend++;
  seq_advance(r);
}

/* ---- reading buffers ------------------------------------------------------------- */

static int64_t buffer_first_ts(const etl_buf *b) {
  int64_t ts;
  int kind;
  uint32_t size;
  const char *why;
  if (b->limit < PC__ETL_BUFHDR_SIZE + 8) return INT64_MIN;
  const uint8_t *p = b->data + PC__ETL_BUFHDR_SIZE;
  uint32_t avail = b->limit - PC__ETL_BUFHDR_SIZE;
  if (pc__etl_record_size(p, avail, &kind, &size, &why) != PC_OK || kind == PC__ETL_REC_PADDING)
    return INT64_MIN;
  if (size > avail || !pc__etl_record_time(p, size, &ts)) return INT64_MIN;
  return ts;
}

static bool ensure_scratch(pc_etl_reader *r, size_t n) {
  if (n <= r->scratch_cap) return true;
  free(r->scratch);
  r->scratch = malloc(n);
  r->scratch_cap = r->scratch ? n : 0;
  return r->scratch != NULL;
}

/* Reads and checks the header of the buffer at the current input position into *h; hdr is
 * the caller's room for it. Returns the header bytes (hdr, or in memory the input itself), or
 * NULL with r->scan_done set at the end of the input or on an error. */
static const uint8_t *read_buffer_header(pc_etl_reader *r, pc__etl_bufhdr *h, uint8_t *hdr, uint64_t off) {
  const uint8_t *hp;
  size_t got;
  if (r->src.file == NULL) {
    hp = pc__etl_source_borrow(&r->src, PC__ETL_BUFHDR_SIZE, &got);
  } else {
    got = pc__etl_source_read(&r->src, hdr, PC__ETL_BUFHDR_SIZE);
    hp = hdr;
  }
  if (r->src.io_error) {
    fmt(r->scan_msg, sizeof r->scan_msg, "byte 0x%" PRIx64 ": read error: %s", off + got,
        strerror(r->src.io_error));
    scan_fail(r, PC_EIO, off + got);
    return NULL;
  }
  if (got == 0) {
    const pc_etl_info *in = &r->info;
    /* A finished session (EndTime set) records how many buffers it wrote; fewer in
     * the file means the file was cut at a buffer boundary. Circular files wrap, so
     * the count says nothing there. [INF; holds for all three samples] */
    if (in->end_time != 0 && !(in->log_file_mode & LOGFILE_MODE_CIRCULAR) && in->buffers_written > 0 &&
        in->buffers_read < in->buffers_written) {
      fmt(r->scan_msg, sizeof r->scan_msg,
          "byte 0x%" PRIx64 ": file ends after %" PRIu64 " buffers, but its header says %" PRIu32
          " were written",
          off, in->buffers_read, in->buffers_written);
      scan_fail(r, PC_ETRUNC, off);
    } else {
      r->scan_done = true;
    }
    return NULL;
  }
  if (got < PC__ETL_BUFHDR_SIZE) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": file ends inside a buffer header (%zu of 72 bytes present)", off, got);
    scan_fail(r, PC_ETRUNC, off);
    return NULL;
  }
  pc__etl_parse_bufhdr(hp, h);
  if (h->buffer_size < PC_ETL_MIN_BUFFER || h->buffer_size > PC_ETL_MAX_BUFFER) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": buffer size %" PRIu32 " is outside 72..%u bytes (buffer at 0x%" PRIx64 ")", off,
        h->buffer_size, PC_ETL_MAX_BUFFER, off);
    scan_fail(r, PC_ECORRUPT, off);
    return NULL;
  }
  return hp;
}

/* Bomb caps (pc_etl.h), checked before any work: a few bytes of XPRESS can claim 64 MiB,
 * and a file of such buffers took minutes to "read". false with r->scan_done set when the
 * buffer at off (rest compressed bytes claiming want_out) breaks one. */
static bool within_bomb_caps(pc_etl_reader *r, uint64_t off, uint64_t want_out, size_t rest) {
  uint64_t file_cap = PC_ETL_XPRESS_FILE_FLOOR + (uint64_t)PC_ETL_XPRESS_MAX_RATIO * r->src.pos;
  if (want_out > PC_ETL_XPRESS_BUFFER_FLOOR && want_out > (uint64_t)PC_ETL_XPRESS_MAX_RATIO * rest) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": the compressed buffer at 0x%" PRIx64 " claims %" PRIu64
        " bytes from %zu (more than %u times its size): refused as a decompression bomb",
        off + 4, off, want_out, rest, PC_ETL_XPRESS_MAX_RATIO);
    scan_fail(r, PC_ELIMIT, off + 4);
    return false;
  }
  if (r->info.bytes_inflated + want_out > file_cap) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": the compressed buffer at 0x%" PRIx64
        " would bring the file's decompressed"
        " size to %" PRIu64 " bytes from %" PRIu64
        " read (over %u MiB + %u times): refused as a"
        " decompression bomb",
        off + 4, off, r->info.bytes_inflated + want_out, (uint64_t)r->src.pos, PC_ETL_XPRESS_FILE_FLOOR >> 20,
        PC_ETL_XPRESS_MAX_RATIO);
    scan_fail(r, PC_ELIMIT, off + 4);
    return false;
  }
  return true;
}

/* The body of a compressed buffer (header hp at off, rest bytes follow): checked against
 * the decompression-bomb caps, then inflated. NULL with r->scan_done set on an error that
 * ends the scan; an inflate error stays with the buffer (b->err), after its good records. */
static etl_buf *read_compressed_body(pc_etl_reader *r, const pc__etl_bufhdr *h, const uint8_t *hp,
                                     uint64_t off, size_t rest) {
  bool mem = r->src.file == NULL;
  size_t got;
  etl_buf *b;
  if (r->info.buffers_read == 0) {
    fmt(r->scan_msg, sizeof r->scan_msg, "byte 0x%" PRIx64 ": the header buffer is marked compressed",
        off + 0x34);
    scan_fail(r, PC_ECORRUPT, off + 0x34);
    return NULL;
  }
  if (r->compression != PC_COMPRESSION_XPRESS) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64
        ": buffer compressed with %s (COMPRESSION_FORMAT %u), which is not supported (only XPRESS is)",
        off, pc_compression_name(r->compression), r->compression);
    scan_fail(r, PC_ENOTSUP, off);
    return NULL;
  }
  /* The buffer header is stored as is; the remaining bytes decompress to
   * SavedOffset - 0x48 bytes, and the next buffer follows without padding. [CHK] */
  uint32_t cap = r->info.buffer_size >= PC_ETL_MIN_BUFFER && r->info.buffer_size <= PC_ETL_MAX_BUFFER
                     ? r->info.buffer_size
                     : PC_ETL_MAX_BUFFER;
  if (h->saved_offset < PC__ETL_BUFHDR_SIZE || h->saved_offset > cap) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": uncompressed size %" PRIu32 " of the buffer at 0x%" PRIx64
        " is outside 72..%" PRIu32,
        off + 4, h->saved_offset, off, cap);
    scan_fail(r, PC_ECORRUPT, off + 4);
    return NULL;
  }
  const uint8_t *in;
  if (mem) {
    in = pc__etl_source_borrow(&r->src, rest, &got);
  } else {
    if (!ensure_scratch(r, rest ? rest : 1)) {
      fmt(r->scan_msg, sizeof r->scan_msg, "out of memory reading the buffer at 0x%" PRIx64, off);
      scan_fail(r, PC_ENOMEM, off);
      return NULL;
    }
    got = pc__etl_source_read(&r->src, r->scratch, rest);
    in = r->scratch;
  }
  if (got < rest) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": file ends inside the compressed buffer at 0x%" PRIx64
        " (%zu of %zu bytes present)",
        off + PC__ETL_BUFHDR_SIZE + got, off, got, rest);
    scan_fail(r, r->src.io_error ? PC_EIO : PC_ETRUNC, off + PC__ETL_BUFHDR_SIZE + got);
    return NULL;
  }
  uint64_t want_out = h->saved_offset - PC__ETL_BUFHDR_SIZE;
  if (!within_bomb_caps(r, off, want_out, rest)) return NULL;
  r->info.bytes_inflated += want_out;
  b = buf_alloc(r, h->saved_offset);
  if (!b) {
    fmt(r->scan_msg, sizeof r->scan_msg, "out of memory reading the buffer at 0x%" PRIx64, off);
    scan_fail(r, PC_ENOMEM, off);
    return NULL;
  }
  memcpy(b->store, hp, PC__ETL_BUFHDR_SIZE);
  size_t out_len = 0, err_at = 0;
  const char *why = "";
  size_t want = h->saved_offset - PC__ETL_BUFHDR_SIZE;
  int rc = pc_xpress_decompress(in, rest, b->store + PC__ETL_BUFHDR_SIZE, want, &out_len, &err_at, &why);
  b->compressed = true;
  b->end = h->saved_offset;
  b->limit = (uint32_t)(PC__ETL_BUFHDR_SIZE + out_len);
  b->held = h->saved_offset;
  if (rc != PC_OK) {
    b->err = PC_ECORRUPT;
    b->err_off = off + PC__ETL_BUFHDR_SIZE + err_at;
    fmt(b->msg, sizeof b->msg,
        "byte 0x%" PRIx64 ": XPRESS data of the buffer at 0x%" PRIx64 " is corrupt: %s", b->err_off, off,
        why);
  } else if (out_len != want) {
    b->err = PC_ECORRUPT;
    b->err_off = off + 4;
    fmt(b->msg, sizeof b->msg,
        "byte 0x%" PRIx64 ": buffer at 0x%" PRIx64 " decompresses to %zu bytes, but its SavedOffset says %zu",
        off + 4, off, out_len, want);
  }
  return b;
}

/* The body of an uncompressed buffer (header hp at off, its copy in hdr; rest bytes follow):
 * borrowed in place from memory, or read. NULL with r->scan_done set on an error. */
static etl_buf *read_plain_body(pc_etl_reader *r, const pc__etl_bufhdr *h, const uint8_t *hp,
                                const uint8_t *hdr, uint64_t off, size_t rest) {
  bool mem = r->src.file == NULL;
  size_t got;
  etl_buf *b;
  /* Records end at SavedOffset. The Windows 7 sample leaves SavedOffset 0 in the
   * header buffer, and a relogged sample has a header buffer whose last record ends
   * at Offset, past SavedOffset; so the header buffer uses the larger of the two.
   * [CHK on HTTP_Server.etl and SelfDescribingSingleEvent.etl] */
  uint32_t end = h->saved_offset;
  if (end == 0 || (h->type == PC__ETL_BUF_TYPE_HEADER && h->offset > end && h->offset <= h->buffer_size))
    end = h->offset;
  if (end < PC__ETL_BUFHDR_SIZE || end > h->buffer_size) {
    fmt(r->scan_msg, sizeof r->scan_msg,
        "byte 0x%" PRIx64 ": data end %" PRIu32 " (SavedOffset) of the buffer at 0x%" PRIx64
        " is outside 72..%" PRIu32,
        off + 4, end, off, h->buffer_size);
    scan_fail(r, PC_ECORRUPT, off + 4);
    return NULL;
  }
  b = buf_alloc(r, mem ? 0 : h->buffer_size);
  if (!b) {
    fmt(r->scan_msg, sizeof r->scan_msg, "out of memory reading the buffer at 0x%" PRIx64, off);
    scan_fail(r, PC_ENOMEM, off);
    return NULL;
  }
  if (mem) {
    /* In memory the body follows the header in place: borrow it, no copy. */
    pc__etl_source_borrow(&r->src, rest, &got);
    b->data = hp;
  } else {
    memcpy(b->store, hdr, PC__ETL_BUFHDR_SIZE);
    got = pc__etl_source_read(&r->src, b->store + PC__ETL_BUFHDR_SIZE, rest);
    b->data = b->store;
  }
  b->end = end;
  b->held = h->buffer_size;
  uint32_t present = (uint32_t)(PC__ETL_BUFHDR_SIZE + got);
  b->limit = present < end ? present : end;
  if (got < rest) {
    b->err = r->src.io_error ? PC_EIO : PC_ETRUNC;
    b->err_off = off + present;
    if (r->src.io_error)
      fmt(b->msg, sizeof b->msg, "byte 0x%" PRIx64 ": read error: %s", b->err_off, strerror(r->src.io_error));
    else
      fmt(b->msg, sizeof b->msg,
          "byte 0x%" PRIx64 ": file ends inside the buffer at 0x%" PRIx64 " (%" PRIu32 " of %" PRIu32
          " bytes present)",
          b->err_off, off, present, h->buffer_size);
    r->scan_done = true; /* nothing follows a cut buffer */
  }
  return b;
}

/* Reads the buffer at the current input position. Returns it (with its header decoded
 * into *h), or NULL with r->scan_done set at the end of the input or on an error. */
static etl_buf *read_buffer(pc_etl_reader *r, pc__etl_bufhdr *h) {
  uint64_t off = r->src.pos;
  uint8_t hdr[PC__ETL_BUFHDR_SIZE];
  const uint8_t *hp = read_buffer_header(r, h, hdr, off);
  if (!hp) return NULL;
  size_t rest = h->buffer_size - PC__ETL_BUFHDR_SIZE;
  etl_buf *b = h->flags & PC__ETL_BUF_FLAG_COMPRESSED ? read_compressed_body(r, h, hp, off, rest)
                                                      : read_plain_body(r, h, hp, hdr, off, rest);
  if (!b) return NULL;
  b->pos = PC__ETL_BUFHDR_SIZE;
  b->file_off = off;
  b->seq = h->seq;
  b->first_ts = buffer_first_ts(b);
  r->info.buffers_read++;
  r->info.bytes_read = r->src.pos;
  return b;
}

/* Queues b on its CPU's stream, in sequence-number order. */
static int push_buffer(pc_etl_reader *r, const pc__etl_bufhdr *h, etl_buf *b) {
  etl_slot *s = slot_get(r, h->cpu);
  if (!s) {
    fmt(r->scan_msg, sizeof r->scan_msg, "out of memory queueing the buffer at 0x%" PRIx64, b->file_off);
    scan_fail(r, PC_ENOMEM, b->file_off);
    free(b->store);
    free(b);
    return PC_ENOMEM;
  }
  r->held += b->held;
  r->held_bufs++;
  if (!s->head) {
    s->head = s->tail = b;
  } else if (b->seq >= s->tail->seq) {
    s->tail->next = b;
    s->tail = b;
  } else {
    /* Out of order within the CPU: insert after the head, which may be half read. */
    etl_buf *prev = s->head;
    while (prev->next && prev->next->seq <= b->seq) prev = prev->next;
    b->next = prev->next;
    prev->next = b;
    if (!b->next) s->tail = b;
  }
  seq_note_read(r, b->seq, b->first_ts);
  if (s->state == SLOT_EMPTY) stage(r, s);
  return PC_OK;
}

static void load_next(pc_etl_reader *r) {
  pc__etl_bufhdr h;
  etl_buf *b = read_buffer(r, &h);
  if (b) push_buffer(r, &h, b);
}

/* ---- open / close ---------------------------------------------------------------- */

static void set_errbuf(char *errbuf, size_t errcap, const char *msg) {
  if (errbuf && errcap) snprintf(errbuf, errcap, "%s", msg);
}

static int open_common(pc_etl_reader *r, pc_etl_reader **out, char *errbuf, size_t errcap) {
  r->counts = pc__etl_counts_new();
  r->pend = malloc(MAX_HELD_BUFFERS * sizeof *r->pend);
  if (!r->counts || !r->pend) {
    set_errbuf(errbuf, errcap, "out of memory");
    pc_etl_close(r);
    return PC_ENOMEM;
  }
  r->info.first_event = r->info.last_event = PC_TIME_UNKNOWN;
  r->err_off = UINT64_MAX;
  r->horizon = INT64_MIN;

  pc__etl_bufhdr h;
  etl_buf *b = read_buffer(r, &h);
  if (!b) {
    int err = r->scan_err ? r->scan_err : PC_ETRUNC;
    if (!r->scan_err) snprintf(r->scan_msg, sizeof r->scan_msg, "byte 0x0: empty file, no header buffer");
    set_errbuf(errbuf, errcap, r->scan_msg);
    pc_etl_close(r);
    return err;
  }
  int64_t anchor = 0;
  const char *why = "";
  uint32_t bad_at = 0;
  uint32_t avail = b->limit - PC__ETL_BUFHDR_SIZE;
  int rc = pc__etl_parse_logheader(b->data + PC__ETL_BUFHDR_SIZE, avail, &r->info, &anchor, &why, &bad_at);
  if (rc != PC_OK) {
    char msg[256];
    /* A header record cut by the end of the file is a truncation, not damage. */
    if (b->err && b->limit < b->end) {
      snprintf(msg, sizeof msg, "%s", b->msg);
      rc = b->err;
    } else {
      fmt(msg, sizeof msg, "byte 0x%" PRIx64 ": %s", (uint64_t)PC__ETL_BUFHDR_SIZE + bad_at, why);
    }
    set_errbuf(errbuf, errcap, msg);
    free(b->store);
    free(b);
    pc_etl_close(r);
    return rc;
  }
  /* The compression format hides in the header buffer's State when the session ran in
   * COMPRESSED_MODE. [SRC snail-server; CHK value 3 = XPRESS on the sample] */
  r->compression = h.state & 0xFFFF;
  r->info.compression =
      (r->info.log_file_mode & PC_ETL_MODE_COMPRESSED) ? r->compression : PC_COMPRESSION_NONE;
  pc__etl_clock_init(&r->clock, &r->info, anchor);
  r->cmax = h.seq;
  r->horizon = b->first_ts;
  if (push_buffer(r, &h, b) != PC_OK) {
    set_errbuf(errbuf, errcap, "out of memory");
    pc_etl_close(r);
    return PC_ENOMEM;
  }
  set_errbuf(errbuf, errcap, "");
  *out = r;
  return PC_OK;
}

int pc_etl_open(const char *path, pc_etl_reader **out, char *errbuf, size_t errcap) {
  *out = NULL;
  pc_etl_reader *r = calloc(1, sizeof *r);
  if (!r) {
    set_errbuf(errbuf, errcap, "out of memory");
    return PC_ENOMEM;
  }
  int rc = pc__etl_source_open_file(&r->src, path);
  if (rc != PC_OK) {
    char msg[160];
    if (rc == PC_ENOTFILE)
      fmt(msg, sizeof msg, "cannot read it: %s", pc_strerror(rc));
    else
      fmt(msg, sizeof msg, "cannot open: %s", strerror(r->src.io_error));
    set_errbuf(errbuf, errcap, msg);
    free(r);
    return rc;
  }
  return open_common(r, out, errbuf, errcap);
}

int pc_etl_open_memory(const uint8_t *data, size_t len, pc_etl_reader **out, char *errbuf, size_t errcap) {
  *out = NULL;
  pc_etl_reader *r = calloc(1, sizeof *r);
  if (!r) {
    set_errbuf(errbuf, errcap, "out of memory");
    return PC_ENOMEM;
  }
  pc__etl_source_open_memory(&r->src, data, len);
  return open_common(r, out, errbuf, errcap);
}

void pc_etl_close(pc_etl_reader *r) {
  if (!r) return;
  for (size_t i = 0; i < r->nslots; i++) {
    if (r->slots[i]) buf_free_list(r->slots[i]->head);
    free(r->slots[i]);
  }
  free(r->slots);
  free(r->active);
  buf_free_list(r->free_bufs);
  free(r->scratch);
  free(r->pend);
  pc__etl_counts_free(r->counts);
  pc__etl_source_close(&r->src);
  free(r);
}

/* ---- the merge ------------------------------------------------------------------- */

static etl_slot *earliest(const pc_etl_reader *r) {
  return r->nactive ? r->active[0] : NULL;
}

static int fail(pc_etl_reader *r, int err, uint64_t off, const char *msg) {
  r->err = err;
  r->err_off = off;
  snprintf(r->msg, sizeof r->msg, "%s", msg);
  return err;
}

int pc_etl_next(pc_etl_reader *r, pc_record *out) {
  if (r->err) return r->err;
  if (r->to_advance) {
    etl_slot *s = r->to_advance;
    r->to_advance = NULL;
    stage(r, s);
  }
  etl_slot *m;
  for (;;) {
    m = earliest(r);
    if (m) {
      if (r->scan_done || m->key <= r->horizon) break;
      if (r->held >= PC_ETL_LOOKAHEAD_BYTES || r->held_bufs >= MAX_HELD_BUFFERS) {
        /* The lookahead is full: stop waiting for missing buffer numbers. */
        seq_skip_gap(r);
        break;
      }
    } else if (r->scan_done) {
      if (r->scan_err) return fail(r, r->scan_err, r->scan_err_off, r->scan_msg);
      return 1;
    }
    load_next(r);
  }
  *out = m->rec;
  out->timestamp = pc__etl_clock_convert(&r->clock, m->key);
  pc_etl_info *in = &r->info;
  if (r->emitted_any && m->key < r->last_emitted) in->events_late++;
  if (!r->emitted_any || m->key > r->last_emitted) r->last_emitted = m->key;
  r->emitted_any = true;
  in->events_delivered++;
  if (out->timestamp != PC_TIME_UNKNOWN) {
    if (in->first_event == PC_TIME_UNKNOWN || out->timestamp < in->first_event)
      in->first_event = out->timestamp;
    if (in->last_event == PC_TIME_UNKNOWN || out->timestamp > in->last_event) in->last_event = out->timestamp;
  }
  if (!pc__etl_counts_add(r->counts, &out->provider, out->id, out->version)) in->other_events++;
  r->to_advance = m;
  return PC_OK;
}

const pc_etl_info *pc_etl_get_info(const pc_etl_reader *r) {
  return &r->info;
}

const char *pc_etl_error(const pc_etl_reader *r) {
  return r->err ? r->msg : "";
}

uint64_t pc_etl_error_offset(const pc_etl_reader *r) {
  return r->err ? r->err_off : UINT64_MAX;
}

const pc_etl_count *pc_etl_counts(pc_etl_reader *r, size_t *n) {
  return pc__etl_counts_sorted(r->counts, n);
}

const char *pc_etl_clock_name(uint32_t clock_type) {
  switch (clock_type) {
    case 0:
      return "QPC (default)";
    case PC_ETL_CLOCK_QPC:
      return "QPC";
    case PC_ETL_CLOCK_SYSTEM_TIME:
      return "system time";
    case PC_ETL_CLOCK_CPU_CYCLES:
      return "CPU cycles";
    default:
      return "unknown";
  }
}
