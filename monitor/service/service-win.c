/* portclash service install|uninstall|run: portclash monitor as a Windows service.
 *
 *   install [--name NAME] [SERVICE OPTIONS] [MONITOR OPTIONS]
 *       Registers (or re-configures) the service: own process, automatic start, LocalSystem
 *       (ETW real-time sessions need administrator rights or "Performance Log Users"), the
 *       command line "<this exe>" service run [SERVICE OPTIONS] [MONITOR OPTIONS], a
 *       description, and failure actions that restart it (5 s, 5 s, then 60 s; the count resets
 *       after a day), also when it stops with a non-zero exit code. Needs an elevated console:
 *       exit 3 with what to do otherwise.
 *   uninstall [--name NAME]
 *       Stops the service (waits up to 30 s) and deletes it. Not installed: a note, exit 0.
 *   run [SERVICE OPTIONS] [MONITOR OPTIONS]
 *       The service manager's entry (StartServiceCtrlDispatcherW); from a console it says so
 *       and exits 2. ServiceMain starts "<this exe> monitor --service-child MONITOR OPTIONS"
 *       as a child process whose stdout and stderr append to the log file; its ETW session is
 *       "portclash-service" (console runs use their own, and never stop this one).
 *       SERVICE_CONTROL_STOP and SHUTDOWN stop that session by name (ControlTraceW ... STOP),
 *       which ends the monitor's loop the same way as Ctrl+C: it prints its summary and frees
 *       the session. When the monitor ends by itself (its session stopped from outside,
 *       ProcessTrace failed, a crash) the service stops the session (never leaked), logs it
 *       and starts the monitor again after 1, 2, 4 ... 60 s (pc__service_supervise); bad
 *       usage (2) and a missing privilege (3) are not retried: the service then reports
 *       SERVICE_STOPPED with that code as service-specific code, so the failure actions apply.
 *
 * SERVICE OPTIONS (install passes them on to run):
 *   --log FILE          log file [%ProgramData%\portclash\portclash.log]
 *   --log-max-bytes N   at each start, rotate FILE when it is larger than N bytes [10485760]
 *   --log-keep N        keep FILE.1 .. FILE.N [5]
 *   --check             do not monitor: log a line, wait for the stop request, log another.
 *                       Checks the installation, the log path and the service manager.
 *   --no-eventlog       do not pass --eventlog to the monitor (findings then go to the log
 *                       file only; the service's own start/stop events are still reported)
 *
 * Event Log: install registers the event source "portclash" (Application log, message table in
 * this exe; eventlog_win.h) and uninstall removes it. The service reports its start,
 * its stop, and a monitor that ended on its own (then restarted by the failure actions) as
 * events 200, 201 and 202, and starts the monitor with --eventlog, so every finding is an event
 * too (ids 100-109).
 *
 * The log holds the monitor's console output (its findings, status lines, summary). It is
 * rotated when the service starts; while it runs the file grows. For a findings log rotated by
 * size during the run, give the monitor its own `log = FILE` (the sinks) in the configuration.
 *
 * Configuration: when %ProgramData%\portclash\portclash.conf exists and the service's command
 * line has no --config, the monitor is started with `--config` naming it (options on the
 * service's command line still win). `install` writes a commented example there when there is
 * no such file (an existing one is never touched).
 *
 * Contracts used (Microsoft docs): "Service ServiceMain Function", "Service Control Handler
 * Function" (report STOP_PENDING, then STOPPED once the work is done), SERVICE_TABLE_ENTRYW
 * (the name is ignored for SERVICE_WIN32_OWN_PROCESS), SERVICE_FAILURE_ACTIONSW and
 * SERVICE_FAILURE_ACTIONS_FLAG, ControlTraceW with EVENT_TRACE_CONTROL_STOP. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <evntrace.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pc_service.h"
#include "pc_compiler.h"
#include "pc_error.h"
#include "etw.h"
#include "eventlog.h"
#include "eventlog_win.h"
#include "pc_service_win.h"
#include "win_util.h"

#define DEFAULT_NAME L"portclash"
#define DISPLAY_NAME L"portclash bind-failure monitor"
#define DESCRIPTION                                                                                 \
  L"Watches this machine for socket bind failures (ETW), explains each one and writes it to a log " \
  L"file. Installed by 'portclash service install'."
#define STOP_WAIT_MS 30000
#define CMDLINE_MAX 8192

/* ---- small helpers ---------------------------------------------------------------------- */

static wchar_t *widen(const char *s) {
  int n = MultiByteToWideChar(CP_ACP, 0, s, -1, NULL, 0); /* main's argv is in the ANSI code page */
  wchar_t *w = n > 0 ? malloc((size_t)n * sizeof *w) : NULL;
  if (w) MultiByteToWideChar(CP_ACP, 0, s, -1, w, n);
  return w;
}

/* Appends arg to cmd quoted the way CommandLineToArgvW and the C runtime split it again:
 * quotes around it when it has a space, tab or quote (or is empty), quotes escaped, and
 * backslashes doubled only where they precede a quote. false when cmd is full. */
static bool append_arg(wchar_t *cmd, size_t cap, const wchar_t *arg) {
  size_t n = wcslen(cmd);
  bool quote = arg[0] == L'\0' || wcspbrk(arg, L" \t\"") != NULL;
#define PUT(c)                      \
  do {                              \
    if (n + 2 >= cap) return false; \
    cmd[n++] = (c);                 \
  } while (0)
  if (n) PUT(L' ');
  if (quote) PUT(L'"');
  for (const wchar_t *p = arg;; p++) {
    size_t bs = 0;
    while (*p == L'\\') {
      bs++;
      p++;
    }
    if (*p == L'\0') {
      for (size_t i = 0; i < (quote ? bs * 2 : bs); i++) PUT(L'\\');
      break;
    }
    if (*p == L'"') {
      for (size_t i = 0; i < bs * 2 + 1; i++) PUT(L'\\');
    } else {
      for (size_t i = 0; i < bs; i++) PUT(L'\\');
    }
    PUT(*p);
  }
  if (quote) PUT(L'"');
#undef PUT
  cmd[n] = L'\0';
  return true;
}

/* Prints the system's text for err (UTF-8 output is not assumed: the console's code page). */
static void print_os_error(const char *what, DWORD err) {
  char msg[256] = "";
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0, msg,
                           sizeof msg, NULL);
  while (n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n' || msg[n - 1] == '.')) msg[--n] = '\0';
  fprintf(stderr, "portclash service: %s: %s (error %lu)\n", what, n ? msg : "unknown error",
          (unsigned long)err);
}

static int not_elevated(const char *what) {
  fprintf(stderr,
          "portclash service %s: access denied by the service manager.\n"
          "Run it from an elevated console (right-click > Run as administrator).\n",
          what);
  return PC_EXIT_PRIVILEGE;
}

static void usage(FILE *out) {
  fputs(
      "usage: portclash service install [--name NAME] [--log FILE] [--log-max-bytes N] [--log-keep N]\n"
      "                                 [--check] [--no-eventlog] [MONITOR OPTIONS]\n"
      "       portclash service uninstall [--name NAME]\n"
      "       portclash service run ...   (started by the service manager)\n"
      "\n"
      "install registers portclash monitor as an automatically started service (LocalSystem)\n"
      "that restarts on failure and writes to a log file (default\n"
      "%ProgramData%\\portclash\\portclash.log, rotated at each start). uninstall stops and\n"
      "deletes it. Both need an elevated console. MONITOR OPTIONS are those of\n"
      "'portclash monitor --help'. --check installs a service that only logs its start and stop.\n"
      "install also registers the event source 'portclash' (Application log); the service reports\n"
      "its start and stop there and starts the monitor with --eventlog (not with --no-eventlog).\n"
      "uninstall removes the event source.\n"
      "\n"
      "Exit status: 0 ok, 1 runtime failure, 2 bad usage, 3 not elevated.\n",
      out);
}

/* Service options shared by install and run. Returns 1 when argv[*i] was one (its value
 * consumed), 0 when not, -1 on a bad value (message printed). */
typedef struct svc_opts {
  const char *log;
  unsigned long long log_max_bytes;
  unsigned long log_keep;
  bool check;
  bool no_eventlog;
} svc_opts;

static int svc_opt(svc_opts *o, int argc, char **argv, int *i) {
  const char *a = argv[*i];
  if (strcmp(a, "--check") == 0) {
    o->check = true;
    return 1;
  }
  if (strcmp(a, "--no-eventlog") == 0) {
    o->no_eventlog = true;
    return 1;
  }
  bool is_log = strcmp(a, "--log") == 0, is_max = strcmp(a, "--log-max-bytes") == 0,
       is_keep = strcmp(a, "--log-keep") == 0;
  if (!is_log && !is_max && !is_keep) return 0;
  if (*i + 1 >= argc || !argv[*i + 1][0]) {
    fprintf(stderr, "portclash service: %s needs a value\n", a);
    return -1;
  }
  const char *v = argv[++*i];
  if (is_log) {
    o->log = v;
    return 1;
  }
  char *end;
  unsigned long long n = strtoull(v, &end, 10);
  if (*end || (is_keep && n > 100)) {
    fprintf(stderr, "portclash service: %s: '%s' is not a number%s\n", a, v, is_keep ? " from 0 to 100" : "");
    return -1;
  }
  if (is_max)
    o->log_max_bytes = n;
  else
    o->log_keep = (unsigned long)n;
  return 1;
}

/* %ProgramData%\portclash into out[cap]. */
static void data_dir(wchar_t *out, size_t cap) {
  wchar_t base[MAX_PATH];
  DWORD n = GetEnvironmentVariableW(L"ProgramData", base, MAX_PATH);
  if (n == 0 || n >= MAX_PATH) wcscpy(base, L"C:\\ProgramData");
  _snwprintf(out, cap, L"%ls\\portclash", base);
  out[cap - 1] = L'\0';
}

/* %ProgramData%\portclash\NAME into out[cap]: machine-wide data. The folder is made (or
 * checked) by secure_data_dir, never here: see service_acl-win.c for why. */
static void data_path(const wchar_t *name, wchar_t *out, size_t cap) {
  data_dir(out, cap);
  wcsncat(out, L"\\", cap - 1 - wcslen(out));
  wcsncat(out, name, cap - 1 - wcslen(out));
}

/* The ACL checks' OS calls (tests replace them: Wine does not enforce ACLs). */
static const pc__acl_ops *acl_ops = &pc__acl_ops_system;

void pc__service_set_acl_ops(const pc__acl_ops *ops) {
  acl_ops = ops ? ops : &pc__acl_ops_system;
}

const pc__acl_ops *pc__service_acl_ops(void) {
  return acl_ops;
}

/* Creates %ProgramData%\portclash with the protected DACL, or checks (and repairs) the one
 * there. Returns the outcome; message says it. */
static pc__trust secure_data_dir(char *message, size_t cap) {
  wchar_t dir[MAX_PATH + 16];
  data_dir(dir, MAX_PATH + 16);
  return pc__data_dir_secure(acl_ops, dir, message, cap);
}

#define CONFIG_NAME L"portclash.conf"

/* Writes the commented example configuration (pc_config_example, CRLF line ends for older
 * Notepads) to %ProgramData%\portclash\portclash.conf unless a file is there already: an
 * operator's configuration is never overwritten. Only says what happened. */
static void write_example_config(void) {
  wchar_t path[MAX_PATH + 64];
  data_path(CONFIG_NAME, path, MAX_PATH + 64);
  HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    if (GetLastError() == ERROR_FILE_EXISTS) printf("portclash service: configuration: %ls (kept)\n", path);
    return;
  }
  const char *t = pc_service_config_example();
  bool ok = true;
  for (const char *l = t; *l && ok;) {
    const char *e = strchr(l, '\n');
    size_t n = e ? (size_t)(e - l) : strlen(l);
    DWORD w;
    ok = WriteFile(h, l, (DWORD)n, &w, NULL) && (!e || WriteFile(h, "\r\n", 2, &w, NULL));
    l += n + (e ? 1 : 0);
  }
  CloseHandle(h);
  if (ok)
    printf(
        "portclash service: wrote an example configuration (all commented out) to %ls;\n"
        "  edit it and restart the service to change the monitor's options\n",
        path);
}

/* ---- install / uninstall ---------------------------------------------------------------- */

static int cmd_install(int argc, char **argv) {
  const char *name = NULL;
  wchar_t exe[MAX_PATH + 1];
  DWORD el = GetModuleFileNameW(NULL, exe, MAX_PATH + 1);
  if (el == 0 || el > MAX_PATH) {
    print_os_error("cannot find this program's path", GetLastError());
    return PC_EXIT_FAILURE;
  }
  static wchar_t cmd[CMDLINE_MAX];
  /* The program path is always quoted: an unquoted path with spaces in a service command line
   * is the "unquoted service path" weakness (C:\Program.exe would be tried first). */
  _snwprintf(cmd, CMDLINE_MAX, L"\"%ls\"", exe);
  cmd[CMDLINE_MAX - 1] = L'\0';
  bool ok = append_arg(cmd, CMDLINE_MAX, L"service") && append_arg(cmd, CMDLINE_MAX, L"run");
  svc_opts so = {0};
  for (int i = 1; i < argc && ok; i++) {
    if (strcmp(argv[i], "--name") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0] || strlen(argv[i + 1]) > 200) {
        fputs("portclash service install: --name needs a service name (at most 200 characters)\n", stderr);
        return PC_EXIT_USAGE;
      }
      name = argv[++i];
      continue;
    }
    int first = i;
    int r = svc_opt(&so, argc, argv, &i);
    if (r < 0) return PC_EXIT_USAGE;
    /* Service and monitor options go to the service's command line as they were given. The
     * monitor checks its own options when the service starts; its exit code then shows in
     * the service status and the log. */
    for (int k = first; k <= i && ok; k++) {
      wchar_t *w = widen(argv[k]);
      ok = w && append_arg(cmd, CMDLINE_MAX, w);
      free(w);
    }
  }
  if (!ok) {
    fputs("portclash service install: the options are too long for a service command line\n", stderr);
    return PC_EXIT_USAGE;
  }
  wchar_t *wname = name ? widen(name) : NULL;
  const wchar_t *svc = wname ? wname : DEFAULT_NAME;

  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE);
  if (!scm) {
    DWORD e = GetLastError();
    free(wname);
    if (e == ERROR_ACCESS_DENIED) return not_elevated("install");
    print_os_error("cannot open the service manager", e);
    return PC_EXIT_FAILURE;
  }
  bool updated = false;
  SC_HANDLE h = CreateServiceW(scm, svc, DISPLAY_NAME, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                               SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL,
                               NULL /* LocalSystem */, NULL);
  if (!h && GetLastError() == ERROR_SERVICE_EXISTS) {
    /* Installing again replaces the configuration: the way to change options. */
    h = OpenServiceW(scm, svc, SERVICE_ALL_ACCESS);
    if (h && !ChangeServiceConfigW(h, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
                                   cmd, NULL, NULL, NULL, NULL, NULL, DISPLAY_NAME)) {
      DWORD e = GetLastError();
      CloseServiceHandle(h);
      h = NULL;
      SetLastError(e);
    }
    updated = h != NULL;
  }
  if (!h) {
    DWORD e = GetLastError();
    CloseServiceHandle(scm);
    free(wname);
    if (e == ERROR_ACCESS_DENIED) return not_elevated("install");
    print_os_error("cannot create the service", e);
    return PC_EXIT_FAILURE;
  }
  SERVICE_DESCRIPTIONW desc = {(LPWSTR)DESCRIPTION};
  SC_ACTION actions[3] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 60000}};
  SERVICE_FAILURE_ACTIONSW fa = {86400, NULL, NULL, 3, actions};
  /* Without this flag the actions apply only to crashes, not to a monitor that stops with a
   * non-zero exit code (SERVICE_FAILURE_ACTIONS_FLAG, Microsoft docs). */
  SERVICE_FAILURE_ACTIONS_FLAG faf = {TRUE};
  int rc = PC_EXIT_OK;
  bool restart = true;
  if (!ChangeServiceConfig2W(h, SERVICE_CONFIG_DESCRIPTION, &desc)) {
    print_os_error("the service is installed, but its description could not be set", GetLastError());
    rc = PC_EXIT_FAILURE;
  }
  if (!ChangeServiceConfig2W(h, SERVICE_CONFIG_FAILURE_ACTIONS, &fa) ||
      !ChangeServiceConfig2W(h, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &faf)) {
    DWORD e = GetLastError();
    restart = false;
    if (e == ERROR_INVALID_LEVEL) {
      /* Windows has both levels since Vista; a service manager without them (Wine) gets the
       * service without a restart policy, which is said, not fatal. */
      fputs(
          "portclash service: note: this service manager has no failure actions; the service will not be "
          "restarted on failure\n",
          stderr);
    } else {
      print_os_error("the service is installed, but its restart policy could not be set", e);
      rc = PC_EXIT_FAILURE;
    }
  }
  printf(
      "portclash service: %s service '%ls' (automatic start, LocalSystem%s)\n"
      "  command line: %ls\n"
      "  start it now with: sc start %ls\n",
      updated ? "re-configured the" : "installed the", svc, restart ? ", restart on failure" : "", cmd, svc);
  DWORD ev = pc_eventlog_register_source(L"" PC_EVENTLOG_SOURCE, exe);
  if (ev == ERROR_SUCCESS)
    printf("portclash service: registered the event source '%s' (Application log)\n", PC_EVENTLOG_SOURCE);
  else
    print_os_error("the service is installed, but the event source could not be registered", ev);
  char why[MAX_PATH * 3 + 200];
  pc__trust t = secure_data_dir(why, sizeof why);
  if (t == PC_TRUST_OK || t == PC_TRUST_REPAIRED) {
    printf("portclash service: %s\n", why);
    write_example_config();
  } else {
    fprintf(stderr,
            "portclash service: %s\n"
            "portclash service: the service will refuse to start until this is fixed\n",
            why);
    rc = PC_EXIT_FAILURE;
  }
  CloseServiceHandle(h);
  CloseServiceHandle(scm);
  free(wname);
  return rc;
}

static int cmd_uninstall(int argc, char **argv) {
  const char *name = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && argv[i + 1][0]) {
      name = argv[++i];
      continue;
    }
    fprintf(stderr, "portclash service uninstall: unknown option '%s' (see --help)\n", argv[i]);
    return PC_EXIT_USAGE;
  }
  wchar_t *wname = name ? widen(name) : NULL;
  const wchar_t *svc = wname ? wname : DEFAULT_NAME;
  int rc = PC_EXIT_OK;
  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  SC_HANDLE h = scm ? OpenServiceW(scm, svc, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE) : NULL;
  if (!h) {
    DWORD e = GetLastError();
    if (e == ERROR_SERVICE_DOES_NOT_EXIST) {
      printf("portclash service: '%ls' is not installed; nothing to do\n", svc);
    } else if (e == ERROR_ACCESS_DENIED) {
      rc = not_elevated("uninstall");
    } else {
      print_os_error("cannot open the service", e);
      rc = PC_EXIT_FAILURE;
    }
    if (scm) CloseServiceHandle(scm);
    free(wname);
    return rc;
  }
  SERVICE_STATUS st;
  if (ControlService(h, SERVICE_CONTROL_STOP, &st)) {
    printf("portclash service: stopping '%ls'...\n", svc);
    fflush(stdout);
    ULONGLONG until = GetTickCount64() + STOP_WAIT_MS;
    while (QueryServiceStatus(h, &st) && st.dwCurrentState != SERVICE_STOPPED && GetTickCount64() < until)
      Sleep(200);
    if (st.dwCurrentState != SERVICE_STOPPED)
      fprintf(stderr, "portclash service: '%ls' did not stop within %d s; it is deleted when it stops\n", svc,
              STOP_WAIT_MS / 1000);
  }
  if (!DeleteService(h)) {
    DWORD e = GetLastError();
    if (e == ERROR_ACCESS_DENIED) {
      rc = not_elevated("uninstall");
    } else if (e != ERROR_SERVICE_MARKED_FOR_DELETE) {
      print_os_error("cannot delete the service", e);
      rc = PC_EXIT_FAILURE;
    }
  }
  if (rc == PC_EXIT_OK) {
    printf("portclash service: removed '%ls'\n", svc);
    DWORD ev = pc_eventlog_unregister_source(L"" PC_EVENTLOG_SOURCE);
    if (ev != ERROR_SUCCESS) print_os_error("cannot remove the event source", ev);
  }
  CloseServiceHandle(h);
  CloseServiceHandle(scm);
  free(wname);
  return rc;
}

/* ---- run (the service itself) ----------------------------------------------------------- */

static struct {
  int argc; /* the options for the monitor (those that are not service options) */
  char **argv;
  svc_opts so;
  char session[PC_ETW_NAME_MAX];
  SERVICE_STATUS_HANDLE status_handle;
  SERVICE_STATUS status;
  CRITICAL_SECTION lock; /* status updates come from the handler and the main thread */
  HANDLE stop_event;
  HANDLE log;            /* the log file, opened for appending */
  bool rotation_refused; /* rotate_at_start saw an untrusted folder or a link */
} g;

/* The log file's path: --log as given at install, else %ProgramData%\portclash\portclash.log. */
static void log_path(wchar_t *path, size_t cap) {
  if (g.so.log) {
    MultiByteToWideChar(CP_ACP, 0, g.so.log, -1, path, (int)cap);
    path[cap - 1] = L'\0';
  } else {
    data_path(L"portclash.log", path, cap);
  }
}

static void set_state(DWORD state, DWORD exit_code) {
  EnterCriticalSection(&g.lock);
  g.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  g.status.dwCurrentState = state;
  g.status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  g.status.dwWin32ExitCode = exit_code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
  g.status.dwServiceSpecificExitCode = exit_code;
  g.status.dwWaitHint = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING ? 15000 : 0;
  if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING)
    g.status.dwCheckPoint++;
  else
    g.status.dwCheckPoint = 0;
  SetServiceStatus(g.status_handle, &g.status);
  LeaveCriticalSection(&g.lock);
}

/* One timestamped line of the service's own into the log (one WriteFile: appended whole). */
static void log_line(const char *fmt, ...) PC_PRINTF(1, 2);
static void log_line(const char *fmt, ...) {
  if (!g.log) return;
  char line[600];
  SYSTEMTIME t;
  GetSystemTime(&t);
  int n = snprintf(line, sizeof line, "%04u-%02u-%02uT%02u:%02u:%02uZ portclash service: ", t.wYear, t.wMonth,
                   t.wDay, t.wHour, t.wMinute, t.wSecond);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 2, fmt, ap);
  va_end(ap);
  n += m < 0 ? 0 : m >= (int)(sizeof line - (size_t)n - 2) ? (int)(sizeof line - (size_t)n - 3) : m;
  line[n++] = '\r';
  line[n++] = '\n';
  DWORD w;
  WriteFile(g.log, line, (DWORD)n, &w, NULL);
}

/* Reports one of the service's own events (sinks/eventlog.h) with up to two strings; a
 * failure is logged, never fatal. */
static void event(uint32_t id, uint16_t type, const char *a, const char *b) {
  const char *s[2] = {a, b};
  DWORD e = pc_eventlog_report_now(NULL, id, type, b ? 2 : 1, s);
  if (e != ERROR_SUCCESS)
    log_line("cannot report event %lu to the Event Log: error %lu", (unsigned long)id, (unsigned long)e);
}

/* Stops the ETW session of the monitor by name, as `logman stop NAME -ets` would. */
static void stop_etw_session(void) {
  union {
    EVENT_TRACE_PROPERTIES p;
    char raw[sizeof(EVENT_TRACE_PROPERTIES) + 2 * 1024 * sizeof(wchar_t)];
  } u;
  memset(&u, 0, sizeof u);
  u.p.Wnode.BufferSize = sizeof u;
  u.p.LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
  u.p.LogFileNameOffset = sizeof(EVENT_TRACE_PROPERTIES) + 1024 * sizeof(wchar_t);
  wchar_t name[PC_ETW_NAME_MAX];
  MultiByteToWideChar(CP_UTF8, 0, g.session, -1, name, PC_ETW_NAME_MAX);
  name[PC_ETW_NAME_MAX - 1] = L'\0';
  ControlTraceW(0, name, &u.p, EVENT_TRACE_CONTROL_STOP);
}

static DWORD WINAPI handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx) {
  (void)type;
  (void)data;
  (void)ctx;
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      set_state(SERVICE_STOP_PENDING, 0);
      SetEvent(g.stop_event);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
    default:
      return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

/* The folder part of path into out (no trailing backslash); false when there is none. */
static bool parent_dir(const wchar_t *path, wchar_t *out, size_t cap) {
  const wchar_t *slash = wcsrchr(path, L'\\');
  if (!slash || (size_t)(slash - path) >= cap) return false;
  size_t n = (size_t)(slash - path);
  memcpy(out, path, n * sizeof *out);
  out[n] = L'\0';
  if (n == 2 && out[1] == L':') wcscat(out, L"\\"); /* C:\x.log: the root */
  return true;
}

/* FILE.(keep-1) -> FILE.keep, ..., FILE -> FILE.1 when FILE is larger than max. As SYSTEM,
 * DeleteFileW and MoveFileExW in a folder a user can write would act on whatever the user put
 * there (a junction makes them delete or move any file): rotation only happens in a folder
 * that only administrators can change, and never to a reparse point. */
static void rotate_at_start(const wchar_t *path) {
  WIN32_FILE_ATTRIBUTE_DATA fa;
  if (!GetFileAttributesExW(path, GetFileExInfoStandard, &fa)) return;
  wchar_t dir[MAX_PATH + 64];
  char why[MAX_PATH * 3 + 200];
  if (!parent_dir(path, dir, MAX_PATH + 64) ||
      pc__path_trusted(acl_ops, dir, why, sizeof why) != PC_TRUST_OK ||
      (fa.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    g.rotation_refused = true;
    return;
  }
  unsigned long long size = ((unsigned long long)fa.nFileSizeHigh << 32) | fa.nFileSizeLow;
  if (g.so.log_max_bytes == 0 || size <= g.so.log_max_bytes) return;
  if (g.so.log_keep == 0) {
    DeleteFileW(path);
    return;
  }
  size_t l = wcslen(path);
  wchar_t *from = malloc((l + 16) * sizeof *from), *to = malloc((l + 16) * sizeof *to);
  if (from && to) {
    for (unsigned long i = g.so.log_keep; i >= 1; i--) {
      if (i - 1 == 0)
        wcscpy(from, path);
      else
        _snwprintf(from, l + 16, L"%ls.%lu", path, i - 1);
      _snwprintf(to, l + 16, L"%ls.%lu", path, i);
      MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING);
    }
  }
  free(from);
  free(to);
}

/* Opens (after rotating) the log file for appending. FILE_SHARE_DELETE lets an operator move
 * it away; the handle is not inheritable (the monitor gets its own duplicate). */
static bool open_log(void) {
  wchar_t path[MAX_PATH + 64];
  log_path(path, MAX_PATH + 64);
  rotate_at_start(path);
  /* A link planted in place of the log would make SYSTEM append to its target: opened
   * without following it, and refused when it is one. */
  g.log = CreateFileW(path, FILE_APPEND_DATA | SYNCHRONIZE | FILE_READ_ATTRIBUTES,
                      FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
  if (g.log == INVALID_HANDLE_VALUE) g.log = NULL;
  BY_HANDLE_FILE_INFORMATION fi;
  if (g.log && GetFileInformationByHandle(g.log, &fi) &&
      (fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
    CloseHandle(g.log);
    g.log = NULL;
  }
  return g.log != NULL;
}

/* Starts "<this exe> monitor OPTIONS" with the log file as its standard output and error.
 *
 * Why a child process rather than pc_cmd_monitor on a thread: a service has no standard
 * handles, and not every C runtime lets stdout be re-attached afterwards (Wine's msvcrt keeps
 * the stream on "no console" whatever is done to descriptor 1), while a child gets real
 * handles at birth. It also keeps a crash of the monitor from taking the service's status
 * reporting down with it. The child is put in a job that kills it when the service process
 * goes away (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), and only its three handles are inherited
 * (PROC_THREAD_ATTRIBUTE_HANDLE_LIST). */
static HANDLE start_monitor(HANDLE *job) {
  wchar_t exe[MAX_PATH + 1];
  DWORD el = GetModuleFileNameW(NULL, exe, MAX_PATH + 1);
  if (el == 0 || el > MAX_PATH) return NULL;
  static wchar_t cmd[CMDLINE_MAX];
  /* --service-child: the service's own session name (never the console's), which only the
   * service's monitor may replace when a dead predecessor left it. */
  _snwprintf(cmd, CMDLINE_MAX, L"\"%ls\" monitor --service-child", exe);
  cmd[CMDLINE_MAX - 1] = L'\0';
  for (int i = 0; i < g.argc; i++) {
    wchar_t *w = widen(g.argv[i]);
    bool ok = w && append_arg(cmd, CMDLINE_MAX, w);
    free(w);
    if (!ok) return NULL;
  }
  /* The machine's configuration file, when there is one and the service's command line names
   * none: options on the command line still win over it (pc_options_parse). */
  bool has_config = false;
  for (int i = 0; i < g.argc; i++)
    has_config = has_config || strcmp(g.argv[i], "--config") == 0 || strncmp(g.argv[i], "--config=", 9) == 0;
  wchar_t conf[MAX_PATH + 64];
  data_path(CONFIG_NAME, conf, MAX_PATH + 64);
  if (!has_config && GetFileAttributesW(conf) != INVALID_FILE_ATTRIBUTES) {
    /* A configuration a user could have written or replaced would let them choose the files
     * a SYSTEM process writes: it is never passed on. */
    char why[MAX_PATH * 3 + 200];
    if (pc__path_trusted(acl_ops, conf, why, sizeof why) != PC_TRUST_OK) {
      log_line("not starting the monitor: configuration %s", why);
      SetLastError(ERROR_ACCESS_DENIED);
      return NULL;
    }
    if (!(append_arg(cmd, CMDLINE_MAX, L"--config") && append_arg(cmd, CMDLINE_MAX, conf))) return NULL;
  }
  if (!g.so.no_eventlog && !append_arg(cmd, CMDLINE_MAX, L"--eventlog")) return NULL;
  HANDLE self = GetCurrentProcess(), out = NULL, in = INVALID_HANDLE_VALUE;
  if (!DuplicateHandle(self, g.log, self, &out, 0, TRUE, DUPLICATE_SAME_ACCESS)) return NULL;
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  in = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
  PROCESS_INFORMATION pi;
  bool ok = pc_win_spawn(exe, cmd, CREATE_SUSPENDED, in, out, &pi);
  DWORD e = GetLastError();
  CloseHandle(out);
  if (in != INVALID_HANDLE_VALUE) CloseHandle(in);
  if (!ok) {
    SetLastError(e);
    return NULL;
  }
  *job = CreateJobObjectW(NULL, NULL);
  if (*job) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
    memset(&li, 0, sizeof li);
    li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    SetInformationJobObject(*job, JobObjectExtendedLimitInformation, &li, sizeof li);
    AssignProcessToJobObject(*job, pi.hProcess); /* best effort: fails inside some nested jobs */
  }
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  log_line("monitor started (pid %lu): %ls", (unsigned long)pi.dwProcessId, cmd);
  char pid[16], *cmd8 = malloc(CMDLINE_MAX * 3);
  snprintf(pid, sizeof pid, "%lu", (unsigned long)GetCurrentProcessId());
  if (cmd8 && WideCharToMultiByte(CP_UTF8, 0, cmd, -1, cmd8, CMDLINE_MAX * 3, NULL, NULL) > 0)
    event(PC_EVENTLOG_SERVICE_START, PC_EVENTLOG_INFORMATION, pid, cmd8);
  free(cmd8);
  return pi.hProcess;
}

/* ---- The supervisor ------------------------------------------------------------------------- */

DWORD pc__service_supervise(const pc__svc_ops *ops, HANDLE stop_event, DWORD kill_after_ms,
                            unsigned *restarts) {
  void *c = ops->ctx;
  unsigned n_restarts = 0;
  DWORD delay = PC_SVC_RESTART_MIN_MS, result = PC_EXIT_OK;
  bool running_reported = false;
  char line[320];
  for (;;) {
    HANDLE job = NULL, child = ops->start_monitor(c, &job);
    if (!child) {
      snprintf(line, sizeof line, "cannot start the monitor: error %lu", (unsigned long)GetLastError());
      ops->log(c, line);
      result = PC_EXIT_FAILURE;
      break;
    }
    if (!running_reported) {
      ops->set_state(c, SERVICE_RUNNING);
      running_reported = true;
    }
    ULONGLONG started = ops->now_ms(c), kill_at = 0;
    HANDLE waits[2] = {child, stop_event};
    bool stopping = false;
    for (;;) {
      DWORD w = ops->wait(c, stopping ? 1 : 2, waits, stopping ? 500 : INFINITE);
      if (w == WAIT_OBJECT_0) break; /* the monitor ended */
      if (!stopping) {
        ops->log(c, "stop requested");
        kill_at = ops->now_ms(c) + kill_after_ms;
      }
      stopping = true;
      /* Again every 500 ms: the monitor may not have started its session when the stop came.
       * Stopping the session ends its loop like Ctrl+C: summary, session freed, exit. */
      ops->stop_session(c);
      ops->set_state(c, SERVICE_STOP_PENDING);
      if (ops->now_ms(c) >= kill_at) {
        snprintf(line, sizeof line, "the monitor did not stop within %lu s; terminating it",
                 (unsigned long)(kill_after_ms / 1000));
        ops->log(c, line);
        ops->terminate(c, child, PC_EXIT_FAILURE);
        ops->wait(c, 1, &child, 5000);
        break;
      }
    }
    DWORD code = PC_EXIT_FAILURE;
    if (!ops->exit_code(c, child, &code)) code = PC_EXIT_FAILURE;
    ops->close_handle(c, child);
    if (job) ops->close_handle(c, job);
    /* The session outlives its process: whatever ended the monitor (a crash, a kill), it is
     * stopped here, so none is ever left behind. */
    ops->stop_session(c);
    if (stopping) {
      snprintf(line, sizeof line, "monitor stopped (status %lu)", (unsigned long)code);
      ops->log(c, line);
      result = PC_EXIT_OK;
      break;
    }
    snprintf(
        line, sizeof line,
        "the monitor ended by itself with status %lu (its ETW session was stopped from outside, ProcessTrace "
        "failed, or it crashed; see its lines above)",
        (unsigned long)code);
    ops->log(c, line);
    if (code == PC_EXIT_USAGE || code == PC_EXIT_PRIVILEGE) {
      ops->log(c, code == PC_EXIT_USAGE
                      ? "not restarting: fix the options or the configuration file, then start the service"
                      : "not restarting: the monitor lacks a privilege (see above)");
      result = code;
      break;
    }
    if (ops->now_ms(c) - started >= PC_SVC_RESTART_RESET_MS) delay = PC_SVC_RESTART_MIN_MS;
    n_restarts++;
    snprintf(line, sizeof line, "restarting the monitor in %lu s (restart %u)", (unsigned long)(delay / 1000),
             n_restarts);
    ops->log(c, line);
    if (ops->wait(c, 1, &stop_event, delay) == WAIT_OBJECT_0) {
      ops->log(c, "stop requested");
      result = PC_EXIT_OK;
      break;
    }
    delay = delay * 2 > PC_SVC_RESTART_MAX_MS ? PC_SVC_RESTART_MAX_MS : delay * 2;
  }
  if (restarts) *restarts = n_restarts;
  return result;
}

static HANDLE real_start_monitor(void *c, HANDLE *job) {
  (void)c;
  return start_monitor(job);
}
static DWORD real_wait(void *c, DWORD n, const HANDLE *h, DWORD ms) {
  (void)c;
  return WaitForMultipleObjects(n, h, FALSE, ms);
}
static BOOL real_exit_code(void *c, HANDLE p, DWORD *code) {
  (void)c;
  return GetExitCodeProcess(p, code);
}
static BOOL real_terminate(void *c, HANDLE p, UINT code) {
  (void)c;
  return TerminateProcess(p, code);
}
static void real_close(void *c, HANDLE h) {
  (void)c;
  CloseHandle(h);
}
static void real_stop_session(void *c) {
  (void)c;
  stop_etw_session();
}
static ULONGLONG real_now_ms(void *c) {
  (void)c;
  return GetTickCount64();
}
static void real_set_state(void *c, DWORD state) {
  (void)c;
  set_state(state, 0);
}
static void real_log(void *c, const char *line) {
  (void)c;
  log_line("%s", line);
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  (void)argc;
  (void)argv; /* start parameters (sc start NAME ARGS) are not used: the options are in the command line */
  /* For SERVICE_WIN32_OWN_PROCESS the name is not checked (RegisterServiceCtrlHandlerExW). */
  g.status_handle = RegisterServiceCtrlHandlerExW(L"", handler, NULL);
  if (!g.status_handle) return;
  set_state(SERVICE_START_PENDING, 0);
  /* Before anything is read from or written to it. */
  char why[MAX_PATH * 3 + 200];
  pc__trust t = secure_data_dir(why, sizeof why);
  bool dir_ok = t == PC_TRUST_OK || t == PC_TRUST_REPAIRED;
  /* The default log lives in that folder: not opened when the folder is refused. */
  if ((!dir_ok && !g.so.log) || !open_log()) {
    set_state(SERVICE_STOPPED, PC_EXIT_FAILURE);
    return;
  }
  log_line("started (pid %lu)%s", (unsigned long)GetCurrentProcessId(), g.so.check ? ", check mode" : "");
  if (t == PC_TRUST_REPAIRED || !dir_ok) log_line("%s", why);
  if (g.rotation_refused)
    log_line("the log was not rotated: its folder can be changed by non-administrators, or it is a link");
  if (!dir_ok) {
    log_line(
        "not starting: %%ProgramData%%\\portclash must be owned by an administrator and closed to other "
        "accounts");
    CloseHandle(g.log);
    g.log = NULL;
    set_state(SERVICE_STOPPED, PC_EXIT_FAILURE);
    return;
  }
  DWORD code = PC_EXIT_OK;
  bool stopping = false;
  if (g.so.check) {
    set_state(SERVICE_RUNNING, 0);
    char pid[16];
    snprintf(pid, sizeof pid, "%lu", (unsigned long)GetCurrentProcessId());
    event(PC_EVENTLOG_SERVICE_START, PC_EVENTLOG_INFORMATION, pid, "(check mode: no monitor)");
    log_line("check mode: running, waiting for the stop request");
    WaitForSingleObject(g.stop_event, INFINITE);
    log_line("stop requested");
    stopping = true;
  } else {
    pc__svc_ops ops = {NULL,       real_start_monitor, real_wait,   real_exit_code, real_terminate,
                       real_close, real_stop_session,  real_now_ms, real_set_state, real_log};
    unsigned restarts = 0;
    code = pc__service_supervise(&ops, g.stop_event, 20000, &restarts);
    stopping = code == PC_EXIT_OK;
  }
  log_line("stopped (monitor exit status %lu)", (unsigned long)code);
  char status[16], logname[MAX_PATH * 3 + 64] = "";
  snprintf(status, sizeof status, "%lu", (unsigned long)code);
  if (stopping || code == 0) {
    event(PC_EVENTLOG_SERVICE_STOP, PC_EVENTLOG_INFORMATION, status, NULL);
  } else {
    wchar_t lp[MAX_PATH + 64];
    log_path(lp, MAX_PATH + 64);
    WideCharToMultiByte(CP_UTF8, 0, lp, -1, logname, (int)sizeof logname, NULL, NULL);
    event(PC_EVENTLOG_SERVICE_RESTART, PC_EVENTLOG_ERROR, status, logname);
  }
  CloseHandle(g.log);
  g.log = NULL;
  /* A stop that was asked for is a clean stop; otherwise the monitor's status is reported as
   * the service-specific exit code, and a non-zero one triggers the failure actions. */
  set_state(SERVICE_STOPPED, stopping ? 0 : code);
}

static int cmd_run(int argc, char **argv) {
  g.argv = calloc((size_t)argc + 1, sizeof *g.argv);
  if (!g.argv) return PC_EXIT_FAILURE;
  g.so.log_max_bytes = 10485760;
  g.so.log_keep = 5;
  pc_etw_options eo;
  pc_etw_options_init(&eo);
  for (int i = 1; i < argc; i++) {
    int r = svc_opt(&g.so, argc, argv, &i);
    if (r < 0) return PC_EXIT_USAGE;
    if (r > 0) continue;
    g.argv[g.argc++] = argv[i];
    /* Learn the session name (--session NAME) so that a stop request can end it. */
    if (i + 1 < argc) {
      char err[128];
      pc_etw_options_apply(&eo, argv[i], argv[i + 1], err, sizeof err);
    }
  }
  snprintf(g.session, sizeof g.session, "%s", eo.session_name);
  InitializeCriticalSection(&g.lock);
  g.stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (!g.stop_event) return PC_EXIT_FAILURE;
  SERVICE_TABLE_ENTRYW table[] = {{(LPWSTR)L"", service_main}, {NULL, NULL}};
  if (!StartServiceCtrlDispatcherW(table)) {
    DWORD e = GetLastError();
    if (e == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      fputs(
          "portclash service run: this is started by the service manager, not from a console.\n"
          "Install the service with 'portclash service install', or run 'portclash monitor' here.\n",
          stderr);
      return PC_EXIT_USAGE;
    }
    print_os_error("cannot connect to the service manager", e);
    return PC_EXIT_FAILURE;
  }
  return (int)g.status.dwServiceSpecificExitCode;
}

int pc_cmd_service(int argc, char **argv) {
  const char *sub = argc >= 2 ? argv[1] : NULL;
  if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
    usage(sub ? stdout : stderr);
    return sub ? PC_EXIT_OK : PC_EXIT_USAGE;
  }
  for (int i = 2; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return PC_EXIT_OK;
    }
  if (strcmp(sub, "install") == 0) return cmd_install(argc - 1, argv + 1);
  if (strcmp(sub, "uninstall") == 0) return cmd_uninstall(argc - 1, argv + 1);
  if (strcmp(sub, "run") == 0) return cmd_run(argc - 1, argv + 1);
  fprintf(stderr, "portclash service: unknown subcommand '%s' (install, uninstall or run)\n", sub);
  return PC_EXIT_USAGE;
}
