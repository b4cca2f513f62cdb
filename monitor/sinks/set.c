/* set.c - the set of sinks chosen on the command line, the status line and summary,
 * and the helpers every sink shares (options, formatting into a record, diagnostics). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pc_version.h"
#include "sinks_internal.h"

#define MAX_SINKS 4
/* How long a reopen is waited for (a slow disk, a writer in the middle of a delivery). */
#define REOPEN_WAIT_MS 1000

int pc__named_value(const pc__named *t, size_t n, const char *name, int deflt) {
  for (size_t i = 0; name && i < n; i++)
    if (strcmp(name, t[i].name) == 0) return t[i].value;
  return deflt;
}

pc_err pc_format_kind_parse(const char *name, pc_format_kind *out) {
  static const pc__named kinds[] = {{"text", PC_FORMAT_TEXT},
                                    {"json", PC_FORMAT_JSON},
                                    {"syslog", PC_FORMAT_SYSLOG},
                                    {"syslog3164", PC_FORMAT_SYSLOG3164},
                                    {"cef", PC_FORMAT_CEF}};
  int k = pc__named_value(kinds, sizeof kinds / sizeof kinds[0], name, -1);
  if (k < 0) return PC_EINVAL;
  *out = (pc_format_kind)k;
  return PC_OK;
}

size_t pc_format_any(pc_format_kind kind, const pc_finding *f, const pc_format_options *o, char *buf,
                     size_t cap) {
  switch (kind) {
    case PC_FORMAT_JSON:
      return pc_format_json(f, o, buf, cap);
    case PC_FORMAT_SYSLOG:
      return pc_format_syslog(f, o, buf, cap);
    case PC_FORMAT_SYSLOG3164:
      return pc_format_syslog3164(f, o, buf, cap);
    case PC_FORMAT_CEF:
      return pc_format_cef(f, o, buf, cap);
    case PC_FORMAT_SAME:
    case PC_FORMAT_TEXT:
      break;
  }
  return pc_format_text(f, o, buf, cap);
}

void pc_sink_options_init(pc_sink_options *o) {
  memset(o, 0, sizeof *o);
  o->format = PC_FORMAT_TEXT;
  o->console = true;
  o->status_interval_ms = 10000;
  o->log_max_bytes = 10u * 1024 * 1024;
  o->log_keep = 5;
  o->syslog_facility = 1;
  o->queue_bytes = 1u << 20;
  o->retry_min_ms = 100;
  o->retry_max_ms = 30000;
  o->drain_ms = 2000;
}

void pc__format_options_from(const pc_sink_options *so, pc_format_options *fo) {
  pc_format_options_init(fo);
  if (so->app_name) fo->app_name = so->app_name;
  if (so->sd_id) fo->sd_id = so->sd_id;
  fo->facility = so->syslog_facility;
  fo->max_bytes = so->syslog_max_bytes;
  fo->version = so->version ? so->version : PC_VERSION;
}

size_t pc__format_record(pc_format_kind k, const pc_finding *f, const pc_format_options *o, bool nl,
                         char *buf, size_t cap, char **out) {
  size_t n = pc_format_any(k, f, o, buf, cap);
  *out = buf;
  if (n + 2 > cap) {
    /* Rare (a huge explanation): format again into a buffer of the right size. */
    char *big = malloc(n + 2);
    if (!big) return 0;
    pc_format_any(k, f, o, big, n + 2);
    *out = big;
  }
  if (nl) (*out)[n++] = '\n';
  (*out)[n] = '\0';
  return n;
}

void pc__host_of(const pc_sink_options *so, char *buf, size_t cap) {
  if (so->host)
    snprintf(buf, cap, "%s", so->host);
  else
    pc_host_name(buf, cap);
}

void pc__drop_finding(pc_finding *f, const pc_sink_options *so, const char *host, uint64_t n, pc_time now,
                      char *text, size_t text_cap) {
  memset(f, 0, sizeof *f);
  f->ts = f->ts_last = now;
  f->host = host;
  f->os = so->os;
  f->event = "output_dropped";
  f->severity = "warning";
  snprintf(text, text_cap,
           "%llu record(s) were dropped because this output could not keep up or was "
           "unavailable",
           (unsigned long long)n);
  f->explanation = text;
  f->count = n;
  f->source = "portclash";
}

void pc__diag(pc_sink_diag_fn diag, void *ud, pc_err err, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (diag)
    diag(ud, err, msg);
  else
    fprintf(stderr, "portclash: %s\n", msg);
}

struct pc_sinks {
  pc_sink_options opts;
  char host[256];
  /* Loss records: the totals already reported, and when the last record went out. */
  uint64_t lost_reported, limits_reported;
  uint64_t last_loss_ms;
  bool loss_said;
  const pc_sink_ops *ops[MAX_SINKS];
  void *state[MAX_SINKS];
  size_t n;
  uint64_t findings, failures;
  uint64_t last_tick;
};

pc_err pc_sinks_open(const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud, pc_sinks **out) {
  *out = NULL;
  if (opts->sd_id && !pc_format_sd_name_valid(opts->sd_id)) {
    pc__diag(diag, ud, PC_EINVAL,
             "--sd-id '%s' is not an RFC 5424 SD-NAME (1-32 printable "
             "ASCII characters except '=', ']', '\"' and space)",
             opts->sd_id);
    return PC_EINVAL;
  }
  if (opts->syslog_facility > 23) {
    pc__diag(diag, ud, PC_EINVAL, "--syslog-facility %u is out of range 0..23", opts->syslog_facility);
    return PC_EINVAL;
  }
  pc_sinks *s = calloc(1, sizeof *s);
  if (!s) return PC_ENOMEM;
  s->opts = *opts;
  s->last_tick = pc_os_clock_ms();
  pc__host_of(opts, s->host, sizeof s->host);
  const pc_sink_ops *want[MAX_SINKS];
  size_t nw = 0;
  if (opts->console) want[nw++] = &pc_sink_console_ops;
  if (opts->log_path) want[nw++] = &pc_sink_file_ops;
  if (opts->syslog_url) want[nw++] = &pc_sink_syslog_ops;
  if (opts->eventlog) want[nw++] = &pc_sink_eventlog_ops;
  for (size_t i = 0; i < nw; i++) {
    void *st = NULL;
    pc_err err = want[i]->open(&st, opts, diag, ud);
    if (err != PC_OK) {
      pc_sinks_close(s, NULL, false);
      return err;
    }
    s->ops[s->n] = want[i];
    s->state[s->n++] = st;
  }
  *out = s;
  return PC_OK;
}

pc_err pc_sinks_write(pc_sinks *s, const pc_finding *f) {
  pc_err first = PC_OK;
  s->findings++;
  if (f->event && strcmp(f->event, "bind_failure") == 0) s->failures += f->count ? f->count : 1;
  for (size_t i = 0; i < s->n; i++) {
    pc_err err = s->ops[i]->write(s->state[i], f);
    if (err != PC_OK && first == PC_OK) first = err;
  }
  return first;
}

pc_err pc_sinks_flush(pc_sinks *s, unsigned timeout_ms) {
  uint64_t until = pc_os_clock_ms() + timeout_ms;
  pc_err first = PC_OK;
  for (size_t i = 0; i < s->n; i++) {
    uint64_t now = pc_os_clock_ms();
    pc_err err = s->ops[i]->flush(s->state[i], now < until ? (unsigned)(until - now) : 0);
    if (err != PC_OK && first == PC_OK) first = err;
  }
  return first;
}

size_t pc_sinks_reopen(pc_sinks *s) {
  FILE *out = s->opts.status_out ? s->opts.status_out : stderr;
  size_t reopened = 0, tried = 0;
  for (size_t i = 0; i < s->n; i++) {
    pc_err err = s->ops[i]->reopen ? s->ops[i]->reopen(s->state[i], REOPEN_WAIT_MS) : PC_ENOTSUP;
    if (err == PC_ENOTSUP) continue; /* nothing to reopen (a collector, the Event Log) */
    tried++;
    if (err == PC_OK) reopened++;
    /* The sink said why it failed; the status line says what the signal did. */
    bool file = strcmp(s->ops[i]->name, "file") == 0;
    fprintf(out, "portclash: status: %s %s (SIGHUP)%s%s\n", file ? "log file" : s->ops[i]->name,
            err == PC_OK         ? "reopened"
            : err == PC_ETIMEOUT ? "reopen pending"
                                 : "not reopened, will retry",
            file ? ": " : "", file ? s->opts.log_path : "");
  }
  if (!tried) fputs("portclash: status: SIGHUP: no log file to reopen\n", out);
  fflush(out);
  return reopened;
}

static void add_stats(pc_sink_stats *t, const pc_sink_stats *st) {
  t->submitted += st->submitted;
  t->written += st->written;
  t->dropped += st->dropped;
  t->queued += st->queued;
  t->failures += st->failures;
  t->reconnects += st->reconnects;
  t->drop_reports += st->drop_reports;
}

void pc_sinks_stats(pc_sinks *s, pc_sink_stats *total) {
  memset(total, 0, sizeof *total);
  for (size_t i = 0; i < s->n; i++) {
    pc_sink_stats st;
    s->ops[i]->stats(s->state[i], &st);
    add_stats(total, &st);
  }
}

static size_t status_line(const pc_sinks *s, const pc_sink_stats *t, const pc_run_counts *c, char *buf,
                          size_t cap) {
  int n = snprintf(buf, cap, "portclash: %llu events, %llu failures, %llu events lost, %llu dropped",
                   (unsigned long long)(c ? c->events_seen : 0), (unsigned long long)s->failures,
                   (unsigned long long)(c ? c->events_lost : 0), (unsigned long long)t->dropped);
  if (n > 0 && (size_t)n < cap && c && c->outcome_unknown)
    n += snprintf(buf + n, cap - (size_t)n, ", %llu outcome unknown", (unsigned long long)c->outcome_unknown);
  if (n > 0 && (size_t)n < cap && c && c->not_explained_at_stop)
    n += snprintf(buf + n, cap - (size_t)n, ", %llu not explained at stop (--drain explains them)",
                  (unsigned long long)c->not_explained_at_stop);
  return n > 0 ? (size_t)n : 0;
}

size_t pc_sinks_status_line(pc_sinks *s, const pc_run_counts *c, char *buf, size_t cap) {
  pc_sink_stats t;
  pc_sinks_stats(s, &t);
  return status_line(s, &t, c, buf, cap);
}

/* One loss record (events_lost or limit_hit) for n more, total since the start. */
static void loss_record(pc_sinks *s, const char *event, uint64_t n, uint64_t total, const char *detail) {
  char text[700];
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = pc_os_clock_now();
  f.host = s->host;
  f.os = s->opts.os;
  f.event = event;
  f.severity = "warning";
  f.count = n;
  f.source = "portclash";
  if (strcmp(event, "events_lost") == 0) {
    if (s->opts.source) f.source = s->opts.source;
    snprintf(text, sizeof text,
             "%llu event(s) were lost before portclash could read them (%llu since the start): bind "
             "failures of that time may be missing from this output%s%s",
             (unsigned long long)n, (unsigned long long)total, detail && *detail ? "; " : "",
             detail ? detail : "");
  } else {
    snprintf(text, sizeof text,
             "%llu rule match(es) stopped at the regular-expression limit (%llu since the start) and "
             "counted as no match, so a finding may carry a less specific explanation; a rule's pattern "
             "backtracks too much (check the rules with 'portclash rules check')",
             (unsigned long long)n, (unsigned long long)total);
  }
  f.explanation = text;
  pc_sinks_write(s, &f);
}

/* The loss records that are due (any that grew when final: at the end of the run). */
static void loss_records(pc_sinks *s, const pc_run_counts *c, bool final) {
  if (!s->opts.loss_records || !c) return;
  bool lost = c->events_lost > s->lost_reported, limits = c->limit_hits > s->limits_reported;
  if (!lost && !limits) return;
  uint64_t now = pc_os_clock_ms();
  unsigned every = s->opts.status_interval_ms ? s->opts.status_interval_ms : 10000;
  if (!final && s->loss_said && now - s->last_loss_ms < every) return;
  s->loss_said = true;
  s->last_loss_ms = now;
  if (lost) loss_record(s, "events_lost", c->events_lost - s->lost_reported, c->events_lost, c->lost_detail);
  if (limits) loss_record(s, "limit_hit", c->limit_hits - s->limits_reported, c->limit_hits, NULL);
  s->lost_reported = c->events_lost;
  s->limits_reported = c->limit_hits;
}

void pc_sinks_tick(pc_sinks *s, const pc_run_counts *c) {
  loss_records(s, c, false);
  if (!s->opts.status_interval_ms) return;
  uint64_t now = pc_os_clock_ms();
  if (now - s->last_tick < s->opts.status_interval_ms) return;
  s->last_tick = now;
  char line[256];
  pc_sinks_status_line(s, c, line, sizeof line);
  FILE *out = s->opts.status_out ? s->opts.status_out : stderr;
  fprintf(out, "%s\n", line);
  fflush(out);
}

static void summary(const pc_sinks *s, const pc_sink_stats *per, size_t n, const pc_run_counts *c) {
  pc_sink_stats t;
  memset(&t, 0, sizeof t);
  for (size_t i = 0; i < n; i++) add_stats(&t, &per[i]);
  char line[256];
  status_line(s, &t, c, line, sizeof line);
  FILE *out = s->opts.status_out ? s->opts.status_out : stderr;
  fprintf(out, "%s\n", line);
  for (size_t i = 0; i < n; i++)
    if (per[i].dropped || per[i].failures)
      fprintf(out, "portclash: %s: %llu written, %llu dropped, %llu failed attempts, %llu reconnects\n",
              s->ops[i]->name, (unsigned long long)per[i].written, (unsigned long long)per[i].dropped,
              (unsigned long long)per[i].failures, (unsigned long long)per[i].reconnects);
  fflush(out);
}

void pc_sinks_summary(pc_sinks *s, const pc_run_counts *c) {
  pc_sink_stats per[MAX_SINKS];
  for (size_t i = 0; i < s->n; i++) s->ops[i]->stats(s->state[i], &per[i]);
  summary(s, per, s->n, c);
}

void pc_sinks_close(pc_sinks *s, const pc_run_counts *c, bool print_summary) {
  if (!s) return;
  loss_records(s, c, true);
  pc_sink_stats per[MAX_SINKS];
  /* Queued sinks stop their writer first, so the numbers in the summary are final. */
  for (size_t i = 0; i < s->n; i++) s->ops[i]->close(s->state[i], &per[i]);
  if (print_summary) summary(s, per, s->n, c);
  free(s);
}
