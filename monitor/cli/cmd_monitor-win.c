/* cmd_monitor-win.c - `portclash monitor` on Windows: the ETW session's options and the
 * check of new kinds of events on old Windows; the session's start and the OS's own event
 * layouts are in etw_open-win.c, the rest is the monitor every platform shares
 * (cmd_monitor.c).
 *
 * Order: options, then rules and sinks (a bad rule or option is exit 2 before anything
 * touches ETW), then the session (it fails fast when not elevated), then the OS's event
 * layouts are read once through TDH and reconciled with the built-in ones; events that
 * arrive meanwhile wait in the source's bounded queue. Ctrl+C (and console close, logoff,
 * shutdown) stops the session first, so it is never left running. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "etw.h"
#include "etw_open-win.h"
#include "monitor.h"
#include "pc_error.h"
#include "pc_schema_reconcile.h"
#include "pc_service_win.h"

typedef struct win_monitor {
  pc_etw_options etw;
  bool os_schemas; /* read the OS's layouts through TDH (default on) */
  const pc_etw_api *api;
  pc_os_version os;
  pc_tdh_api tdh;
  pc_decoder *dec;
  bool fallback; /* no manifest functions: describe each new kind of event once */
  struct seen_kind {
    pc_guid provider;
    uint16_t id;
    uint8_t version;
  } seen[256];
  unsigned seen_count;
} win_monitor;

/* The service's monitor runs as SYSTEM: a rules folder, a log folder or a configuration that
 * another account can change would let that account steer a SYSTEM process (which files it
 * writes, rotates or deletes). Each is checked without following links (service_acl-win.c);
 * one that fails is refused with exit 2 (the service does not retry that). */
static int check_service_paths(const pc_monitor_options *o) {
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

/* Parses the options (the option table, options.h) and translates the ETW source's own for it.
 * Returns PC_EXIT_OK to run, or the exit code to return at once (help, bad usage). */
static int parse(int argc, char **argv, pc_monitor_options *mo, win_monitor *w, bool *help) {
  *help = false;
  pc_options all;
  int rc = pc_monitor_options_parse(mo, &all, argc, argv);
  if (rc == PC_OPTIONS_HELP) {
    *help = true;
    return PC_EXIT_OK;
  }
  if (rc != PC_OPTIONS_RUN) return rc;
  static const char *const stale[] = {"stop", "attach", "fail"};
  pc_etw_options_init(&w->etw);
  w->os_schemas = !all.no_os_schemas;
  char err[200];
  if ((all.session && pc_etw_options_apply(&w->etw, "--session", all.session, err, sizeof err) != PC_OK) ||
      pc_etw_options_apply(&w->etw, "--stale", stale[all.stale], err, sizeof err) != PC_OK ||
      (all.record && pc_etw_options_apply(&w->etw, "--record", all.record, err, sizeof err) != PC_OK)) {
    fprintf(stderr, "portclash monitor: %s\n", err);
    return PC_EXIT_USAGE;
  }
  if (all.etw_queue) w->etw.queue_capacity = (uint32_t)all.etw_queue;
  /* After --session: the service's name applies only when none was chosen. */
  if (all.service_child) pc_etw_options_apply(&w->etw, "--service-child", NULL, err, sizeof err);
  if (w->etw.service_child) return check_service_paths(mo);
  return PC_EXIT_OK;
}

/* Windows before 8.1: once per (provider, id, version), ask TDH about the received event and
 * use its layout when it differs from ours. Bounded: after 256 kinds, no more TDH calls. */
static void fallback_check(void *ud, const pc_record *rec) {
  win_monitor *r = ud;
  if (!r->fallback) return;
  for (unsigned i = 0; i < r->seen_count; i++)
    if (r->seen[i].id == rec->id && r->seen[i].version == rec->version &&
        pc_guid_equal(&r->seen[i].provider, &rec->provider))
      return;
  if (r->seen_count == sizeof r->seen / sizeof r->seen[0]) return;
  r->seen[r->seen_count].provider = rec->provider;
  r->seen[r->seen_count].id = rec->id;
  r->seen[r->seen_count].version = rec->version;
  r->seen_count++;
  pc_decoder *dec = r->dec;
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

static int open_source(void *ud, pc_pipeline *p, pc_source **out) {
  win_monitor *w = ud;
  w->dec = pc_pipeline_decoder(p);
  pc_etw_open o = {
      "monitor",
      ".\n"
      "Run it from an elevated console (right-click > Run as administrator), or add the account to\n"
      "the \"Performance Log Users\" group and sign in again.\n",
      &w->etw,
      &w->os,
      w->api,
      w->os_schemas,
      &w->fallback,
      &w->tdh};
  return pc__etw_open_live(&o, p, out);
}

/* ---- signals ----
 * Ctrl+C, Ctrl+Break, closing the console, logoff and shutdown reach the ETW source's console
 * control handler first (pc_source_open_etw): it stops the session, the loop hands on what it
 * holds and the summary is printed; for a closing console the handler waits for that (about
 * 5 s are allowed). The service stops its child the same way, by stopping the session by
 * name. The C runtime's SIGINT/SIGTERM (raise, a console without the ETW handler) set the stop
 * flag too. There is no SIGHUP: a log file renamed away is noticed before the next write and
 * created again (sinks/file.c), so nothing needs to ask for a reopen. Inferred from the
 * documentation and exercised under Wine only. */
static volatile int *sig_stop;

static void on_stop(int sig) {
  (void)sig;
  *sig_stop = 1;
}

void pc__monitor_signals_install(volatile int *stop, volatile int *reopen) {
  (void)reopen;
  sig_stop = stop;
  signal(SIGINT, on_stop);
  signal(SIGTERM, on_stop);
  signal(SIGBREAK, on_stop);
}

void pc__monitor_signals_restore(void) {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGBREAK, SIG_DFL);
}

/* The monitor with the ETW functions of api (NULL = the system's): pc_cmd_monitor, and the
 * tests' fake controller. */
int pc__cmd_monitor_with(int argc, char **argv, const pc_etw_api *api) {
  pc_monitor_options mo;
  win_monitor *w = calloc(1, sizeof *w);
  if (!w) {
    fputs("portclash monitor: out of memory\n", stderr);
    return PC_EXIT_FAILURE;
  }
  bool help;
  int code = parse(argc, argv, &mo, w, &help); /* the help is printed by parse */
  if (help || code != PC_EXIT_OK) {
    free(w);
    return help ? PC_EXIT_OK : code;
  }
  w->api = api;
  pc_os_version_get(&w->os);
  /* The reorder stage waits out the session's FlushTimer plus half a second (pc_pipeline.h). */
  pc_monitor_platform pl = {
      "windows", w->os.build,
      "etw",     open_source,
      NULL,      fallback_check,
      w,         (pc_time)w->etw.flush_seconds * PC_TIME_TICKS_PER_SEC + 500 * PC_TIME_TICKS_PER_MS};
  code = pc_monitor_run(&mo, &pl);
  free(w);
  return code;
}

int pc_cmd_monitor(int argc, char **argv) {
  return pc__cmd_monitor_with(argc, argv, NULL);
}
