/* sinks_internal.h - shared between the files of the sinks library only. */
#ifndef PC_SINKS_INTERNAL_H
#define PC_SINKS_INTERNAL_H

#include <stdatomic.h>

#include "pc_os.h"
#include "pc_sinks.h"

/* Formats f with k into a heap-free buffer: tries buf first, else mallocs. Appends
 * "\n" when nl. Returns the record in *out (== buf or malloc'd; free when != buf). */
size_t pc__format_record(pc_format_kind k, const pc_finding *f, const pc_format_options *o, bool nl,
                         char *buf, size_t cap, char **out);

/* Fills the options of the formatters from sink options for kind k. */
void pc__format_options_from(const pc_sink_options *so, pc_format_options *fo);

/* This machine's name, or so->host when the user gave one, into buf. */
void pc__host_of(const pc_sink_options *so, char *buf, size_t cap);

/* Builds the output_dropped finding for n lost records at time now. */
void pc__drop_finding(pc_finding *f, const pc_sink_options *so, const char *host, uint64_t n, pc_time now,
                      char *text, size_t text_cap);

/* A name and its value, for the tables that map names (formats, events) to numbers. */
typedef struct pc__named {
  const char *name;
  int value;
} pc__named;
/* The value of name in t[0..n), or deflt when name is NULL or not in the table. */
int pc__named_value(const pc__named *t, size_t n, const char *name, int deflt);

/* Reports through diag (or stderr). */
void pc__diag(pc_sink_diag_fn diag, void *ud, pc_err err, const char *fmt, ...) PC_PRINTF(4, 5);

/* ---- The bounded queue with its writer thread (queue.c) ---- */
typedef struct pc__queue pc__queue;
typedef struct pc__queue_ops {
  /* On the writer thread: PC_OK delivered; PC_EAGAIN not now (kept and retried after a
   * back-off that doubles from retry_min_ms to retry_max_ms); anything else: this record
   * can never be delivered (dropped and counted). */
  pc_err (*deliver)(void *ud, const char *rec, size_t len);
  /* Formats the output_dropped record for n lost records; returns its length, 0 = none. */
  size_t (*drop_record)(void *ud, uint64_t n, char *buf, size_t cap);
  /* On the writer thread, between two deliveries: lets go of the destination and takes it
   * again (a log file after logrotate). May be NULL. */
  pc_err (*reopen)(void *ud);
} pc__queue_ops;

pc_err pc__queue_start(pc__queue **out, size_t cap_bytes, unsigned retry_min_ms, unsigned retry_max_ms,
                       const pc__queue_ops *ops, void *ud);
/* Copies rec; never waits for the writer. false = dropped (full or too long). */
bool pc__queue_push(pc__queue *q, const char *rec, size_t len);
/* Counts a record that could not even be made (no memory) as submitted and dropped. */
void pc__queue_drop(pc__queue *q);
pc_err pc__queue_flush(pc__queue *q, unsigned timeout_ms);
/* Has the writer call ops->reopen before its next delivery (also during a back-off) and
 * waits up to timeout_ms for it: its result, or PC_ETIMEOUT (it still happens later). */
pc_err pc__queue_reopen(pc__queue *q, unsigned timeout_ms);
void pc__queue_stats(pc__queue *q, pc_sink_stats *st);
/* Stops the writer after up to drain_ms of delivering, counts leftovers as dropped,
 * stores the final statistics in *final (may be NULL) and frees q. NULL-safe. */
void pc__queue_stop(pc__queue *q, unsigned drain_ms, pc_sink_stats *final);

/* ---- The queued sink (transport.c): one skeleton for every sink behind the queue ----
 * A transport (file.c, syslog.c, eventlog-win.c) says how a finding is encoded and how one
 * record reaches its destination; the skeleton does the rest the same way for all: the
 * options, the host name, encoding on the caller's thread into the queue (a buffer on the
 * stack, the heap for a rare long record), the output_dropped record, the statistics, the
 * outage and recovery messages, and closing. */
typedef struct pc__qsink pc__qsink;
typedef struct pc__transport {
  size_t size; /* bytes of the transport's state, which begins with its pc__qsink */
  /* After the common fields are set: checks the options (PC_EINVAL after a diag message)
   * and takes what the transport needs. May be NULL. */
  pc_err (*init)(pc__qsink *s);
  /* Encodes f as one record with its framing; returns the length it needs with snprintf
   * semantics (buf holds the record only when the result is < cap). */
  size_t (*encode)(pc__qsink *s, const pc_finding *f, char *buf, size_t cap);
  /* On the writer thread; as pc__queue_ops.deliver. */
  pc_err (*deliver)(pc__qsink *s, const char *rec, size_t len);
  /* On the writer thread; as pc__queue_ops.reopen. May be NULL. */
  pc_err (*reopen)(pc__qsink *s);
  /* Frees what init took (also after init failed half-way). May be NULL. */
  void (*fini)(pc__qsink *s);
} pc__transport;

struct pc__qsink {
  const pc__transport *t;
  pc_sink_options opts;
  pc_format_kind kind; /* the format of the records (the transport's init may change it) */
  pc_format_options fo;
  pc_sink_diag_fn diag;
  void *ud;
  pc__queue *q;
  char host[256];
  bool down; /* writer thread only: an outage was reported and has not ended */
  _Atomic uint64_t reconnects;
};

/* The pc_sink_ops of a transport (PC__QSINK_DEFINE below). */
pc_err pc__qsink_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud,
                      const pc__transport *t);
pc_err pc__qsink_write(void *state, const pc_finding *f);
pc_err pc__qsink_flush(void *state, unsigned timeout_ms);
pc_err pc__qsink_reopen(void *state, unsigned timeout_ms);
void pc__qsink_stats(void *state, pc_sink_stats *out);
void pc__qsink_close(void *state, pc_sink_stats *final);
/* Defines the pc_sink_ops VAR of the transport T (a pc__transport): its open runs the skeleton
 * with T, the rest is the skeleton's. */
#define PC__QSINK_DEFINE(VAR, NAME, T)                                                                  \
  static pc_err VAR##_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) { \
    return pc__qsink_open(state, opts, diag, ud, &(T));                                                 \
  }                                                                                                     \
  const pc_sink_ops VAR = {.name = NAME,                                                                \
                           .open = VAR##_open,                                                          \
                           .write = pc__qsink_write,                                                    \
                           .flush = pc__qsink_flush,                                                    \
                           .stats = pc__qsink_stats,                                                    \
                           .close = pc__qsink_close,                                                    \
                           .reopen = pc__qsink_reopen}

/* Writer thread: says "NAME: WHAT (will retry)" once per outage (the first failure). */
void pc__qsink_outage(pc__qsink *s, pc_err err, const char *fmt, ...) PC_PRINTF(3, 4);
/* Writer thread, after a delivery: when an outage was reported, counts a reconnect and says
 * so (fmt: "log FILE: writing again"). */
void pc__qsink_recovered(pc__qsink *s, const char *fmt, ...) PC_PRINTF(2, 3);

#endif
