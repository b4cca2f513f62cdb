/* file.c - findings appended to a log file, rotated by size: the transport of the queued
 * sink (transport.c) that writes records on the queue's writer thread.
 *
 * Every record (one line, or one text block) reaches the file with a single write of the
 * complete record, so a reader (tail -f, a log shipper) never sees half a line, and the
 * data is in the kernel when the write returns (no stdio buffering: "flushed per finding";
 * there is no fsync per record, which would cost milliseconds). When the file cannot be
 * opened or written (directory gone, disk full, permissions) the record is kept and
 * retried with back-off while new ones queue up or are dropped and counted; the error is
 * reported once, and the recovery once. A file that was deleted or moved away under us
 * (logrotate, rm -r) is noticed before the next write and created again; SIGHUP reopens
 * the file at once (pc_sinks_reopen). Every open goes through pc_os_file_open: no symlink is
 * followed, and a regular file must be ours. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks_internal.h"

typedef struct filesink {
  pc__qsink b;
  char *path;
  char *rot_from, *rot_to; /* path + ".N" scratch buffers */
  size_t path_len;

  /* Writer thread only. */
  pc_os_file *file;
  uint64_t size;
} filesink;

static void report(filesink *s, pc_err err, const char *what) {
  char os[160];
  pc_os_error_text(os, sizeof os);
  pc__qsink_outage(&s->b, err, "log %s: %s: %s", s->path, what, os);
}

static void rotated_name(filesink *s, char *buf, unsigned i) {
  if (i == 0)
    memcpy(buf, s->path, s->path_len + 1);
  else
    snprintf(buf, s->path_len + 16, "%s.%u", s->path, i);
}

static void close_file(filesink *s) {
  pc_os_file_close(s->file);
  s->file = NULL;
}

/* FILE.(N-1) -> FILE.N, ..., FILE -> FILE.1; the oldest is replaced by the rename. */
static void rotate(filesink *s) {
  close_file(s);
  if (s->b.opts.log_keep == 0) {
    remove(s->path);
    return;
  }
  for (unsigned i = s->b.opts.log_keep; i >= 1; i--) {
    rotated_name(s, s->rot_from, i - 1);
    rotated_name(s, s->rot_to, i);
    pc_err err = pc_os_file_rename(s->rot_from, s->rot_to);
    if (err != PC_OK && err != PC_ENOENT) report(s, err, "cannot rotate");
  }
}

static pc_err open_file(filesink *s) {
  pc_err err = pc_os_file_open(s->path, &s->file, &s->size);
  if (err != PC_OK) report(s, err, "cannot open");
  return err;
}

static pc_err file_deliver(pc__qsink *b, const char *rec, size_t len) {
  filesink *s = (filesink *)b;
  if (s->file && !pc_os_file_is_current(s->file, s->path)) close_file(s);
  if (s->file && b->opts.log_max_bytes && s->size > 0 && s->size + len > b->opts.log_max_bytes &&
      pc_os_file_is_regular(s->file))
    rotate(s);
  if (!s->file && open_file(s) != PC_OK) return PC_EAGAIN;
  if (pc_os_file_append(s->file, rec, len) != PC_OK) {
    report(s, PC_EIO, "cannot write");
    /* Reopen next time: the directory may have been replaced meanwhile. */
    close_file(s);
    return PC_EAGAIN;
  }
  s->size += len;
  pc__qsink_recovered(b, "log %s: writing again", s->path);
  return PC_OK;
}

/* SIGHUP: the file at the path now (a new one after logrotate's rename) from here on. */
static pc_err file_reopen(pc__qsink *b) {
  filesink *s = (filesink *)b;
  close_file(s);
  return open_file(s);
}

/* One line per record, and an empty line after a text block so that blocks stand apart. */
static size_t file_encode(pc__qsink *b, const pc_finding *f, char *buf, size_t cap) {
  size_t n = pc_format_any(b->kind, f, &b->fo, buf, cap);
  const char *end = b->kind == PC_FORMAT_TEXT || b->kind == PC_FORMAT_SAME ? "\n\n" : "\n";
  size_t e = strlen(end);
  if (n + e < cap) memcpy(buf + n, end, e + 1);
  return n + e;
}

static pc_err file_init(pc__qsink *b) {
  filesink *s = (filesink *)b;
  if (b->opts.log_format != PC_FORMAT_SAME) b->kind = b->opts.log_format;
  s->path_len = strlen(b->opts.log_path);
  s->path = malloc(s->path_len + 1);
  s->rot_from = malloc(s->path_len + 16);
  s->rot_to = malloc(s->path_len + 16);
  if (!s->path || !s->rot_from || !s->rot_to) return PC_ENOMEM;
  memcpy(s->path, b->opts.log_path, s->path_len + 1);
  b->opts.log_path = s->path;
  return PC_OK;
}

static void file_fini(pc__qsink *b) {
  filesink *s = (filesink *)b;
  close_file(s);
  free(s->rot_to);
  free(s->rot_from);
  free(s->path);
}

static const pc__transport file_transport = {sizeof(filesink), file_init,   file_encode,
                                             file_deliver,     file_reopen, file_fini};

PC__QSINK_DEFINE(pc_sink_file_ops, "file", file_transport);
