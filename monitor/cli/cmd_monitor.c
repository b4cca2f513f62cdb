/* cmd_monitor.c - `portclash monitor` on every platform: the live source of this machine
 * (opened by cmd_monitor-linux.c or cmd_monitor-win.c) -> the one loop (feed.c) -> the same
 * finding path as `analyze` (run.h), with the same output options. A status line on stderr
 * every few seconds, a summary at exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "feed.h"
#include "monitor.h"
#include "run.h"

int pc_monitor_options_parse(pc_monitor_options *o, pc_options *all, int argc, char **argv) {
  memset(o, 0, sizeof *o);
  int rc = pc_options_parse(all, PC_CMD_MONITOR, argc, argv, stdout, stderr);
  if (rc != PC_OPTIONS_RUN) return rc;
  o->run = all->run;
  /* Whole seconds; a fraction rounds up so that a short period never means "never". */
  o->status_seconds = (unsigned)((all->status + PC_TIME_TICKS_PER_SEC - 1) / PC_TIME_TICKS_PER_SEC);
  o->duration_ms = (uint64_t)(all->duration / PC_TIME_TICKS_PER_MS);
  o->attempts = all->attempts;
  o->successes = all->successes;
  o->drain = all->drain;
  return PC_OPTIONS_RUN;
}

/* Set by the platform's signal handlers (pc__monitor_signals_install); the loop acts on them. */
static volatile int stop_requested, reopen_requested;
static bool last_interrupted;

bool pc__monitor_interrupted(void) {
  return last_interrupted;
}

int pc_monitor_run(pc_monitor_options *o, const pc_monitor_platform *pl) {
  return pc__monitor_run_wrapped(o, pl, NULL, NULL);
}

int pc__monitor_run_wrapped(pc_monitor_options *o, const pc_monitor_platform *pl, pc_monitor_wrap_fn wrap,
                            void *wrap_ud) {
  int exit_code = PC_EXIT_FAILURE;
  /* From the start: a stop asked while the rules, the host state or the source are being
   * opened ends the loop as soon as it runs, and a SIGHUP from logrotate then (or while the
   * outputs drain at the end) must not end the process. */
  stop_requested = reopen_requested = 0;
  pc__monitor_signals_install(&stop_requested, &reopen_requested);
  pc_hoststate *hs = NULL;
  pc_finding_output *out = NULL;
  pc_feed *feed = NULL;
  pc_source *src = NULL;
  last_interrupted = false;
  if (!o->attempts) {
    char hserr[PC_HOSTSTATE_ERR_MAX] = "";
    if (pc_hoststate_open_live(&hs, hserr, sizeof hserr) != PC_OK) {
      /* Findings without owners and ranges are still worth having. */
      fprintf(stderr, "portclash monitor: host state unavailable, findings will lack owners and ranges: %s\n",
              hserr);
      hs = NULL;
    }
    if (hs && wrap) hs = wrap(wrap_ud, hs);
    /* Where reading the state is slow (netsh on Windows), a worker re-reads it on its own
     * wall-clock schedule (every --watch-poll seconds, and at once after a reservation event),
     * so the loop only ever installs finished snapshots. Elsewhere: PC_ENOTSUP, nothing to do. */
    pc_hoststate_bg_options bg = {0};
    bg.refresh_ms =
        o->run.watch_poll > 0 ? (uint32_t)(o->run.watch_poll / (PC_TIME_TICKS_PER_SEC / 1000)) : 30000;
    if (hs) {
      int brc = pc_hoststate_start_background(hs, &bg);
      if (brc != PC_OK && brc != PC_ENOTSUP)
        fprintf(stderr, "portclash monitor: note: no background host-state refresh: %s\n",
                pc_hoststate_error(hs));
    }
    o->run.sinks.status_interval_ms = o->status_seconds * 1000u;
    o->run.sinks.loss_records = true; /* events_lost / limit_hit findings */
    /* Live triage: the first failure shows at once, repeats follow as one finding; the watch
     * list is on (learned ports unless --no-learn) and kept in the state directory. */
    bool watch = wrap == NULL;
    pc_finding_output_options fo = {hs, pl->os, pl->os_build, pl->source, true, watch, watch};
    int rc = pc_finding_output_open(&o->run, &fo, &out);
    if (rc != PC_OK) {
      exit_code = rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
      goto done;
    }
  }
  pc_feed_options feo = {.live = true,
                         .duration_ms = o->duration_ms,
                         .status_ms = o->status_seconds * 1000u,
                         .print_attempts = o->attempts,
                         .print_successes = o->successes,
                         .format_extra = pl->format_extra,
                         .on_record = pl->on_record,
                         .ud = pl->ud,
                         .stop_flag = &stop_requested,
                         .reopen_flag = &reopen_requested,
                         .drain = o->drain,
                         .reorder_watermark = pl->reorder_watermark};
  if (pc_feed_new(&feo, out, &feed) != PC_OK) {
    fputs("portclash monitor: out of memory\n", stderr);
    goto done;
  }
  exit_code = pl->open(pl->ud, pc_feed_pipeline(feed), &src);
  if (exit_code != PC_EXIT_OK) goto done;

  pc_source_info info;
  pc_source_get_info(src, &info);
  /* The "monitoring" line tells scripts (and the tests) that the source is attached. */
  fprintf(stderr, "portclash: monitoring bind failures (%s); Ctrl+C to stop\n", info.attached);
  fflush(stderr);
  pc_feed_result res;
  pc_feed_run(feed, src, &res);
  last_interrupted = res.interrupted;

  pc_run_counts counts;
  pc_feed_counts(feed, &res, &counts);
  pc_feed_write_summary(feed, stderr);
  pc_finding_output_close(out, &counts, true);
  out = NULL;
  if (res.source.detail[0]) fprintf(stderr, "portclash: %s\n", res.source.detail);
  /* A live source that ended without being asked to (the session was stopped from outside,
   * an error) is a failure: a service manager must see it and restart. */
  exit_code = res.source_error != PC_OK ? PC_EXIT_FAILURE : PC_EXIT_OK;

done:
  pc_source_close(src);
  pc_feed_free(feed);
  pc_finding_output_close(out, NULL, false);
  pc_hoststate_close(hs);
  pc__monitor_signals_restore();
  return exit_code;
}
