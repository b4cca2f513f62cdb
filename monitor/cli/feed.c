/* feed.c - the one loop of feed.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempt_text.h"
#include "feed.h"
#include "pc_os.h"

/* How long a live source is waited for before the loop looks at its clock: short enough for
 * a prompt stop and periodic work, long enough not to spin. */
#define LIVE_WAIT_MS 200
/* The periodic work of a live run (event time on idle, aggregation windows that ended, the
 * watch-list poll when due, losses said at once) runs this often, busy or idle. */
#define PERIODIC_MS 1000
/* Offline: the sinks' status line is offered every so many records. */
#define STATUS_EVERY 65536

struct pc_feed {
  pc_feed_options o;
  pc_finding_output *out; /* NULL with print_attempts */
  pc_pipeline *pipe;
  /* Event time: the newest event time seen, and the monotonic time it was seen at, so that
   * on a quiet host event time moves on by elapsed monotonic time, never by the wall clock
   * (which can step backwards: NTP, resume from sleep). */
  pc_time last_ts;
  uint64_t last_ts_mono;
  uint64_t lost_reported;
};

static void print_attempt(pc_feed *f, const pc_bind_attempt *a, const void *extra) {
  if (!a->failed && !f->o.print_successes) return;
  char line[1024];
  size_t n = pc_attempt_format_line(a, line, sizeof line);
  if (n >= sizeof line) n = sizeof line - 1;
  if (f->o.format_extra && extra) f->o.format_extra(extra, line + n, sizeof line - n);
  printf("%s\n", line);
  fflush(stdout);
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  pc_feed *f = ud;
  if (f->out)
    pc_finding_output_attempt(f->out, a);
  else
    print_attempt(f, a, NULL);
}

static void on_event(const pc_event *ev, void *ud) {
  pc_feed *f = ud;
  pc_finding_output_event(f->out, ev);
}

int pc_feed_new(const pc_feed_options *o, pc_finding_output *out, pc_feed **feed) {
  *feed = NULL;
  pc_feed *f = calloc(1, sizeof *f);
  if (!f) return PC_ENOMEM;
  f->o = *o;
  f->out = out;
  /* With findings, the watch list sees every decoded event (reservations, listeners) and
   * successful binds (learned ports). */
  bool watching = out && pc_finding_output_watching(out);
  pc_pipeline_options po = {.report_success = (o->print_attempts && o->print_successes) || watching,
                            .on_event = watching ? on_event : NULL,
                            .event_ud = f,
                            .reorder_watermark = o->reorder_watermark};
  if (pc_pipeline_new(&po, on_attempt, f, &f->pipe) != PC_OK) {
    free(f);
    return PC_ENOMEM;
  }
  *feed = f;
  return PC_OK;
}

pc_pipeline *pc_feed_pipeline(pc_feed *f) {
  return f->pipe;
}

static void saw_time(pc_feed *f, pc_time ts) {
  if (ts > f->last_ts) {
    f->last_ts = ts;
    /* Only a live run's idle clock needs it: offline, a clock read per record was 8 % of
     * analyze's CPU. */
    if (f->o.live) f->last_ts_mono = pc_os_clock_ms();
  }
}

/* Event time now, for a live source that may be idle. Records: the pipeline's own clock
 * (pc_pipeline_tick: the last record's time plus monotonic time while idle, up to what its
 * reorder stage has handed on). Attempts of a source without records (eBPF): the same rule
 * here. */
static pc_time event_now(pc_feed *f, uint64_t mono) {
  pc_time t = pc_pipeline_tick(f->pipe, (pc_time)mono * PC_TIME_TICKS_PER_MS);
  if (t != PC_TIME_UNKNOWN) return t;
  if (!f->last_ts) return pc_os_clock_now(); /* nothing seen yet: the wall clock is all we have */
  return f->last_ts + (pc_time)(mono - f->last_ts_mono) * PC_TIME_TICKS_PER_MS;
}

static void take(pc_feed *f, const pc_source_item *it) {
  if (it->kind == PC_SOURCE_RECORD) {
    if (f->o.on_record) f->o.on_record(f->o.ud, &it->record);
    saw_time(f, it->record.timestamp);
    pc_pipeline_push(f->pipe, &it->record);
    /* Live: notes when the newest record arrived (the pipeline's idle clock starts there). */
    if (f->o.live) (void)pc_pipeline_tick(f->pipe, (pc_time)pc_os_clock_ms() * PC_TIME_TICKS_PER_MS);
  } else {
    saw_time(f, it->attempt.ts_last);
    if (f->out)
      pc_finding_output_attempt(f->out, &it->attempt);
    else
      print_attempt(f, &it->attempt, it->extra);
  }
}

static void counts_of(pc_feed *f, const pc_source_stats *st, pc_run_counts *c) {
  memset(c, 0, sizeof *c);
  c->events_seen = st->items;
  c->events_lost = st->lost;
  c->lost_detail = st->detail;
  pc_pipeline_stats ps;
  pc_pipeline_get_stats(f->pipe, &ps);
  c->outcome_unknown = ps.correlator.outcome_unknown;
  if (f->out) {
    pc_finding_output_stats os;
    pc_finding_output_get_stats(f->out, &os);
    c->not_explained_at_stop = os.not_explained;
  }
}

/* The periodic work of a live run. */
static void periodic(pc_feed *f, pc_source *src, uint64_t mono) {
  pc_time now = event_now(f, mono);
  pc_source_stats st;
  pc_source_get_stats(src, &st);
  if (st.lost > f->lost_reported) {
    /* Said at once, not only in the periodic status: findings may be missing. */
    fprintf(stderr, "portclash: warning: %llu events lost so far before portclash could read them%s%s\n",
            (unsigned long long)st.lost, st.detail[0] ? "; " : "", st.detail);
    f->lost_reported = st.lost;
  }
  if (f->out) {
    pc_finding_output_advance(f->out, now);
    pc_finding_output_poll(f->out, now, false);
    pc_run_counts c;
    counts_of(f, &st, &c);
    pc_finding_output_tick(f->out, &c);
  }
}

void pc_feed_run(pc_feed *f, pc_source *src, pc_feed_result *res) {
  memset(res, 0, sizeof *res);
  pc_source_item it;
  uint64_t start = pc_os_clock_ms(), next_periodic = start + PERIODIC_MS;
  uint64_t next_status = f->o.status_ms ? start + f->o.status_ms : UINT64_MAX;
  bool stopping = false;
  for (;;) {
    if (f->o.reopen_flag && *f->o.reopen_flag) {
      *f->o.reopen_flag = 0;
      pc_finding_output_reopen(f->out); /* NULL (--attempts): says there is nothing to reopen */
    }
    if (!stopping && ((f->o.stop_flag && *f->o.stop_flag) || (f->o.live && pc_source_stop_requested(src)))) {
      /* Stop intake; what the source still holds is handed out below before PC_EEND. */
      pc_source_stop(src);
      stopping = true;
      res->interrupted = true;
      if (!f->o.live) break; /* a file: what was read is explained, the rest is not read */
      /* Explaining is what takes time (a host-state lookup per distinct failure): without
       * --drain what is still held is only counted, so the stop takes about a second. */
      if (f->out && !f->o.drain) pc_finding_output_stop(f->out);
    }
    int rc = pc_source_next(src, &it, f->o.live && !stopping ? LIVE_WAIT_MS : 0);
    if (rc == PC_OK) {
      res->items++;
      take(f, &it);
      if (!f->o.live && f->out && res->items % STATUS_EVERY == 0) {
        pc_source_stats st;
        pc_source_get_stats(src, &st);
        pc_run_counts c;
        counts_of(f, &st, &c);
        pc_finding_output_tick(f->out, &c);
      }
    } else if (rc == PC_EEND) {
      break;
    } else if (rc != PC_ETIMEOUT) {
      res->source_error = rc;
      const char *msg = pc_source_error(src);
      fprintf(stderr, "portclash: %s (findings before it were reported)\n", msg[0] ? msg : pc_strerror(rc));
      break;
    }
    if (!f->o.live) continue;
    uint64_t mono = pc_os_clock_ms();
    if (!stopping && f->o.duration_ms && mono - start >= f->o.duration_ms) {
      pc_source_stop(src);
      stopping = true;
    }
    /* Every wake-up (at most LIVE_WAIT_MS apart): the pipeline's reorder stage and
     * correlator hand on what is due, so a lone failure is out within the watermark + the
     * correlator's hold + LIVE_WAIT_MS. */
    (void)pc_pipeline_tick(f->pipe, (pc_time)mono * PC_TIME_TICKS_PER_MS);
    if (mono >= next_periodic) {
      periodic(f, src, mono);
      next_periodic = mono + PERIODIC_MS;
    }
    if (mono >= next_status && !f->out) {
      /* With findings the sinks print the status line (periodic); without, say it here. */
      pc_source_stats st;
      pc_source_get_stats(src, &st);
      fprintf(stderr, "portclash: status: %llu items, %llu lost%s%s\n", (unsigned long long)st.items,
              (unsigned long long)st.lost, st.detail[0] ? "; " : "", st.detail);
      next_status = mono + f->o.status_ms;
    }
  }
  pc_pipeline_finish(f->pipe);
  if (f->out) pc_finding_output_flush(f->out);
  pc_source_get_stats(src, &res->source);
}

pc_time pc_feed_last_time(const pc_feed *f) {
  return f->last_ts;
}

void pc_feed_counts(pc_feed *f, const pc_feed_result *res, pc_run_counts *counts) {
  counts_of(f, &res->source, counts);
}

void pc_feed_write_summary(pc_feed *f, FILE *out) {
  pc_pipeline_stats ps;
  pc_pipeline_get_stats(f->pipe, &ps);
  if (ps.records) pc_pipeline_write_summary(f->pipe, out);
}

void pc_feed_free(pc_feed *f) {
  if (!f) return;
  pc_pipeline_free(f->pipe);
  free(f);
}
