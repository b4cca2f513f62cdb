/* test_eventlog_win.c - the Windows Event Log sink (monitor/sinks/eventlog-win.c) under Wine.
 *
 * Wine's ReportEventW records nothing, so the sink runs against a fake advapi32 table
 * (pc_eventlog_api) that keeps every event: ids, types and insertion strings are asserted, as
 * are the bounded queue (a blocked Event Log drops and counts, never blocks the caller) and the
 * retry after a failed report. The message table is checked for real: portclash.exe
 * ($PC_PORTCLASH_EXE) is loaded as a data file and every message is formatted with FormatMessageW
 * from the strings the sink produced, which is what Event Viewer does. Last, the registry key of
 * an event source is created and removed. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "eventlog.h"
#include "eventlog_win.h"
#include "pc_sinks.h"
#include "pc_test.h"

/* ---- the fake advapi32 ------------------------------------------------------------------ */

#define MAX_EVENTS 128
typedef struct fake_event {
  DWORD id;
  WORD type;
  WORD n;
  char *s[PC_EVENTLOG_MAX_STRINGS];
  wchar_t *w[PC_EVENTLOG_MAX_STRINGS];
} fake_event;

static struct {
  CRITICAL_SECTION lock;
  fake_event ev[MAX_EVENTS];
  size_t count;
  int registered, deregistered;
  wchar_t source[64];
  int fail_next; /* report fails this many more times with RPC_S_SERVER_UNAVAILABLE */
  HANDLE gate;   /* when set: report waits until it is signalled */
  char diag[4096];
} fake;

static HANDLE WINAPI fake_register(LPCWSTR server, LPCWSTR source) {
  (void)server;
  EnterCriticalSection(&fake.lock);
  fake.registered++;
  wcsncpy(fake.source, source, 63);
  LeaveCriticalSection(&fake.lock);
  return (HANDLE)(INT_PTR)0x5eed;
}

static BOOL WINAPI fake_report(HANDLE h, WORD type, WORD category, DWORD id, PSID user, WORD n,
                               DWORD data_size, LPCWSTR *strings, LPVOID data) {
  (void)category;
  (void)user;
  (void)data;
  (void)data_size;
  if (h != (HANDLE)(INT_PTR)0x5eed) {
    SetLastError(ERROR_INVALID_HANDLE);
    return FALSE;
  }
  if (fake.gate) WaitForSingleObject(fake.gate, 10000);
  EnterCriticalSection(&fake.lock);
  if (fake.fail_next > 0) {
    fake.fail_next--;
    LeaveCriticalSection(&fake.lock);
    SetLastError(RPC_S_SERVER_UNAVAILABLE);
    return FALSE;
  }
  if (fake.count < MAX_EVENTS) {
    fake_event *e = &fake.ev[fake.count++];
    e->id = id;
    e->type = type;
    e->n = n;
    for (WORD i = 0; i < n && i < PC_EVENTLOG_MAX_STRINGS; i++) {
      e->w[i] = _wcsdup(strings[i]);
      int len = WideCharToMultiByte(CP_UTF8, 0, strings[i], -1, NULL, 0, NULL, NULL);
      e->s[i] = malloc((size_t)len);
      WideCharToMultiByte(CP_UTF8, 0, strings[i], -1, e->s[i], len, NULL, NULL);
    }
  }
  LeaveCriticalSection(&fake.lock);
  return TRUE;
}

static BOOL WINAPI fake_deregister(HANDLE h) {
  (void)h;
  EnterCriticalSection(&fake.lock);
  fake.deregistered++;
  LeaveCriticalSection(&fake.lock);
  return TRUE;
}

static const pc_eventlog_api fake_api = {fake_register, fake_report, fake_deregister};

static void fake_reset(void) {
  static bool init;
  if (!init) InitializeCriticalSection(&fake.lock);
  init = true;
  for (size_t i = 0; i < fake.count; i++)
    for (WORD k = 0; k < fake.ev[i].n; k++) {
      free(fake.ev[i].s[k]);
      free(fake.ev[i].w[k]);
    }
  memset(fake.ev, 0, sizeof fake.ev);
  fake.count = 0;
  fake.registered = fake.deregistered = 0;
  fake.fail_next = 0;
  fake.gate = NULL;
  fake.diag[0] = '\0';
}

static void diag(void *ud, pc_err err, const char *msg) {
  (void)ud;
  (void)err;
  EnterCriticalSection(&fake.lock);
  size_t l = strlen(fake.diag);
  snprintf(fake.diag + l, sizeof fake.diag - l, "%s\n", msg);
  LeaveCriticalSection(&fake.lock);
}

static pc_sinks *open_sinks(size_t queue_bytes) {
  pc_sink_options o;
  pc_sink_options_init(&o);
  o.console = false;
  o.eventlog = true;
  o.eventlog_api = &fake_api;
  o.host = "demo-host";
  o.os = "windows";
  o.retry_min_ms = 5;
  o.retry_max_ms = 20;
  if (queue_bytes) o.queue_bytes = queue_bytes;
  pc_sinks *s = NULL;
  PC_CHECK_INT(pc_sinks_open(&o, diag, NULL, &s), PC_OK);
  return s;
}

/* 2026-11-21T09:30:03Z */
#define TS (PC_TIME_UNIX_EPOCH + INT64_C(1795253403) * PC_TIME_TICKS_PER_SEC)

static const char *const fixes[] = {"See who: Get-NetTCPConnection -LocalPort 3000 | select OwningProcess",
                                    "Stop it (Stop-Process -Id 7777) or change one of the two ports."};

static pc_finding bind_failure(void) {
  pc_finding f;
  memset(&f, 0, sizeof f);
  f.ts = f.ts_last = TS;
  f.host = "demo-host";
  f.os = "windows";
  f.event = "bind_failure";
  f.error_known = true;
  f.error = 10048;
  f.error_name = "WSAEADDRINUSE";
  f.proto = "tcp";
  f.address = "::";
  f.port_known = true;
  f.port = 3000;
  f.pid_known = true;
  f.pid = 4321;
  f.process = "node.exe";
  f.owner_pid_known = true;
  f.owner_pid = 7777;
  f.owner_process = "node.exe";
  f.rule_id = "C12";
  f.severity = "error";
  f.explanation =
      "node.exe (PID 4321) cannot bind tcp :::3000: node.exe (PID 7777) already holds it (listen) "
      "\xe2\x80\x94 "
      "another instance of the same program, or an old server still running.";
  f.fixes = fixes;
  f.fix_count = 2;
  f.count = 1;
  f.source = "fixture";
  return f;
}

PC_TEST(findings_become_events_with_ids_types_and_strings) {
  fake_reset();
  pc_sinks *s = open_sinks(0);
  if (!s) return;
  pc_finding f = bind_failure();
  PC_CHECK_INT(pc_sinks_write(s, &f), PC_OK);
  pc_finding r;
  memset(&r, 0, sizeof r);
  r.ts = r.ts_last = TS;
  r.event = "port_at_risk";
  r.severity = "warning";
  r.proto = "tcp";
  r.port_known = true;
  r.port = 50010;
  r.owner_pid_known = true;
  r.owner_pid = 4;
  r.rule_id = "W04";
  r.explanation = "A process (PID 4) just reserved tcp ports 50000-50099";
  r.count = 1;
  PC_CHECK_INT(pc_sinks_write(s, &r), PC_OK);
  pc_finding l = r;
  l.event = "events_lost";
  l.count = 12;
  l.source = "etw";
  PC_CHECK_INT(pc_sinks_write(s, &l), PC_OK);
  pc_finding o = r;
  o.event = "bind_success";
  o.severity = "info";
  PC_CHECK_INT(pc_sinks_write(s, &o), PC_OK);
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  PC_CHECK_UINT(st.written, 4);
  PC_CHECK_UINT(st.dropped, 0);
  pc_sinks_close(s, NULL, false);

  PC_CHECK_INT(fake.registered, 1);
  PC_CHECK_INT(fake.deregistered, 1);
  PC_CHECK(wcscmp(fake.source, L"portclash") == 0);
  PC_CHECK_INT(fake.count, 4);
  if (fake.count != 4) return;
  fake_event *e = &fake.ev[0];
  PC_CHECK_INT(e->id, 100);
  PC_CHECK_INT(e->type, EVENTLOG_ERROR_TYPE);
  PC_CHECK_INT(e->n, PC_EVENTLOG_FINDING_STRINGS);
  PC_CHECK_STR(e->s[0], f.explanation);
  PC_CHECK_STR(e->s[1], "bind_failure");
  PC_CHECK_STR(e->s[2], "node.exe");
  PC_CHECK_STR(e->s[3], "4321");
  PC_CHECK_STR(e->s[4], "tcp");
  PC_CHECK_STR(e->s[5], "::");
  PC_CHECK_STR(e->s[6], "3000");
  PC_CHECK_STR(e->s[7], "10048");
  PC_CHECK_STR(e->s[8], "WSAEADDRINUSE");
  PC_CHECK_STR(e->s[9], "node.exe");
  PC_CHECK_STR(e->s[10], "7777");
  PC_CHECK_STR(e->s[11], "C12");
  PC_CHECK_STR(e->s[12], "error");
  PC_CHECK_STR(e->s[13], "1");
  PC_CHECK_STR(e->s[14],
               "- See who: Get-NetTCPConnection -LocalPort 3000 | select OwningProcess\r\n"
               "- Stop it (Stop-Process -Id 7777) or change one of the two ports.");
  PC_CHECK_STR(e->s[15], "demo-host");
  PC_CHECK_STR(e->s[16], "2026-11-21T09:30:03.000000Z");
  PC_CHECK_STR(e->s[17], "2026-11-21T09:30:03.000000Z");
  PC_CHECK_STR(e->s[18], "fixture");
  /* The em dash arrives as one UTF-16 character (U+2014), not as three bytes. */
  PC_CHECK(wcschr(e->w[0], 0x2014) != NULL);

  e = &fake.ev[1];
  PC_CHECK_INT(e->id, 101);
  PC_CHECK_INT(e->type, EVENTLOG_WARNING_TYPE);
  PC_CHECK_STR(e->s[2], "-"); /* unknown process */
  PC_CHECK_STR(e->s[3], "-");
  PC_CHECK_STR(e->s[6], "50010");
  PC_CHECK_STR(e->s[7], "-"); /* no error */
  PC_CHECK_STR(e->s[10], "4");
  PC_CHECK_STR(e->s[14], "-"); /* no fixes */
  PC_CHECK_INT(fake.ev[2].id, 102);
  PC_CHECK_INT(fake.ev[2].type, EVENTLOG_WARNING_TYPE);
  PC_CHECK_STR(fake.ev[2].s[13], "12");
  PC_CHECK_STR(fake.ev[2].s[18], "etw");
  PC_CHECK_INT(fake.ev[3].id, 109);
  PC_CHECK_INT(fake.ev[3].type, EVENTLOG_INFORMATION_TYPE);
}

PC_TEST(failed_report_is_retried_and_said_once) {
  fake_reset();
  fake.fail_next = 3;
  pc_sinks *s = open_sinks(0);
  if (!s) return;
  pc_finding f = bind_failure();
  PC_CHECK_INT(pc_sinks_write(s, &f), PC_OK);
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  PC_CHECK_UINT(st.written, 1);
  PC_CHECK_UINT(st.failures, 3);
  PC_CHECK_UINT(st.dropped, 0);
  pc_sinks_close(s, NULL, false);
  PC_CHECK_INT(fake.count, 1);
  PC_CHECK(strstr(fake.diag, "eventlog: cannot report an event") != NULL);
  PC_CHECK(strstr(fake.diag, "eventlog: reporting again") != NULL);
  /* Once per outage, not once per attempt. */
  const char *first = strstr(fake.diag, "cannot report");
  PC_CHECK(first && strstr(first + 1, "cannot report") == NULL);
}

PC_TEST(a_blocked_event_log_drops_and_counts_without_blocking) {
  fake_reset();
  fake.gate = CreateEventW(NULL, TRUE, FALSE, NULL);
  pc_sinks *s = open_sinks(4096); /* room for a few events only */
  if (!s) return;
  pc_finding f = bind_failure();
  ULONGLONG t0 = GetTickCount64();
  size_t full = 0;
  for (int i = 0; i < 200; i++)
    if (pc_sinks_write(s, &f) == PC_EFULL) full++;
  ULONGLONG took = GetTickCount64() - t0;
  PC_CHECK(took < 2000); /* the writer is stuck in ReportEventW; the caller is not */
  PC_CHECK(full > 150);
  SetEvent(fake.gate);
  PC_CHECK_INT(pc_sinks_flush(s, 5000), PC_OK);
  pc_sink_stats st;
  pc_sinks_stats(s, &st);
  PC_CHECK_UINT(st.dropped, full);
  PC_CHECK_UINT(st.submitted, st.written + st.dropped + st.queued);
  PC_CHECK_UINT(st.drop_reports, 1);
  pc_sinks_close(s, NULL, false);
  CloseHandle(fake.gate);
  fake.gate = NULL;
  /* One event 103 says how many were lost: the queue reports the drops as soon as the Event
   * Log takes events again, before what is still queued. */
  fake_event *drop = NULL;
  size_t drops = 0;
  for (size_t i = 0; i < fake.count; i++)
    if (fake.ev[i].id == 103) {
      drop = &fake.ev[i];
      drops++;
    }
  PC_CHECK_INT(drops, 1);
  PC_CHECK_UINT(fake.count, st.written + 1);
  if (!drop) return;
  PC_CHECK_INT(drop->type, EVENTLOG_WARNING_TYPE);
  char n[32];
  snprintf(n, sizeof n, "%zu", full);
  PC_CHECK_STR(drop->s[13], n);
  PC_CHECK_STR(drop->s[1], "output_dropped");
}

PC_TEST(service_events_are_reported_synchronously) {
  fake_reset();
  const char *s[2] = {"1234", "\"C:\\Program Files\\portclash\\portclash.exe\" monitor --eventlog"};
  PC_CHECK_UINT(pc_eventlog_report_now(&fake_api, PC_EVENTLOG_SERVICE_START, PC_EVENTLOG_INFORMATION, 2, s),
                ERROR_SUCCESS);
  PC_CHECK_INT(fake.count, 1);
  PC_CHECK_INT(fake.ev[0].id, 200);
  PC_CHECK_INT(fake.ev[0].type, EVENTLOG_INFORMATION_TYPE);
  PC_CHECK_INT(fake.ev[0].n, 2);
  PC_CHECK_STR(fake.ev[0].s[1], s[1]);
  PC_CHECK_INT(fake.deregistered, 1);
}

/* ---- the message table in portclash.exe -------------------------------------------------- */

static HMODULE load_portclash(void) {
  const char *p = getenv("PC_PORTCLASH_EXE");
  if (!p) return NULL;
  wchar_t w[MAX_PATH];
  /* ctest gives the Unix path; Wine maps / to drive Z:. */
  if (p[0] == '/') {
    _snwprintf(w, MAX_PATH, L"Z:%hs", p);
    for (wchar_t *c = w; *c; c++)
      if (*c == L'/') *c = L'\\';
  } else {
    MultiByteToWideChar(CP_UTF8, 0, p, -1, w, MAX_PATH);
  }
  w[MAX_PATH - 1] = L'\0';
  return LoadLibraryExW(w, NULL, LOAD_LIBRARY_AS_DATAFILE | LOAD_LIBRARY_AS_IMAGE_RESOURCE);
}

/* Formats message id of mod with the strings, as Event Viewer does; malloc'd UTF-8 or NULL. */
static char *format(HMODULE mod, DWORD id, size_t n, wchar_t **strings) {
  DWORD_PTR args[PC_EVENTLOG_MAX_STRINGS];
  for (size_t i = 0; i < n; i++) args[i] = (DWORD_PTR)strings[i];
  wchar_t *out = NULL;
  DWORD len = FormatMessageW(
      FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY | FORMAT_MESSAGE_ALLOCATE_BUFFER, mod, id,
      MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), (LPWSTR)&out, 0, (va_list *)args);
  if (!len || !out) return NULL;
  int m = WideCharToMultiByte(CP_UTF8, 0, out, -1, NULL, 0, NULL, NULL);
  char *u = malloc((size_t)m);
  WideCharToMultiByte(CP_UTF8, 0, out, -1, u, m, NULL, NULL);
  LocalFree(out);
  return u;
}

PC_TEST(portclash_exe_message_table_formats_every_event) {
  HMODULE mod = load_portclash();
  if (!getenv("PC_PORTCLASH_EXE")) PC_SKIP("PC_PORTCLASH_EXE not set");
  PC_CHECK(mod != NULL);
  if (!mod) return;
  fake_reset();
  pc_sinks *s = open_sinks(0);
  if (!s) return;
  pc_finding f = bind_failure();
  pc_sinks_write(s, &f);
  pc_sinks_flush(s, 5000);
  pc_sinks_close(s, NULL, false);
  PC_CHECK_INT(fake.count, 1);
  if (fake.count != 1) return;
  char *text = format(mod, fake.ev[0].id, fake.ev[0].n, fake.ev[0].w);
  char want[2048];
  snprintf(want, sizeof want,
           "%s\r\n\r\nProcess: node.exe (PID 4321)\r\nWanted: tcp address :: port 3000\r\n"
           "Error: WSAEADDRINUSE (10048)\r\nHeld by: node.exe (PID 7777)\r\n"
           "Rule: C12, severity error, seen 1 time(s) from 2026-11-21T09:30:03.000000Z to "
           "2026-11-21T09:30:03.000000Z\r\nHow to fix:\r\n"
           "- See who: Get-NetTCPConnection -LocalPort 3000 | select OwningProcess\r\n"
           "- Stop it (Stop-Process -Id 7777) or change one of the two ports.\r\n",
           f.explanation);
  PC_CHECK_STR(text, want);
  if (text) printf("event 100 as Event Viewer shows it:\n%s", text);
  free(text);

  /* Every id of sinks/eventlog.h has a message; an id in between has none. */
  static const DWORD ids[] = {100, 101, 102, 103, 104, 109, 200, 201, 202};
  wchar_t *dash[PC_EVENTLOG_FINDING_STRINGS];
  for (size_t i = 0; i < PC_EVENTLOG_FINDING_STRINGS; i++) dash[i] = (wchar_t *)L"x";
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    char *t = format(mod, ids[i], PC_EVENTLOG_FINDING_STRINGS, dash);
    if (!t) pc__test_fail(__FILE__, __LINE__, "no message %lu in portclash.exe", (unsigned long)ids[i]);
    free(t);
  }
  char *t = format(mod, 150, PC_EVENTLOG_FINDING_STRINGS, dash);
  PC_CHECK(t == NULL);
  free(t);
  wchar_t *svc[2] = {(wchar_t *)L"1234", (wchar_t *)L"\"C:\\pc\\portclash.exe\" monitor --eventlog"};
  t = format(mod, 200, 2, svc);
  PC_CHECK_STR(t,
               "The portclash service started (process 1234).\r\n"
               "Monitor command line: \"C:\\pc\\portclash.exe\" monitor --eventlog\r\n");
  free(t);
  FreeLibrary(mod);
}

/* ---- registration ------------------------------------------------------------------------- */

PC_TEST(event_source_registration_writes_and_removes_the_key) {
  const wchar_t *src = L"portclash-test-source";
  const wchar_t *exe = L"C:\\Program Files\\portclash\\portclash.exe";
  pc_eventlog_unregister_source(src);
  PC_CHECK(!pc_eventlog_source_registered(src));
  PC_CHECK_UINT(pc_eventlog_register_source(src, exe), ERROR_SUCCESS);
  PC_CHECK(pc_eventlog_source_registered(src));
  wchar_t key[512], val[MAX_PATH];
  _snwprintf(key, 512, L"%ls\\%ls", PC_EVENTLOG_REG_PARENT, src);
  DWORD type = 0, size = sizeof val;
  HKEY k;
  PC_CHECK_INT(RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_QUERY_VALUE, &k), ERROR_SUCCESS);
  PC_CHECK_INT(RegQueryValueExW(k, L"EventMessageFile", NULL, &type, (BYTE *)val, &size), ERROR_SUCCESS);
  PC_CHECK_INT(type, REG_EXPAND_SZ);
  PC_CHECK(wcscmp(val, exe) == 0);
  DWORD types = 0;
  size = sizeof types;
  PC_CHECK_INT(RegQueryValueExW(k, L"TypesSupported", NULL, &type, (BYTE *)&types, &size), ERROR_SUCCESS);
  PC_CHECK_INT(type, REG_DWORD);
  PC_CHECK_INT(types, 7);
  RegCloseKey(k);
  PC_CHECK_UINT(pc_eventlog_unregister_source(src), ERROR_SUCCESS);
  PC_CHECK(!pc_eventlog_source_registered(src));
  PC_CHECK_UINT(pc_eventlog_unregister_source(src), ERROR_SUCCESS); /* gone already: fine */
}

/* `service install` registers the source "portclash" with the installing exe as its message
 * file, `service uninstall` removes it (through pc_service_driver.exe, next to this test, against
 * Wine's service manager; a check-mode service that is never started). */
static long run_driver(const wchar_t *driver, const wchar_t *args) {
  wchar_t cmd[2048];
  _snwprintf(cmd, 2048, L"\"%ls\" %ls", driver, args);
  cmd[2047] = L'\0';
  STARTUPINFOW si;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(driver, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
    printf("cannot start %ls: error %lu\n", cmd, (unsigned long)GetLastError());
    return -1;
  }
  CloseHandle(pi.hThread);
  DWORD code = (DWORD)-1, w = WaitForSingleObject(pi.hProcess, 30000);
  if (w == WAIT_OBJECT_0) GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  if (code != 0) printf("%ls: wait %lu, exit status 0x%lx\n", cmd, (unsigned long)w, (unsigned long)code);
  return (long)code;
}

PC_TEST(service_install_registers_and_uninstall_removes_the_source) {
  wchar_t driver[MAX_PATH];
  GetModuleFileNameW(NULL, driver, MAX_PATH);
  wchar_t *slash = wcsrchr(driver, L'\\');
  if (!slash) return;
  wcscpy(slash + 1, L"pc_service_driver.exe");
  if (GetFileAttributesW(driver) == INVALID_FILE_ATTRIBUTES) PC_SKIP("pc_service_driver.exe not built");
  run_driver(driver, L"service uninstall --name portclash-evt-test");
  PC_CHECK_INT(run_driver(driver, L"service install --name portclash-evt-test --check"), 0);
  PC_CHECK(pc_eventlog_source_registered(L"portclash"));
  wchar_t key[512], val[MAX_PATH] = L"";
  _snwprintf(key, 512, L"%ls\\portclash", PC_EVENTLOG_REG_PARENT);
  DWORD type = 0, size = sizeof val;
  HKEY k;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_QUERY_VALUE, &k) == ERROR_SUCCESS) {
    RegQueryValueExW(k, L"EventMessageFile", NULL, &type, (BYTE *)val, &size);
    RegCloseKey(k);
  }
  PC_CHECK_INT(type, REG_EXPAND_SZ);
  PC_CHECK(_wcsicmp(val, driver) == 0);
  PC_CHECK_INT(run_driver(driver, L"service uninstall --name portclash-evt-test"), 0);
  PC_CHECK(!pc_eventlog_source_registered(L"portclash"));
}
