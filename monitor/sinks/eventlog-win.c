/* eventlog-win.c - findings reported to the Windows Event Log (eventlog.h,
 * eventlog_win.h).
 *
 * Like the file and syslog sinks, the caller's thread only encodes the event (id, type,
 * insertion strings; eventlog.c) and pushes it into the bounded queue (queue.c);
 * the queue's writer thread calls ReportEventW. ReportEventW is a local RPC to the Event Log
 * service, which is normally fast, but when the service is stopped or busy the call fails or
 * waits; neither may hold up event intake, so a full queue drops and counts, a failed report is
 * retried with back-off, and the drops are reported as an output_dropped event (id 103) once
 * the Event Log takes events again.
 *
 * The handle from RegisterEventSourceW is opened once at start. RegisterEventSourceW succeeds
 * even when the source is not registered (Event Viewer then shows "The description for Event
 * ID ... cannot be found"), so open checks the registry key and says how to register it.
 *
 * Contracts used (Microsoft docs): RegisterEventSourceW, ReportEventW (at most 256 strings,
 * each at most 31,839 characters), DeregisterEventSource, "Event Sources" (the registry key
 * and its EventMessageFile / TypesSupported values). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "eventlog.h"
#include "eventlog_win.h"
#include "sinks_internal.h"

#define SOURCE_W L"portclash"

const pc_eventlog_api pc_eventlog_api_system = {RegisterEventSourceW, ReportEventW, DeregisterEventSource};

/* ---- registration ----------------------------------------------------------------------- */

static void key_path(const wchar_t *source, wchar_t *out, size_t cap) {
  _snwprintf(out, cap, L"%ls\\%ls", PC_EVENTLOG_REG_PARENT, source);
  out[cap - 1] = L'\0';
}

DWORD pc_eventlog_register_source(const wchar_t *source, const wchar_t *exe) {
  wchar_t path[512];
  key_path(source, path, 512);
  HKEY k;
  LONG e = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, NULL, REG_OPTION_NON_VOLATILE, KEY_SET_VALUE, NULL,
                           &k, NULL);
  if (e != ERROR_SUCCESS) return (DWORD)e;
  DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
  e = RegSetValueExW(k, L"EventMessageFile", 0, REG_EXPAND_SZ, (const BYTE *)exe,
                     (DWORD)((wcslen(exe) + 1) * sizeof(wchar_t)));
  if (e == ERROR_SUCCESS)
    e = RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types, sizeof types);
  RegCloseKey(k);
  return (DWORD)e;
}

DWORD pc_eventlog_unregister_source(const wchar_t *source) {
  wchar_t path[512];
  key_path(source, path, 512);
  LONG e = RegDeleteKeyW(HKEY_LOCAL_MACHINE, path);
  return e == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : (DWORD)e;
}

int pc_eventlog_source_registered(const wchar_t *source) {
  wchar_t path[512];
  key_path(source, path, 512);
  HKEY k;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_QUERY_VALUE, &k) != ERROR_SUCCESS) return 0;
  RegCloseKey(k);
  return 1;
}

/* ---- reporting -------------------------------------------------------------------------- */

/* Reports a decoded event through api on handle h. ERROR_SUCCESS or the Win32 error. */
static DWORD report(const pc_eventlog_api *api, HANDLE h, const pc_eventlog_event *ev) {
  LPCWSTR w[PC_EVENTLOG_MAX_STRINGS];
  wchar_t *mem[PC_EVENTLOG_MAX_STRINGS];
  DWORD err = ERROR_SUCCESS;
  size_t i;
  for (i = 0; i < ev->n; i++) {
    int n = MultiByteToWideChar(CP_UTF8, 0, ev->s[i], -1, NULL, 0);
    mem[i] = n > 0 ? malloc((size_t)n * sizeof(wchar_t)) : NULL;
    if (!mem[i]) {
      err = ERROR_NOT_ENOUGH_MEMORY;
      break;
    }
    MultiByteToWideChar(CP_UTF8, 0, ev->s[i], -1, mem[i], n);
    w[i] = mem[i];
  }
  if (err == ERROR_SUCCESS &&
      !api->report(h, ev->type, 0, ev->id, NULL, (WORD)ev->n, 0, ev->n ? w : NULL, NULL))
    err = GetLastError() ? GetLastError() : ERROR_GEN_FAILURE;
  while (i > 0) free(mem[--i]);
  return err;
}

DWORD pc_eventlog_report_now(const pc_eventlog_api *api, uint32_t id, uint16_t type, size_t n,
                             const char *const *strings) {
  if (!api) api = &pc_eventlog_api_system;
  char buf[4096];
  size_t len = pc_eventlog_encode(id, type, n, strings, buf, sizeof buf);
  pc_eventlog_event ev;
  if (len > sizeof buf || pc_eventlog_decode(buf, len, &ev) != 0) return ERROR_INVALID_PARAMETER;
  HANDLE h = api->register_source(NULL, SOURCE_W);
  if (!h) return GetLastError() ? GetLastError() : ERROR_GEN_FAILURE;
  DWORD err = report(api, h, &ev);
  api->deregister_source(h);
  return err;
}

/* ---- the sink --------------------------------------------------------------------------- */

typedef struct evsink {
  pc__qsink b;
  const pc_eventlog_api *api;
  HANDLE h;
} evsink;

static pc_err ev_deliver(pc__qsink *b, const char *rec, size_t len) {
  evsink *s = (evsink *)b;
  pc_eventlog_event ev;
  if (pc_eventlog_decode(rec, len, &ev) != 0) return PC_EINVAL; /* cannot happen: dropped */
  DWORD e = report(s->api, s->h, &ev);
  if (e == ERROR_SUCCESS) {
    pc__qsink_recovered(b, "eventlog: reporting again");
    return PC_OK;
  }
  if (e == ERROR_INVALID_PARAMETER) return PC_EINVAL; /* this event never fits: dropped */
  char os[160] = "";
  if (!b->down) {
    SetLastError(e);
    pc_os_error_text(os, sizeof os);
  }
  pc__qsink_outage(b, PC_EIO, "eventlog: cannot report an event: %s", os);
  return PC_EAGAIN;
}

static size_t ev_encode(pc__qsink *b, const pc_finding *f, char *buf, size_t cap) {
  (void)b;
  return pc_eventlog_encode_finding(f, buf, cap);
}

static pc_err ev_init(pc__qsink *b) {
  evsink *s = (evsink *)b;
  s->api = b->opts.eventlog_api ? b->opts.eventlog_api : &pc_eventlog_api_system;
  s->h = s->api->register_source(NULL, SOURCE_W);
  if (!s->h) {
    char os[160];
    pc_os_error_text(os, sizeof os);
    pc__diag(b->diag, b->ud, PC_EIO, "eventlog: cannot open the event source '%s': %s", PC_EVENTLOG_SOURCE,
             os);
    return PC_EIO;
  }
  if (!b->opts.eventlog_api && !pc_eventlog_source_registered(SOURCE_W))
    pc__diag(b->diag, b->ud, PC_OK,
             "eventlog: note: the event source '%s' is not registered, so Event Viewer shows the events "
             "without their text; install the MSI or run 'portclash service install' (elevated)",
             PC_EVENTLOG_SOURCE);
  return PC_OK;
}

static void ev_fini(pc__qsink *b) {
  evsink *s = (evsink *)b;
  if (s->h) s->api->deregister_source(s->h);
}

static const pc__transport ev_transport = {sizeof(evsink), ev_init, ev_encode, ev_deliver, NULL, ev_fini};

PC__QSINK_DEFINE(pc_sink_eventlog_ops, "eventlog", ev_transport);
