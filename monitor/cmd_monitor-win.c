/* portclash monitor (Windows): a private real-time ETW session -> decode + correlate ->
 * explain (live host state + rules) -> aggregate -> sinks, the same finding path as
 * `analyze` and the Linux monitor (pc_finding_output.h), with the same output options. A
 * status line on stderr every few seconds, a summary at exit. Ctrl+C (and console close,
 * logoff, shutdown) stops the session first, so it is never left running.
 *
 * Order: options, then rules and sinks (a bad rule or option is exit 2 before anything
 * touches ETW), then the session (it fails fast when not elevated), then the OS's event
 * layouts are read once through TDH and reconciled with the built-in ones; events that
 * arrive meanwhile wait in the source's bounded queue. --attempts prints the raw attempt
 * lines (pc_attempt_format_line) instead of findings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_attempt_text.h"
#include "pc_cli.h"
#include "pc_cmd_monitor_win.h"
#include "pc_error.h"
#include "pc_finding_output.h"
#include "pc_pipeline.h"
#include "pc_run_options.h"
#include "pc_schema_reconcile.h"
#include "pc_service_win.h"
#include "pc_source_etw.h"

typedef struct monitor_opts {
  pc_run_options run; /* the options shared with analyze and the Linux monitor */
  pc_etw_options etw;
  unsigned status_seconds; /* 0 = no status line */
  bool os_schemas;         /* read the OS's layouts through TDH (default on) */
  bool attempts;           /* --attempts: raw attempt lines instead of findings */
  bool successes;          /* with --attempts: also print successful binds */
} monitor_opts;

static void usage(FILE *out) {
  fputs(
      "usage: portclash monitor [OPTIONS]\n"
      "\n"
      "Watches this machine for socket bind failures (Winsock-AFD, TCPIP and, on Windows 11,\n"
      "Winsock-Sockets events) and explains each one as it happens: who failed, on which\n"
      "address and port, who holds the port, why, and how to fix it. Runs until Ctrl+C.\n"
      "Needs an elevated console, or membership in the \"Performance Log Users\" group.\n"
      "\n",
      out);
  pc_run_options_help(out);
  fprintf(out,
          "Live source:\n"
          "%s"
          "  --status SECONDS     status line on stderr every SECONDS (default 10, 0 = never)\n"
          "  --attempts           print the raw attempts (one line each) instead of findings\n"
          "  --successes          with --attempts: print successful binds too\n"
          "  --no-os-schemas      do not read the event layouts of this Windows (TDH); use the\n"
          "                       built-in ones only\n"
          "  -h, --help           this text\n"
          "\n"
          "Exit status: 0 ok, 1 runtime failure, 2 bad usage, 3 missing privilege.\n",
          pc_etw_options_help);
}

/* The service's monitor runs as SYSTEM: a rules folder, a log folder or a configuration that
 * another account can change would let that account steer a SYSTEM process (which files it
 * writes, rotates or deletes). Each is checked without following links (service_acl-win.c);
 * one that fails is refused with exit 2 (the service does not retry that). */
static int check_service_paths(const monitor_opts *o) {
  const struct {
    const char *what, *path;
    bool parent; /* judge the folder (and the file when it exists) */
  } items[] = {
      {"configuration", o->run.config_path, false},
      {"rules folder", o->run.rules_dir, false},
      {"log file", o->run.sinks.log_path, true},
  };
  for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
    if (!items[i].path || !items[i].path[0]) continue;
    wchar_t rel[MAX_PATH], full[MAX_PATH];
    if (!MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, items[i].path, -1, rel, MAX_PATH) &&
        !MultiByteToWideChar(CP_ACP, 0, items[i].path, -1, rel, MAX_PATH))
      continue;
    DWORD n = GetFullPathNameW(rel, MAX_PATH, full, NULL);
    if (n == 0 || n >= MAX_PATH) continue;
    char why[MAX_PATH * 3 + 200];
    pc__trust t;
    if (items[i].parent) {
      t = pc__path_trusted(pc__service_acl_ops(), full, why, sizeof why);
      if (t == PC_TRUST_MISSING) {
        wchar_t *slash = wcsrchr(full, L'\\');
        if (slash) *slash = L'\0';
        if (slash && slash == full + 2) wcscat(full, L"\\");
        t = pc__path_trusted(pc__service_acl_ops(), full, why, sizeof why);
      }
    } else {
      t = pc__path_trusted(pc__service_acl_ops(), full, why, sizeof why);
    }
    if (t == PC_TRUST_OK || t == PC_TRUST_MISSING) continue; /* missing: the loader says so */
    fprintf(stderr,
            "portclash monitor: refusing the %s: %s\n"
            "portclash monitor: the service runs as SYSTEM and never uses what other accounts can change\n",
            items[i].what, why);
    return PC_EXIT_USAGE;
  }
  return PC_EXIT_OK;
}

/* Returns PC_EXIT_OK to run, or the exit code to return at once (help, bad usage). */
static int parse(int argc, char **argv, monitor_opts *o, bool *help) {
  memset(o, 0, sizeof *o);
  pc_run_options_init(&o->run);
  pc_etw_options_init(&o->etw);
  o->status_seconds = 10;
  o->os_schemas = true;
  *help = false;
  /* --config first, so that the options given on the command line override the file's. */
  if (pc_run_options_preload(&o->run, argc, argv) != 0) return PC_EXIT_USAGE;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      *help = true;
      return PC_EXIT_OK;
    }
    if (strcmp(a, "--successes") == 0) {
      o->successes = true;
      continue;
    }
    if (strcmp(a, "--attempts") == 0) {
      o->attempts = true;
      continue;
    }
    if (strcmp(a, "--no-os-schemas") == 0) {
      o->os_schemas = false;
      continue;
    }
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--status") == 0) {
      char *end = NULL;
      unsigned long v = val ? strtoul(val, &end, 10) : 0;
      if (!val || !*val || *end || v > 86400) {
        fputs("portclash monitor: --status needs a number of seconds (0 to 86400)\n", stderr);
        return PC_EXIT_USAGE;
      }
      o->status_seconds = (unsigned)v;
      i++;
      continue;
    }
    int shared = pc_run_options_arg(&o->run, argc, argv, &i);
    if (shared == 1) continue;
    if (shared == 2) return PC_EXIT_USAGE;
    char err[200];
    int rc = pc_etw_options_apply(&o->etw, a, val, err, sizeof err);
    if (rc == PC_OK) {
      if (!pc_etw_option_is_flag(a)) i++;
      continue;
    }
    if (rc == PC_EINVAL) {
      fprintf(stderr, "portclash monitor: %s\n", err);
      return PC_EXIT_USAGE;
    }
    fprintf(stderr, "portclash monitor: unknown option '%s' (see --help)\n", a);
    return PC_EXIT_USAGE;
  }
  if (!pc_hoststate_offline_empty(&o->run.offline)) {
    fputs(
        "portclash monitor: reads the live host state; --netsh-*/--netstat/--tasklist are for 'analyze' and "
        "'explain'\n",
        stderr);
    return PC_EXIT_USAGE;
  }
  if (o->etw.service_child) return check_service_paths(o);
  return PC_EXIT_OK;
}

typedef struct run {
  monitor_opts *o;
  pc_pipeline *pipe;
  pc_finding_output *out; /* NULL with --attempts */
  pc_tdh_api tdh;
  bool fallback; /* no manifest functions: describe each new kind of event once */
  struct seen_kind {
    pc_guid provider;
    uint16_t id;
    uint8_t version;
  } seen[256];
  unsigned seen_count;
} run;

static void on_event(const pc_event *ev, void *ud) {
  run *r = ud;
  pc_finding_output_event(r->out, ev);
}

static void on_attempt(const pc_bind_attempt *a, void *ud) {
  run *r = ud;
  if (r->out) {
    pc_finding_output_attempt(r->out, a);
    return;
  }
  if (!a->failed && !r->o->successes) return;
  char line[512];
  pc_attempt_format_line(a, line, sizeof line);
  printf("%s\n", line);
  fflush(stdout);
}

/* Windows before 8.1: once per (provider, id, version), ask TDH about the received event and
 * use its layout when it differs from ours. Bounded: after 256 kinds, no more TDH calls. */
static void fallback_check(run *r, const pc_record *rec) {
  for (unsigned i = 0; i < r->seen_count; i++)
    if (r->seen[i].id == rec->id && r->seen[i].version == rec->version &&
        pc_guid_equal(&r->seen[i].provider, &rec->provider))
      return;
  if (r->seen_count == sizeof r->seen / sizeof r->seen[0]) return;
  r->seen[r->seen_count].provider = rec->provider;
  r->seen[r->seen_count].id = rec->id;
  r->seen[r->seen_count].version = rec->version;
  r->seen_count++;
  pc_decoder *dec = pc_pipeline_decoder(r->pipe);
  const pc_schema_set *set = pc_decoder_schemas(dec);
  const char *pname = pc_provider_name(&rec->provider);
  if (!pname) return; /* not one of ours: the decoder counts it as foreign */
  pc_schema_event os;
  if (pc_tdh_describe_record(&r->tdh, rec, &os) != PC_OK) return;
  const pc_schema_event *ours = pc_schema_set_find(set, &rec->provider, rec->id, rec->version);
  char diff[320];
  if (ours && pc_schema_event_same(ours, &os, diff, sizeof diff)) return;
  os.provider = rec->provider;
  if (pc_decoder_set_schema(dec, &os) == PC_OK)
    fprintf(stderr, "portclash: %s event %u v%u: %s; decoding it with the system's layout\n", pname, rec->id,
            rec->version, ours ? diff : "a version portclash does not know");
}

static void status_line(pc_pipeline *p, pc_etw_session *s, const char *prefix) {
  pc_pipeline_stats ps;
  pc_pipeline_get_stats(p, &ps);
  pc_etw_stats es;
  pc_etw_session_query(s, &es);
  fprintf(stderr,
          "portclash: %s: records %llu, decoded %llu, attempts %llu (failed %llu), dropped %llu (queue %llu, "
          "oversize %llu, malformed %llu)",
          prefix, (unsigned long long)ps.records, (unsigned long long)ps.decoder.decoded,
          (unsigned long long)ps.correlator.attempts_emitted,
          (unsigned long long)ps.correlator.failures_emitted,
          (unsigned long long)(es.queue_drops + es.oversize_drops + es.malformed_drops),
          (unsigned long long)es.queue_drops, (unsigned long long)es.oversize_drops,
          (unsigned long long)es.malformed_drops);
  if (es.query_ok)
    fprintf(stderr, ", ETW events lost %lu, real-time buffers lost %lu", (unsigned long)es.events_lost,
            (unsigned long)es.realtime_buffers_lost);
  fputc('\n', stderr);
  if (es.query_ok && (es.events_lost || es.realtime_buffers_lost))
    fputs(
        "portclash: warning: ETW dropped events (the system was faster than portclash); failures may be "
        "missing\n",
        stderr);
}

static pc_time now_filetime(void) {
  FILETIME ft;
  GetSystemTimeAsFileTime(&ft);
  return (pc_time)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
}

/* The monitor with the ETW functions of api (NULL = the system's): pc_cmd_monitor, and the
 * tests' fake controller. */
int pc__cmd_monitor_with(int argc, char **argv, const pc_etw_api *api) {
  monitor_opts o;
  bool help;
  int code = parse(argc, argv, &o, &help);
  if (help) {
    usage(stdout);
    return PC_EXIT_OK;
  }
  if (code != PC_EXIT_OK) return code;

  run r;
  memset(&r, 0, sizeof r);
  r.o = &o;
  pc_os_version os;
  pc_os_version_get(&os);
  pc_hoststate *hs = NULL;
  if (!o.attempts) {
    char hserr[PC_HOSTSTATE_ERR_MAX] = "";
    if (pc_hoststate_open_live(&hs, hserr, sizeof hserr) != PC_OK) {
      /* Findings without owners and ranges are still worth having. */
      fprintf(stderr, "portclash monitor: host state unavailable, findings will lack owners and ranges: %s\n",
              hserr);
      hs = NULL;
    }
    /* netsh takes seconds on a busy host: a worker re-reads the state on its own wall-clock
     * schedule (every --watch-poll seconds, and at once after a reservation event), so this
     * thread only ever installs finished snapshots and never waits for netsh or IP Helper. */
    pc_hoststate_bg_options bg = {0};
    bg.refresh_ms =
        o.run.watch_poll > 0 ? (uint32_t)(o.run.watch_poll / (PC_TIME_TICKS_PER_SEC / 1000)) : 30000;
    if (hs && pc_hoststate_start_background(hs, &bg) != PC_OK)
      fprintf(stderr, "portclash monitor: note: no background host-state refresh: %s\n",
              pc_hoststate_error(hs));
    /* The ETW status line below says more than the sinks' (queue and ETW losses). */
    o.run.sinks.status_interval_ms = 0;
    /* Live triage: the first failure shows at once, repeats follow as one finding. */
    pc_finding_output_options fo = {hs, "windows", os.build, "etw", true, true, true};
    int frc = pc_finding_output_open(&o.run, &fo, &r.out);
    if (frc != PC_OK) {
      pc_hoststate_close(hs);
      return frc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
    }
  }
  /* With findings, the watch list sees every decoded event (reservations 1054/1519,
   * listeners) and successful binds (learned ports). */
  bool watching = r.out && pc_finding_output_watching(r.out);
  pc_pipeline_options popts = {.report_success = (o.attempts && o.successes) || watching,
                               .on_event = watching ? on_event : NULL,
                               .event_ud = &r};
  if (pc_pipeline_new(&popts, on_attempt, &r, &r.pipe) != PC_OK) {
    fputs("portclash monitor: out of memory\n", stderr);
    pc_finding_output_close(r.out, NULL, false);
    pc_hoststate_close(hs);
    return PC_EXIT_FAILURE;
  }
  pc_decoder *dec = pc_pipeline_decoder(r.pipe);

  pc_etw_plan plan;
  if (pc_etw_plan_build(&os, pc_decoder_schemas(dec), &plan) == PC_ELIMIT)
    fputs(
        "portclash: note: a provider has more than 64 event ids; it is filtered in portclash, not the "
        "kernel\n",
        stderr);

  pc_etw_session *s = NULL;
  int rc = pc_etw_session_start(&o.etw, &plan, api, stderr, &s);
  if (rc != PC_OK) {
    pc_pipeline_free(r.pipe);
    pc_finding_output_close(r.out, NULL, false);
    pc_hoststate_close(hs);
    if (rc == PC_EPRIV) {
      fputs(
          "portclash monitor: access denied when starting the ETW session.\n"
          "Run it from an elevated console (right-click > Run as administrator), or add the account to\n"
          "the \"Performance Log Users\" group and sign in again.\n",
          stderr);
      return PC_EXIT_PRIVILEGE;
    }
    fprintf(stderr, "portclash monitor: cannot start the ETW session: %s\n", pc_strerror(rc));
    return PC_EXIT_FAILURE;
  }
  pc_etw_install_ctrl_handler(s);
  fprintf(stderr, "portclash: monitoring (Windows %u.%u.%u, session '%s'); Ctrl+C to stop\n",
          (unsigned)os.major, (unsigned)os.minor, (unsigned)os.build, o.etw.session_name);
  uint32_t mode;
  if (pc_etw_session_mode(s, &mode))
    fprintf(stderr,
            "portclash: session mode (read back): LogFileMode 0x%08lx, real-time %s, independent %s\n",
            (unsigned long)mode, (mode & EVENT_TRACE_REAL_TIME_MODE) ? "yes" : "no",
            (mode & EVENT_TRACE_INDEPENDENT_SESSION_MODE) ? "yes" : "no");
  else
    fputs("portclash: session mode: could not be read back (ControlTrace QUERY failed)\n", stderr);

  /* The OS's own layouts, once, before the first record is decoded. */
  if (o.os_schemas && pc_tdh_api_load(&r.tdh) == PC_OK) {
    if (r.tdh.enumerate_manifest_provider_events && r.tdh.get_manifest_event_information) {
      pc_tdh_source *t;
      pc_schema_source src;
      if (pc_tdh_source_new(&r.tdh, &t, &src) == PC_OK) {
        pc_reconcile_stats st;
        pc_schema_reconcile(dec, &src, stderr, &st);
        pc_tdh_source_free(t);
      }
    } else if (r.tdh.get_event_information) {
      fputs(
          "portclash: note: this Windows has no manifest enumeration (before 8.1); each kind of event is\n"
          "checked against the system's layout when it first arrives\n",
          stderr);
      r.fallback = true;
    }
  }

  static uint8_t buf[65536];
  pc_record rec;
  ULONGLONG next_status = GetTickCount64() + (ULONGLONG)o.status_seconds * 1000;
  for (;;) {
    rc = pc_etw_session_next(s, &rec, buf, sizeof buf, 500);
    if (rc == PC_OK) {
      if (r.fallback) fallback_check(&r, &rec);
      pc_pipeline_push(r.pipe, &rec);
      /* On a busy host the queue is never empty: the watch-list poll runs on its wall-clock
       * schedule here too (cheap when not due; the host state behind it never blocks). */
      if (r.out) pc_finding_output_poll(r.out, now_filetime(), false);
    } else if (rc == PC_ETIMEOUT) {
      /* No events: move event time on so the correlator emits what it holds and the
       * aggregation windows that ended are written. */
      pc_time now = now_filetime();
      pc_pipeline_advance(r.pipe, now);
      if (r.out) {
        pc_finding_output_advance(r.out, now);
        pc_finding_output_poll(r.out, now, false);
      }
    } else {
      break; /* PC_ENOENT: the session stopped (Ctrl+C, or stopped from outside) */
    }
    if (o.status_seconds && GetTickCount64() >= next_status) {
      status_line(r.pipe, s, "status");
      next_status = GetTickCount64() + (ULONGLONG)o.status_seconds * 1000;
    }
  }
  pc_pipeline_finish(r.pipe);
  if (r.out) pc_finding_output_flush(r.out);
  status_line(r.pipe, s, "summary");
  pc_pipeline_write_summary(r.pipe, stderr);
  pc_pipeline_stats ps;
  pc_pipeline_get_stats(r.pipe, &ps);
  pc_etw_stats es;
  pc_etw_session_query(s, &es);
  pc_run_counts counts = {ps.records, es.queue_drops + es.oversize_drops + es.malformed_drops +
                                          (es.query_ok ? (uint64_t)es.events_lost : 0)};
  pc_finding_output_close(r.out, &counts, true);
  /* A session that ended without our stop is a failure: the monitor is blind from now on, and
   * a service must see a non-zero status to restart it. */
  uint32_t prc = 0;
  int exit_code = PC_EXIT_OK;
  if (pc_etw_session_ended_outside(s, &prc)) {
    if (prc == ERROR_SUCCESS)
      fprintf(stderr,
              "portclash monitor: the ETW session '%s' was stopped from outside portclash (logman stop, "
              "another tool, or the system); monitoring has ended\n",
              o.etw.session_name);
    else
      pc_etw_print_error(stderr, "ProcessTrace", prc, o.etw.session_name);
    fputs("portclash monitor: exiting with status 1\n", stderr);
    exit_code = PC_EXIT_FAILURE;
  }
  pc_etw_session_free(s);
  pc_pipeline_free(r.pipe);
  pc_hoststate_close(hs);
  return exit_code;
}

int pc_cmd_monitor(int argc, char **argv) {
  return pc__cmd_monitor_with(argc, argv, NULL);
}
