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

#include <stdatomic.h>
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
  pc_sink_options opts;
  const pc_eventlog_api *api;
  HANDLE h;
  char host[256];
  pc_sink_diag_fn diag;
  void *ud;
  pc__queue *q;
  bool down; /* writer thread only */
  _Atomic uint64_t reconnects;
} evsink;

static pc_err ev_deliver(void *ud, const char *rec, size_t len) {
  evsink *s = ud;
  pc_eventlog_event ev;
  if (pc_eventlog_decode(rec, len, &ev) != 0) return PC_EINVAL; /* cannot happen: dropped */
  DWORD e = report(s->api, s->h, &ev);
  if (e == ERROR_SUCCESS) {
    if (s->down) {
      s->down = false;
      atomic_fetch_add(&s->reconnects, 1);
      pc__diag(s->diag, s->ud, PC_OK, "eventlog: reporting again");
    }
    return PC_OK;
  }
  if (e == ERROR_INVALID_PARAMETER) return PC_EINVAL; /* this event never fits: dropped */
  if (!s->down) {
    char os[160];
    SetLastError(e);
    pc_os_error_text(os, sizeof os);
    pc__diag(s->diag, s->ud, PC_EIO, "eventlog: cannot report an event: %s (will retry)", os);
  }
  s->down = true;
  return PC_EAGAIN;
}

static size_t ev_drop_record(void *ud, uint64_t n, char *buf, size_t cap) {
  evsink *s = ud;
  pc_finding f;
  char text[160];
  pc__drop_finding(&f, &s->opts, s->host, n, pc_os_clock_now(), text, sizeof text);
  size_t len = pc_eventlog_encode_finding(&f, buf, cap);
  return len <= cap ? len : 0;
}

static const pc__queue_ops ev_queue_ops = {ev_deliver, ev_drop_record};

static void ev_close(void *state, pc_sink_stats *final);

static pc_err ev_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) {
  evsink *s = calloc(1, sizeof *s);
  if (!s) return PC_ENOMEM;
  s->opts = *opts;
  s->api = opts->eventlog_api ? opts->eventlog_api : &pc_eventlog_api_system;
  s->diag = diag;
  s->ud = ud;
  atomic_init(&s->reconnects, 0);
  if (opts->host)
    snprintf(s->host, sizeof s->host, "%s", opts->host);
  else
    pc_host_name(s->host, sizeof s->host);
  s->h = s->api->register_source(NULL, SOURCE_W);
  if (!s->h) {
    char os[160];
    pc_os_error_text(os, sizeof os);
    pc__diag(diag, ud, PC_EIO, "eventlog: cannot open the event source '%s': %s", PC_EVENTLOG_SOURCE, os);
    free(s);
    return PC_EIO;
  }
  if (!opts->eventlog_api && !pc_eventlog_source_registered(SOURCE_W))
    pc__diag(diag, ud, PC_OK,
             "eventlog: note: the event source '%s' is not registered, so Event Viewer shows the events "
             "without their text; install the MSI or run 'portclash service install' (elevated)",
             PC_EVENTLOG_SOURCE);
  pc_err err =
      pc__queue_start(&s->q, opts->queue_bytes, opts->retry_min_ms, opts->retry_max_ms, &ev_queue_ops, s);
  if (err != PC_OK) {
    ev_close(s, NULL);
    return err;
  }
  *state = s;
  return PC_OK;
}

static pc_err ev_write(void *state, const pc_finding *f) {
  evsink *s = state;
  char buf[16384];
  size_t n = pc_eventlog_encode_finding(f, buf, sizeof buf);
  bool ok;
  if (n <= sizeof buf) {
    ok = pc__queue_push(s->q, buf, n);
  } else {
    /* Rare (a long explanation and many fixes): encode again into a buffer of the right size. */
    char *big = malloc(n);
    if (big) pc_eventlog_encode_finding(f, big, n);
    ok = big && pc__queue_push(s->q, big, n);
    free(big);
  }
  return ok ? PC_OK : PC_EFULL;
}

static pc_err ev_flush(void *state, unsigned timeout_ms) {
  evsink *s = state;
  return pc__queue_flush(s->q, timeout_ms);
}

static void ev_stats(void *state, pc_sink_stats *out) {
  evsink *s = state;
  pc__queue_stats(s->q, out);
  out->reconnects = atomic_load(&s->reconnects);
}

static void ev_close(void *state, pc_sink_stats *final) {
  evsink *s = state;
  if (!s) return;
  pc__queue_stop(s->q, s->opts.drain_ms, final);
  if (final) final->reconnects = atomic_load(&s->reconnects);
  if (s->h) s->api->deregister_source(s->h);
  free(s);
}

const pc_sink_ops pc_sink_eventlog_ops = {
    .name = "eventlog",
    .open = ev_open,
    .write = ev_write,
    .flush = ev_flush,
    .stats = ev_stats,
    .close = ev_close,
};
