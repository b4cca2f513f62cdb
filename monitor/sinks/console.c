/* console.c - findings on stdout for a person at a terminal. Writes synchronously:
 * the console is the triage tool, and a reader who pipes it into `less` wants every
 * finding, so there is no queue here. */
#include <stdlib.h>
#include <string.h>

#include "sinks_internal.h"

typedef struct console {
  pc_sink_options opts;
  pc_format_options fo;
  FILE *out;
  pc_sink_stats st;
} console;

/* Colour only for a terminal, and never when the user said no (NO_COLOR, no-color.org:
 * "present and not an empty string"). */
static bool want_colour(const pc_sink_options *o, FILE *out) {
  if (o->color == PC_COLOR_ALWAYS) return true;
  if (o->color == PC_COLOR_NEVER) return false;
  const char *nc = getenv("NO_COLOR");
  if (nc && *nc) return false;
  return pc_os_is_terminal(out);
}

static pc_err console_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) {
  (void)diag;
  (void)ud;
  console *c = calloc(1, sizeof *c);
  if (!c) return PC_ENOMEM;
  c->opts = *opts;
  c->out = opts->console_out ? opts->console_out : stdout;
  pc__format_options_from(opts, &c->fo);
  c->fo.color = want_colour(opts, c->out);
  c->fo.procid = pc_os_self_pid();
  *state = c;
  return PC_OK;
}

static pc_err console_write(void *state, const pc_finding *f) {
  console *c = state;
  char buf[8192], *rec;
  c->st.submitted++;
  size_t n = pc__format_record(c->opts.format, f, &c->fo, true, buf, sizeof buf, &rec);
  pc_err err = PC_OK;
  if (n == 0) {
    err = PC_ENOMEM;
  } else {
    /* A text block is followed by an empty line so that blocks stand apart. */
    bool block = c->opts.format == PC_FORMAT_TEXT || c->opts.format == PC_FORMAT_SAME;
    if (fwrite(rec, 1, n, c->out) != n || (block && fputc('\n', c->out) == EOF) || fflush(c->out) != 0)
      err = PC_EIO;
  }
  if (rec != buf) free(rec);
  if (err == PC_OK) {
    c->st.written++;
  } else {
    c->st.dropped++;
    c->st.failures++;
  }
  return err;
}

static pc_err console_flush(void *state, unsigned timeout_ms) {
  (void)timeout_ms;
  console *c = state;
  return fflush(c->out) == 0 ? PC_OK : PC_EIO;
}

static void console_stats(void *state, pc_sink_stats *out) {
  console *c = state;
  *out = c->st;
}

static void console_close(void *state, pc_sink_stats *final) {
  console *c = state;
  if (!c) return;
  fflush(c->out);
  if (final) *final = c->st;
  free(c);
}

const pc_sink_ops pc_sink_console_ops = {"console",     console_open,  console_write, console_flush,
                                         console_stats, console_close, NULL};
