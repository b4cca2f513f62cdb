/* transport.c - the queued sink (sinks_internal.h): what the file, syslog and Event Log
 * sinks share. The caller's thread encodes a finding into a record and pushes it into the
 * bounded queue (queue.c); the queue's writer thread hands each record to the transport's
 * deliver. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sinks_internal.h"

/* Records up to this size are encoded on the stack; longer ones (a long explanation with
 * many fixes) on the heap. */
#define STACK_RECORD 16384
#define DROP_TEXT 160

static pc_err q_deliver(void *ud, const char *rec, size_t len) {
  pc__qsink *s = ud;
  return s->t->deliver(s, rec, len);
}

static size_t q_drop_record(void *ud, uint64_t n, char *buf, size_t cap) {
  pc__qsink *s = ud;
  pc_finding f;
  char text[DROP_TEXT];
  pc__drop_finding(&f, &s->opts, s->host, n, pc_os_clock_now(), text, sizeof text);
  size_t len = s->t->encode(s, &f, buf, cap);
  return len < cap ? len : 0;
}

static pc_err q_reopen(void *ud) {
  pc__qsink *s = ud;
  return s->t->reopen ? s->t->reopen(s) : PC_ENOTSUP;
}

static const pc__queue_ops qsink_queue_ops = {q_deliver, q_drop_record, q_reopen};

pc_err pc__qsink_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud,
                      const pc__transport *t) {
  *state = NULL;
  pc__qsink *s = calloc(1, t->size);
  if (!s) return PC_ENOMEM;
  s->t = t;
  s->opts = *opts;
  s->diag = diag;
  s->ud = ud;
  s->kind = opts->format;
  atomic_init(&s->reconnects, 0);
  pc__format_options_from(opts, &s->fo);
  s->fo.procid = pc_os_self_pid();
  pc__host_of(opts, s->host, sizeof s->host);
  pc_err err = t->init ? t->init(s) : PC_OK;
  if (err == PC_OK)
    err = pc__queue_start(&s->q, opts->queue_bytes, opts->retry_min_ms, opts->retry_max_ms, &qsink_queue_ops,
                          s);
  if (err != PC_OK) {
    pc__qsink_close(s, NULL);
    return err;
  }
  *state = s;
  return PC_OK;
}

pc_err pc__qsink_write(void *state, const pc_finding *f) {
  pc__qsink *s = state;
  char buf[STACK_RECORD];
  size_t n = s->t->encode(s, f, buf, sizeof buf);
  if (n < sizeof buf) return pc__queue_push(s->q, buf, n) ? PC_OK : PC_EFULL;
  /* Rare: encode again into a buffer of the right size. A record the queue cannot hold is
   * dropped and counted by the push. */
  char *big = malloc(n + 1);
  bool ok = big && s->t->encode(s, f, big, n + 1) == n;
  if (ok)
    ok = pc__queue_push(s->q, big, n);
  else
    pc__queue_drop(s->q);
  free(big);
  return ok ? PC_OK : PC_EFULL;
}

pc_err pc__qsink_flush(void *state, unsigned timeout_ms) {
  pc__qsink *s = state;
  return pc__queue_flush(s->q, timeout_ms);
}

pc_err pc__qsink_reopen(void *state, unsigned timeout_ms) {
  pc__qsink *s = state;
  return s->t->reopen ? pc__queue_reopen(s->q, timeout_ms) : PC_ENOTSUP;
}

void pc__qsink_stats(void *state, pc_sink_stats *out) {
  pc__qsink *s = state;
  pc__queue_stats(s->q, out);
  out->reconnects = atomic_load(&s->reconnects);
}

void pc__qsink_close(void *state, pc_sink_stats *final) {
  pc__qsink *s = state;
  if (!s) return;
  pc__queue_stop(s->q, s->opts.drain_ms, final);
  if (final) final->reconnects = atomic_load(&s->reconnects);
  if (s->t->fini) s->t->fini(s);
  free(s);
}

/* A destination's message through diag: fmt's text, then suffix. */
static void say(pc__qsink *s, pc_err err, const char *suffix, const char *fmt, va_list ap) PC_PRINTF(4, 0);
static void say(pc__qsink *s, pc_err err, const char *suffix, const char *fmt, va_list ap) {
  char msg[480];
  vsnprintf(msg, sizeof msg, fmt, ap);
  pc__diag(s->diag, s->ud, err, "%s%s", msg, suffix);
}

void pc__qsink_outage(pc__qsink *s, pc_err err, const char *fmt, ...) {
  if (!s->down) {
    va_list ap;
    va_start(ap, fmt);
    say(s, err, " (will retry)", fmt, ap);
    va_end(ap);
  }
  s->down = true;
}

void pc__qsink_recovered(pc__qsink *s, const char *fmt, ...) {
  if (!s->down) return;
  s->down = false;
  atomic_fetch_add(&s->reconnects, 1);
  va_list ap;
  va_start(ap, fmt);
  say(s, PC_OK, "", fmt, ap);
  va_end(ap);
}
