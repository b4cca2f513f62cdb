/* file.c - findings appended to a log file, rotated by size, written by a writer
 * thread behind the bounded queue.
 *
 * Every record (one line, or one text block) reaches the file with a single write of the
 * complete record, so a reader (tail -f, a log shipper) never sees half a line, and the
 * data is in the kernel when the write returns (no stdio buffering: "flushed per finding";
 * there is no fsync per record, which would cost milliseconds). When the file cannot be
 * opened or written (directory gone, disk full, permissions) the record is kept and
 * retried with back-off while new ones queue up or are dropped and counted; the error is
 * reported once, and the recovery once. A file that was deleted or moved away under us
 * (logrotate, rm -r) is noticed before the next write and created again. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks_internal.h"

typedef struct filesink {
  pc_sink_options opts;
  char *path;
  char *rot_from, *rot_to; /* path + ".N" scratch buffers */
  size_t path_len;
  pc_format_kind kind;
  pc_format_options fo;
  pc_sink_diag_fn diag;
  void *ud;
  pc__queue *q;
  char host[256];

  /* Writer thread only. */
  pc_os_file *file;
  uint64_t size;
  bool down;

  _Atomic uint64_t reconnects;
} filesink;

static void report(filesink *s, pc_err err, const char *what) {
  char os[160];
  pc_os_error_text(os, sizeof os);
  if (!s->down) pc__diag(s->diag, s->ud, err, "log %s: %s: %s (will retry)", s->path, what, os);
  s->down = true;
}

static void rotated_name(filesink *s, char *buf, unsigned i) {
  if (i == 0)
    memcpy(buf, s->path, s->path_len + 1);
  else
    snprintf(buf, s->path_len + 16, "%s.%u", s->path, i);
}

/* FILE.(N-1) -> FILE.N, ..., FILE -> FILE.1; the oldest is replaced by the rename. */
static void rotate(filesink *s) {
  pc_os_file_close(s->file);
  s->file = NULL;
  if (s->opts.log_keep == 0) {
    remove(s->path);
    return;
  }
  for (unsigned i = s->opts.log_keep; i >= 1; i--) {
    rotated_name(s, s->rot_from, i - 1);
    rotated_name(s, s->rot_to, i);
    pc_err err = pc_os_file_rename(s->rot_from, s->rot_to);
    if (err != PC_OK && err != PC_ENOENT) report(s, err, "cannot rotate");
  }
}

static pc_err file_deliver(void *ud, const char *rec, size_t len) {
  filesink *s = ud;
  if (s->file && !pc_os_file_is_current(s->file, s->path)) {
    pc_os_file_close(s->file);
    s->file = NULL;
  }
  if (s->file && s->opts.log_max_bytes && s->size > 0 && s->size + len > s->opts.log_max_bytes &&
      pc_os_file_is_regular(s->file))
    rotate(s);
  if (!s->file) {
    pc_err err = pc_os_file_open(s->path, &s->file, &s->size);
    if (err != PC_OK) {
      report(s, err, "cannot open");
      return PC_EAGAIN;
    }
  }
  if (pc_os_file_append(s->file, rec, len) != PC_OK) {
    report(s, PC_EIO, "cannot write");
    /* Reopen next time: the directory may have been replaced meanwhile. */
    pc_os_file_close(s->file);
    s->file = NULL;
    return PC_EAGAIN;
  }
  s->size += len;
  if (s->down) {
    s->down = false;
    atomic_fetch_add(&s->reconnects, 1);
    pc__diag(s->diag, s->ud, PC_OK, "log %s: writing again", s->path);
  }
  return PC_OK;
}

static size_t file_drop_record(void *ud, uint64_t n, char *buf, size_t cap) {
  filesink *s = ud;
  pc_finding f;
  char text[160];
  pc__drop_finding(&f, &s->opts, s->host, n, pc_os_clock_now(), text, sizeof text);
  char *rec;
  size_t len = pc__format_record(s->kind, &f, &s->fo, true, buf, cap, &rec);
  if (rec != buf) {
    free(rec);
    return 0;
  }
  return len;
}

static const pc__queue_ops file_queue_ops = {file_deliver, file_drop_record};

static void file_close(void *state, pc_sink_stats *final);

static pc_err file_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) {
  filesink *s = calloc(1, sizeof *s);
  if (!s) return PC_ENOMEM;
  s->opts = *opts;
  s->diag = diag;
  s->ud = ud;
  s->kind = opts->log_format != PC_FORMAT_SAME ? opts->log_format : opts->format;
  pc__format_options_from(opts, &s->fo);
  s->fo.procid = pc_os_self_pid();
  if (opts->host)
    snprintf(s->host, sizeof s->host, "%s", opts->host);
  else
    pc_host_name(s->host, sizeof s->host);
  atomic_init(&s->reconnects, 0);
  s->path_len = strlen(opts->log_path);
  s->path = malloc(s->path_len + 1);
  s->rot_from = malloc(s->path_len + 16);
  s->rot_to = malloc(s->path_len + 16);
  if (!s->path || !s->rot_from || !s->rot_to) {
    file_close(s, NULL);
    return PC_ENOMEM;
  }
  memcpy(s->path, opts->log_path, s->path_len + 1);
  s->opts.log_path = s->path;
  pc_err err =
      pc__queue_start(&s->q, opts->queue_bytes, opts->retry_min_ms, opts->retry_max_ms, &file_queue_ops, s);
  if (err != PC_OK) {
    file_close(s, NULL);
    return err;
  }
  *state = s;
  return PC_OK;
}

static pc_err file_write(void *state, const pc_finding *f) {
  filesink *s = state;
  char buf[8192], *rec;
  size_t n = pc__format_record(s->kind, f, &s->fo, true, buf, sizeof buf - 1, &rec);
  if (n && (s->kind == PC_FORMAT_TEXT || s->kind == PC_FORMAT_SAME)) rec[n++] = '\n';
  bool ok = pc__queue_push(s->q, rec, n);
  if (rec != buf) free(rec);
  return ok ? PC_OK : PC_EFULL;
}

static pc_err file_flush(void *state, unsigned timeout_ms) {
  filesink *s = state;
  return pc__queue_flush(s->q, timeout_ms);
}

static void file_stats(void *state, pc_sink_stats *out) {
  filesink *s = state;
  pc__queue_stats(s->q, out);
  out->reconnects = atomic_load(&s->reconnects);
}

static void file_close(void *state, pc_sink_stats *final) {
  filesink *s = state;
  if (!s) return;
  pc__queue_stop(s->q, s->opts.drain_ms, final);
  if (final) final->reconnects = atomic_load(&s->reconnects);
  pc_os_file_close(s->file);
  free(s->rot_to);
  free(s->rot_from);
  free(s->path);
  free(s);
}

const pc_sink_ops pc_sink_file_ops = {
    .name = "file",
    .open = file_open,
    .write = file_write,
    .flush = file_flush,
    .stats = file_stats,
    .close = file_close,
};
