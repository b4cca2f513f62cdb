/* sinks_internal.h - shared between the files of the sinks library only. */
#ifndef PC_SINKS_INTERNAL_H
#define PC_SINKS_INTERNAL_H

#include "pc_os.h"
#include "pc_sinks.h"

/* Formats f with k into a heap-free buffer: tries buf first, else mallocs. Appends
 * "\n" when nl. Returns the record in *out (== buf or malloc'd; free when != buf). */
size_t pc__format_record(pc_format_kind k, const pc_finding *f, const pc_format_options *o, bool nl,
                         char *buf, size_t cap, char **out);

/* Fills the options of the formatters from sink options for kind k. */
void pc__format_options_from(const pc_sink_options *so, pc_format_options *fo);

/* Builds the output_dropped finding for n lost records at time now. */
void pc__drop_finding(pc_finding *f, const pc_sink_options *so, const char *host, uint64_t n, pc_time now,
                      char *text, size_t text_cap);

/* Reports through diag (or stderr). */
void pc__diag(pc_sink_diag_fn diag, void *ud, pc_err err, const char *fmt, ...) PC_PRINTF(4, 5);

/* The bounded queue with its writer thread (queue.c). */
typedef struct pc__queue pc__queue;
typedef struct pc__queue_ops {
  /* On the writer thread: PC_OK delivered; PC_EAGAIN not now (kept and retried after a
   * back-off that doubles from retry_min_ms to retry_max_ms); anything else: this record
   * can never be delivered (dropped and counted). */
  pc_err (*deliver)(void *ud, const char *rec, size_t len);
  /* Formats the output_dropped record for n lost records; returns its length, 0 = none. */
  size_t (*drop_record)(void *ud, uint64_t n, char *buf, size_t cap);
} pc__queue_ops;

pc_err pc__queue_start(pc__queue **out, size_t cap_bytes, unsigned retry_min_ms, unsigned retry_max_ms,
                       const pc__queue_ops *ops, void *ud);
/* Copies rec; never waits for the writer. false = dropped (full or too long). */
bool pc__queue_push(pc__queue *q, const char *rec, size_t len);
pc_err pc__queue_flush(pc__queue *q, unsigned timeout_ms);
void pc__queue_stats(pc__queue *q, pc_sink_stats *st);
/* Stops the writer after up to drain_ms of delivering, counts leftovers as dropped,
 * stores the final statistics in *final (may be NULL) and frees q. NULL-safe. */
void pc__queue_stop(pc__queue *q, unsigned drain_ms, pc_sink_stats *final);

#endif
