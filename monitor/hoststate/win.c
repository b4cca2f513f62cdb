/* The live Windows host-state back end: IP Helper tables, process and service APIs, and the
 * output of netsh for the port ranges.
 *
 * Ranges: Windows has no API that lists the excluded port ranges (reference/etw-facts.md
 * §5.1; the Lookup*PortReservation functions only answer for a range already known), so they
 * come from running
 *     netsh int ipv4|ipv6 show excludedportrange protocol=tcp|udp
 *     netsh int ipv4 show dynamicport tcp|udp
 * from %SystemRoot%\System32 (never from PATH), with a pipe for its output, a byte cap and a
 * time limit, and parsing the digit rows (the headers are localized) with the same parsers as
 * the offline files. When netsh is missing, fails or prints nothing usable (Wine's netsh is
 * a stub that prints nothing) the ranges are unknown, which is said once per process on
 * stderr, and the explainer makes no claim about them. pc_hoststate_refresh runs netsh again.
 *
 * Owners: GetExtendedTcpTable (TCP_TABLE_OWNER_PID_ALL) and GetExtendedUdpTable
 * (UDP_TABLE_OWNER_PID) for AF_INET and AF_INET6. The port in the rows is in network byte
 * order in the low 16 bits of a DWORD (MIB_TCPROW_OWNER_PID, Microsoft docs). Gaps, from the
 * same docs and etw-facts.md §6: TIME_WAIT rows have PID 0, and TCP sockets that are bound
 * but neither listening nor connected are not listed at all (the test bind of `explain`
 * catches those). PID 4 is the kernel (System): HTTP.sys, SMB, WinNAT. A table is kept for
 * CACHE_TTL_MS, so a burst of failures fetches it once; refresh drops the cache.
 *
 * HTTP.sys: a PID 4 listener is named by `netsh http show servicestate view=requestq
 * verbose=no` (request queues, their processes and URLs) and `netsh http show urlacl`
 * (reservations), run at each refresh and parsed by shape (pc_netsh_http_parse), so
 * pc_hoststate_enrich can fill owner_url / owner_queue / owner_service.
 *
 * Processes: OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION) + QueryFullProcessImageNameW for
 * the image path (UTF-8 out) and the token's user; processes that cannot be opened (other
 * users' without elevation, protected ones) still get their image name from a Toolhelp
 * snapshot. Services hosted by a PID come from EnumServicesStatusExW (SERVICE_WIN32, active,
 * SERVICE_STATUS_PROCESS.dwProcessId), joined with ',' like tasklist /svc, cached like the
 * tables. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h must come before windows.h, and windows.h before the rest */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <tlhelp32.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_vec.h"
#include "win_util.h"

#define CACHE_TTL_MS 1000
#define NETSH_TIMEOUT_MS 10000
#define NETSH_MAX_BYTES (1u << 20) /* real output is a few hundred bytes */
#define TABLE_TRIES 8              /* the table may grow between the size query and the read */

typedef struct table_cache {
  void *buf; /* the MIB_*TABLE_OWNER_PID as returned */
  ULONGLONG at_ms;
  bool valid;
} table_cache;

/* What the slow tools say: ranges (netsh int), HTTP.sys (netsh http) and the TCP sockets of
 * `netstat -qno` (for the bound ones the IP Helper tables do not list). */
typedef struct ranges_snap {
  pc_port_range *excl; /* handed to the handle when installed */
  size_t n_excl;
  pc_dynamic_range *dyn; /* likewise */
  size_t n_dyn;
  bool excl_ok;
  pc_http_reg *http;
  size_t n_http;
  pc_owner_row *qrows;
  size_t n_qrows;
  uint64_t taken_ms; /* the schedule's clock when it was started */
  char why[PC_HOSTSTATE_ERR_MAX];
  bool nomem;
} ranges_snap;

/* The IP Helper tables and the service list, read by the worker in background mode. */
typedef struct tables_snap {
  void *buf[4]; /* tcp4, tcp6, udp4, udp6; NULL when that family failed or has no stack */
  ENUM_SERVICE_STATUS_PROCESSW *services;
  DWORD n_services;
} tables_snap;

typedef struct win_hs {
  table_cache tables[4]; /* tcp4, tcp6, udp4, udp6 (on-demand mode) */
  ENUM_SERVICE_STATUS_PROCESSW *services;
  DWORD n_services;
  ULONGLONG services_at_ms;
  bool services_valid;
  ranges_snap *cur;        /* installed: http and qrows are read from here */
  tables_snap *cur_tables; /* installed (background mode) */

  /* Background mode: the worker fills pending / pending_tables, the consumer installs them. */
  bool bg;
  pc_hoststate_bg_options o;
  HANDLE thread, wake;
  SRWLOCK lock;
  ranges_snap *pending;        /* under lock */
  tables_snap *pending_tables; /* under lock */
  bool requested, stop;        /* under lock */
  volatile LONG tables_wanted; /* the consumer looked up sockets since the last table read */
  uint64_t last_start_ms;      /* worker only */
} win_hs;

/* ---- small helpers ------------------------------------------------------------------------ */

static void copy_trunc(char *dst, size_t cap, const char *src) {
  size_t l = strlen(src);
  if (l >= cap) l = cap - 1;
  memcpy(dst, src, l);
  dst[l] = '\0';
}

/* UTF-16 -> UTF-8 into dst (cut to fit, always terminated). */
static void narrow(char *dst, size_t cap, const wchar_t *src) {
  if (cap == 0) return;
  int n = WideCharToMultiByte(CP_UTF8, 0, src, -1, dst, (int)cap, NULL, NULL);
  if (n <= 0) {
    /* Too long for dst: convert into a big buffer and cut at a character boundary. */
    char big[4 * PC_PATH_MAX];
    n = WideCharToMultiByte(CP_UTF8, 0, src, -1, big, (int)sizeof big, NULL, NULL);
    if (n <= 0) {
      dst[0] = '\0';
      return;
    }
    size_t l = cap - 1;
    while (l > 0 && (big[l] & 0xC0) == 0x80) l--;
    memcpy(dst, big, l);
    dst[l] = '\0';
  }
}

/* ---- netsh, netstat ------------------------------------------------------------------------- */

static pc_hoststate_tool_fn g_tool;
static void *g_tool_ctx;
/* Set by a closing handle: a tool still running is terminated at once. */
static volatile LONG g_cancel;

void pc__hoststate_set_tool_runner(pc_hoststate_tool_fn fn, void *ctx) {
  g_tool = fn;
  g_tool_ctx = ctx;
}

static char *run_exe(const wchar_t *exe, const wchar_t *args, size_t *len);

/* Runs tool ("netsh" or "netstat") with args through the test hook or for real. */
static char *run_tool(const wchar_t *tool, const wchar_t *args, size_t *len) {
  if (g_tool) {
    char t[32], a[256];
    narrow(t, sizeof t, tool);
    narrow(a, sizeof a, args);
    return g_tool(g_tool_ctx, t, a, len);
  }
  return run_exe(tool, args, len);
}

static char *run_netsh(const wchar_t *args, size_t *len) {
  return run_tool(L"netsh", args, len);
}

/* Runs "%SystemRoot%\System32\EXE.exe ARGS" and returns its standard output (and error) in a
 * new buffer, at most NETSH_MAX_BYTES, within NETSH_TIMEOUT_MS. NULL when it cannot be run,
 * times out or is cancelled (it is then terminated), exits with a non-zero status or prints
 * nothing. */
static char *run_exe(const wchar_t *exe, const wchar_t *args, size_t *len) {
  wchar_t sysdir[MAX_PATH];
  UINT sl = GetSystemDirectoryW(sysdir, MAX_PATH);
  if (sl == 0 || sl >= MAX_PATH) return NULL;
  wchar_t cmd[MAX_PATH + 128];
  /* The quoted absolute path as argv[0]: CreateProcessW with lpApplicationName set does not
   * search PATH or the current directory. */
  _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\\%ls.exe\" %ls", sysdir, exe, args);
  cmd[sizeof cmd / sizeof cmd[0] - 1] = L'\0';
  wchar_t app[MAX_PATH + 16];
  _snwprintf(app, sizeof app / sizeof app[0], L"%ls\\%ls.exe", sysdir, exe);
  app[sizeof app / sizeof app[0] - 1] = L'\0';

  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE rd = NULL, wr = NULL;
  if (!CreatePipe(&rd, &wr, &sa, 0)) return NULL;
  /* Only the child's end is inherited. */
  SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
  HANDLE nul =
      CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);

  PROCESS_INFORMATION pi;
  bool ok = pc_win_spawn(app, cmd, 0, nul, wr, &pi);
  /* Our copy of the write end must go, or the pipe never reports the end of the output. */
  CloseHandle(wr);
  if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
  if (!ok) {
    CloseHandle(rd);
    return NULL;
  }
  CloseHandle(pi.hThread);

  /* Polls the pipe instead of a blocking ReadFile so that a hung netsh cannot hold us past
   * the deadline (anonymous pipes have no timeouts). */
  size_t cap = 0, n = 0;
  char *buf = NULL;
  ULONGLONG deadline = GetTickCount64() + NETSH_TIMEOUT_MS;
  bool failed = false, done = false;
  while (!failed && !done) {
    DWORD avail = 0;
    if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL)) {
      done = true; /* ERROR_BROKEN_PIPE: netsh (and anything it started) closed its end */
      break;
    }
    if (avail == 0) {
      if (GetTickCount64() >= deadline || g_cancel) {
        failed = true;
        break;
      }
      /* Wakes when netsh exits; the pipe is checked once more for what it wrote last. */
      if (WaitForSingleObject(pi.hProcess, 10) == WAIT_OBJECT_0) {
        if (PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL) && avail > 0) continue;
        done = true;
      }
      continue;
    }
    /* Room for what is waiting and the NUL; more than NETSH_MAX_BYTES of output fails. */
    if (pc_vec_reserve((void **)&buf, &cap, n + avail + 1, 1, NETSH_MAX_BYTES + 1) != PC_OK) {
      failed = true;
      break;
    }
    DWORD got = 0;
    if (!ReadFile(rd, buf + n, avail, &got, NULL)) {
      done = true;
      break;
    }
    n += got;
  }
  DWORD code = 1;
  if (failed || WaitForSingleObject(pi.hProcess, 2000) != WAIT_OBJECT_0) {
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, 2000);
    failed = true;
  } else if (!GetExitCodeProcess(pi.hProcess, &code) || code != 0) {
    failed = true;
  }
  CloseHandle(pi.hProcess);
  CloseHandle(rd);
  if (failed || n == 0) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static void ranges_snap_free(ranges_snap *r) {
  if (!r) return;
  free(r->excl);
  free(r->dyn);
  free(r->http);
  free(r->qrows);
  free(r);
}

/* Runs the slow tools: netsh for the ranges and HTTP.sys, netstat -qno for bound TCP sockets.
 * Any thread; touches no handle. NULL only when out of memory before anything was read. */
static ranges_snap *read_ranges(void) {
  ranges_snap *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  static const struct {
    const wchar_t *args;
    uint8_t proto, family;
    bool dynamic;
  } runs[] = {
      {L"int ipv4 show excludedportrange protocol=tcp", PC_PROTO_TCP, PC_AF_INET, false},
      {L"int ipv4 show excludedportrange protocol=udp", PC_PROTO_UDP, PC_AF_INET, false},
      {L"int ipv6 show excludedportrange protocol=tcp", PC_PROTO_TCP, PC_AF_INET6, false},
      {L"int ipv6 show excludedportrange protocol=udp", PC_PROTO_UDP, PC_AF_INET6, false},
      /* Windows keeps the IPv6 dynamic range equal to the IPv4 one unless changed by hand;
       * pc_hoststate_find_dynamic falls back to the IPv4 range for IPv6 queries. */
      {L"int ipv4 show dynamicport tcp", PC_PROTO_TCP, PC_AF_INET, true},
      {L"int ipv4 show dynamicport udp", PC_PROTO_UDP, PC_AF_INET, true},
  };
  r->excl_ok = true;
  for (size_t i = 0; i < sizeof runs / sizeof runs[0] && !r->nomem; i++) {
    size_t len = 0;
    char *out = run_netsh(runs[i].args, &len);
    char origin[96], err[PC_HOSTSTATE_ERR_MAX];
    snprintf(origin, sizeof origin, "netsh %ls", runs[i].args);
    if (!out) {
      if (!r->why[0]) snprintf(r->why, sizeof r->why, "%s: no output", origin);
      if (!runs[i].dynamic) r->excl_ok = false;
      continue;
    }
    void *rows = NULL;
    size_t n = 0;
    int rc = runs[i].dynamic ? pc_netsh_parse_dynamic(out, len, origin, runs[i].proto, runs[i].family,
                                                      (pc_dynamic_range **)&rows, &n, err, sizeof err)
                             : pc_netsh_parse_excluded(out, len, origin, runs[i].proto, runs[i].family,
                                                       (pc_port_range **)&rows, &n, err, sizeof err);
    free(out);
    if (rc == PC_ENOMEM) {
      r->nomem = true;
      break;
    }
    if (rc != PC_OK) {
      if (!r->why[0]) snprintf(r->why, sizeof r->why, "%s", err);
      if (!runs[i].dynamic) r->excl_ok = false;
      continue;
    }
    bool ok =
        (runs[i].dynamic ? pc_vec_append((void **)&r->dyn, &r->n_dyn, rows, n, sizeof *r->dyn)
                         : pc_vec_append((void **)&r->excl, &r->n_excl, rows, n, sizeof *r->excl)) == PC_OK;
    if (!ok) r->nomem = true;
  }
  /* HTTP.sys: who is behind a PID 4 listener. The request queue view with its processes, and
   * the reservations (urlacl) for URLs nobody serves yet; parsed by shape (any language). */
  static const wchar_t *const http_runs[] = {L"http show servicestate view=requestq verbose=no",
                                             L"http show urlacl"};
  for (size_t i = 0; i < sizeof http_runs / sizeof http_runs[0] && !r->nomem; i++) {
    size_t len = 0;
    char *out = run_netsh(http_runs[i], &len);
    if (!out) continue; /* no HTTP.sys information: the rules stay generic (C06) */
    char origin[96], err[PC_HOSTSTATE_ERR_MAX];
    snprintf(origin, sizeof origin, "netsh %ls", http_runs[i]);
    pc_http_reg *rows = NULL;
    size_t n = 0;
    if (pc_netsh_http_parse(out, len, origin, &rows, &n, err, sizeof err) == PC_OK &&
        pc_vec_append((void **)&r->http, &r->n_http, rows, n, sizeof *r->http) != PC_OK)
      r->nomem = true;
    free(out);
  }
  /* TCP sockets that are bound but neither listening nor connected are not in
   * GetExtendedTcpTable, yet they block a bind (etw-facts.md section 6): netstat -q lists them. */
  static const wchar_t *const q_runs[] = {L"-qno -p TCP", L"-qno -p TCPv6"};
  for (size_t i = 0; i < sizeof q_runs / sizeof q_runs[0] && !r->nomem; i++) {
    size_t len = 0;
    char *out = run_tool(L"netstat", q_runs[i], &len);
    if (!out) continue;
    char err[PC_HOSTSTATE_ERR_MAX];
    pc_owner_row *rows = NULL;
    size_t n = 0, keep = 0;
    if (pc_netstat_parse(out, len, "netstat -qno", &rows, &n, err, sizeof err) == PC_OK) {
      /* Only what may be a bound socket: BOUND in English, and rows whose state word is not
       * known (the parser calls those LISTEN when the foreign address is the wildcard);
       * win_sockets keeps the latter only where the table has no listener. */
      for (size_t k = 0; k < n; k++)
        if (rows[k].proto == PC_PROTO_TCP &&
            (rows[k].state == PC_OWNER_STATE_BOUND || rows[k].state == PC_OWNER_STATE_LISTEN))
          rows[keep++] = rows[k];
      if (pc_vec_append((void **)&r->qrows, &r->n_qrows, rows, keep, sizeof *r->qrows) != PC_OK)
        r->nomem = true;
    }
    free(out);
  }
  return r;
}

/* Makes r the installed snapshot: the ranges go to the handle, the rest stays in r. */
static int install_ranges(pc_hoststate *hs, win_hs *w, ranges_snap *r) {
  if (r->nomem) {
    ranges_snap_free(r);
    return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  }
  if (r->why[0]) {
    /* Once per process: `monitor` refreshes on every reservation event. */
    static LONG said;
    if (InterlockedExchange(&said, 1) == 0)
      fprintf(stderr,
              "portclash: note: the port ranges are unknown (%s); nothing is said about excluded%s ranges\n",
              r->why, r->n_dyn ? "" : " or dynamic");
  }
  pc__hoststate_set_ranges(hs, r->excl, r->n_excl, r->dyn, r->n_dyn, false, 0);
  pc__hoststate_set_known(hs, r->excl_ok, true);
  r->excl = NULL;
  r->dyn = NULL;
  ranges_snap_free(w->cur);
  w->cur = r;
  return PC_OK;
}

static void tables_snap_free(tables_snap *t) {
  if (!t) return;
  for (int i = 0; i < 4; i++) free(t->buf[i]);
  free(t->services);
  free(t);
}

static uint64_t bg_now(const win_hs *w) {
  return w->o.now_ms ? w->o.now_ms(w->o.clock_ctx) : (uint64_t)GetTickCount64();
}

/* Background mode: installs what the worker finished (never waits for it). */
static void install_pending(pc_hoststate *hs, win_hs *w) {
  if (!w->bg) return;
  AcquireSRWLockExclusive(&w->lock);
  ranges_snap *r = w->pending;
  tables_snap *t = w->pending_tables;
  w->pending = NULL;
  w->pending_tables = NULL;
  ReleaseSRWLockExclusive(&w->lock);
  if (t) {
    tables_snap_free(w->cur_tables);
    w->cur_tables = t;
  }
  if (r) install_ranges(hs, w, r);
}

static int win_refresh(pc_hoststate *hs, void *impl) {
  win_hs *w = impl;
  if (w->bg) {
    /* Never waits: installs a finished snapshot, or asks the worker for one now (a reservation
     * event) unless the installed one was started less than a second ago. */
    AcquireSRWLockExclusive(&w->lock);
    bool have = w->pending != NULL;
    ReleaseSRWLockExclusive(&w->lock);
    if (have) {
      install_pending(hs, w);
      return PC_OK;
    }
    if (!w->cur || bg_now(w) - w->cur->taken_ms >= 1000) {
      AcquireSRWLockExclusive(&w->lock);
      w->requested = true;
      ReleaseSRWLockExclusive(&w->lock);
      SetEvent(w->wake);
    }
    return PC_OK;
  }
  for (int i = 0; i < 4; i++) w->tables[i].valid = false;
  w->services_valid = false;
  ranges_snap *r = read_ranges();
  if (!r) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  return install_ranges(hs, w, r);
}

/* ---- sockets -------------------------------------------------------------------------------- */

static uint8_t tcp_state(DWORD st) {
  switch (st) {
    case MIB_TCP_STATE_LISTEN:
      return PC_OWNER_STATE_LISTEN;
    case MIB_TCP_STATE_ESTAB:
      return PC_OWNER_STATE_ESTABLISHED;
    case MIB_TCP_STATE_TIME_WAIT:
      return PC_OWNER_STATE_TIME_WAIT;
    case MIB_TCP_STATE_CLOSE_WAIT:
      return PC_OWNER_STATE_CLOSE_WAIT;
    default:
      return PC_OWNER_STATE_OTHER;
  }
}

/* Reads table i: 0 tcp4, 1 tcp6, 2 udp4, 3 udp6, into *out (malloc'ed; NULL when the family
 * has no stack). Any thread. PC_OK, PC_ENOMEM, or PC_EIO with *os_err set. */
static int fetch_table(int i, void **out, DWORD *os_err) {
  *out = NULL;
  ULONG af = i % 2 ? AF_INET6 : AF_INET;
  DWORD size = 0, rc = ERROR_INSUFFICIENT_BUFFER;
  void *buf = NULL;
  for (int tries = 0; tries < TABLE_TRIES && rc == ERROR_INSUFFICIENT_BUFFER; tries++) {
    rc = i < 2 ? GetExtendedTcpTable(buf, &size, FALSE, af, TCP_TABLE_OWNER_PID_ALL, 0)
               : GetExtendedUdpTable(buf, &size, FALSE, af, UDP_TABLE_OWNER_PID, 0);
    if (rc == ERROR_INSUFFICIENT_BUFFER) {
      free(buf);
      size += size / 4 + 1024; /* room for sockets opened meanwhile */
      buf = malloc(size);
      if (!buf) return PC_ENOMEM;
    }
  }
  if (rc != NO_ERROR) {
    free(buf);
    /* No IPv6 stack: an empty answer for that family, not an error. */
    if (af == AF_INET6 && (rc == ERROR_NOT_SUPPORTED || rc == ERROR_INVALID_PARAMETER)) return PC_OK;
    *os_err = rc;
    return PC_EIO;
  }
  *out = buf;
  return PC_OK;
}

/* Table i for a lookup: in background mode the worker's newest copy (never a call to IP
 * Helper here), otherwise fetched, or reused within CACHE_TTL_MS. PC_OK with *out NULL when the
 * family has no stack (no IPv6); an error is recorded in the handle. */
static int get_table(pc_hoststate *hs, win_hs *w, int i, const void **out) {
  *out = NULL;
  if (w->bg) {
    InterlockedExchange(&w->tables_wanted, 1);
    if (w->cur_tables) *out = w->cur_tables->buf[i];
    return PC_OK;
  }
  table_cache *c = &w->tables[i];
  ULONGLONG now = GetTickCount64();
  if (c->valid && now - c->at_ms < CACHE_TTL_MS) {
    *out = c->buf;
    return PC_OK;
  }
  void *buf = NULL;
  DWORD os_err = 0;
  int rc = fetch_table(i, &buf, &os_err);
  if (rc == PC_ENOMEM) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  if (rc != PC_OK)
    return pc__hoststate_fail(hs, PC_EIO, "%s (IPv%d) failed: error %lu",
                              i < 2 ? "GetExtendedTcpTable" : "GetExtendedUdpTable", i % 2 ? 6 : 4,
                              (unsigned long)os_err);
  free(c->buf);
  c->buf = buf;
  c->at_ms = now;
  c->valid = true;
  *out = buf;
  return PC_OK;
}

static void set_v4(pc_addr *a, DWORD addr_be, DWORD port_dw) {
  memset(a, 0, sizeof *a);
  a->family = PC_AF_INET;
  memcpy(a->bytes, &addr_be, 4); /* already in network byte order */
  a->port = ntohs((u_short)(port_dw & 0xFFFF));
}

static void set_v6(pc_addr *a, const UCHAR bytes[16], DWORD scope, DWORD port_dw) {
  memset(a, 0, sizeof *a);
  a->family = PC_AF_INET6;
  memcpy(a->bytes, bytes, 16);
  a->scope_id = scope;
  a->port = ntohs((u_short)(port_dw & 0xFFFF));
}

static bool same_endpoint(const pc_addr *a, const pc_addr *b) {
  return a->family == b->family && a->port == b->port && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static int win_sockets(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows,
                       size_t cap, size_t *n) {
  win_hs *w = impl;
  *n = 0;
  install_pending(hs, w);
  int base = proto == PC_PROTO_UDP ? 2 : 0;
  for (int fam = 0; fam < 2; fam++) {
    const void *t;
    int rc = get_table(hs, w, base + fam, &t);
    if (rc != PC_OK) return rc;
    if (!t) continue;
    pc_owner_row r;
    if (proto != PC_PROTO_UDP && fam == 0) {
      const MIB_TCPTABLE_OWNER_PID *tt = t;
      for (DWORD i = 0; i < tt->dwNumEntries; i++) {
        const MIB_TCPROW_OWNER_PID *x = &tt->table[i];
        if (ntohs((u_short)(x->dwLocalPort & 0xFFFF)) != port) continue;
        memset(&r, 0, sizeof r);
        r.proto = PC_PROTO_TCP;
        set_v4(&r.local, x->dwLocalAddr, x->dwLocalPort);
        set_v4(&r.remote, x->dwRemoteAddr, x->dwRemotePort);
        r.state = tcp_state(x->dwState);
        r.pid = x->dwOwningPid;
        pc__hoststate_keep_row(rows, cap, n, &r);
      }
    } else if (proto != PC_PROTO_UDP) {
      const MIB_TCP6TABLE_OWNER_PID *tt = t;
      for (DWORD i = 0; i < tt->dwNumEntries; i++) {
        const MIB_TCP6ROW_OWNER_PID *x = &tt->table[i];
        if (ntohs((u_short)(x->dwLocalPort & 0xFFFF)) != port) continue;
        memset(&r, 0, sizeof r);
        r.proto = PC_PROTO_TCP;
        set_v6(&r.local, x->ucLocalAddr, x->dwLocalScopeId, x->dwLocalPort);
        set_v6(&r.remote, x->ucRemoteAddr, x->dwRemoteScopeId, x->dwRemotePort);
        r.state = tcp_state(x->dwState);
        r.pid = x->dwOwningPid;
        pc__hoststate_keep_row(rows, cap, n, &r);
      }
    } else if (fam == 0) {
      const MIB_UDPTABLE_OWNER_PID *ut = t;
      for (DWORD i = 0; i < ut->dwNumEntries; i++) {
        const MIB_UDPROW_OWNER_PID *x = &ut->table[i];
        if (ntohs((u_short)(x->dwLocalPort & 0xFFFF)) != port) continue;
        memset(&r, 0, sizeof r);
        r.proto = PC_PROTO_UDP;
        set_v4(&r.local, x->dwLocalAddr, x->dwLocalPort);
        r.state = PC_OWNER_STATE_UDP;
        r.pid = x->dwOwningPid;
        pc__hoststate_keep_row(rows, cap, n, &r);
      }
    } else {
      const MIB_UDP6TABLE_OWNER_PID *ut = t;
      for (DWORD i = 0; i < ut->dwNumEntries; i++) {
        const MIB_UDP6ROW_OWNER_PID *x = &ut->table[i];
        if (ntohs((u_short)(x->dwLocalPort & 0xFFFF)) != port) continue;
        memset(&r, 0, sizeof r);
        r.proto = PC_PROTO_UDP;
        set_v6(&r.local, x->ucLocalAddr, x->dwLocalScopeId, x->dwLocalPort);
        r.state = PC_OWNER_STATE_UDP;
        r.pid = x->dwOwningPid;
        pc__hoststate_keep_row(rows, cap, n, &r);
      }
    }
  }
  /* Bound TCP sockets from netstat -qno: BOUND rows, and rows the table has no listener for
   * (a translated state word the parser did not know). Both block a bind like a listener. */
  if (proto != PC_PROTO_UDP && w->cur) {
    size_t table_rows = *n < cap ? *n : cap;
    for (size_t i = 0; i < w->cur->n_qrows; i++) {
      const pc_owner_row *q = &w->cur->qrows[i];
      if (q->local.port != port) continue;
      bool listed = false;
      for (size_t k = 0; k < table_rows && !listed; k++)
        listed = rows[k].proto == PC_PROTO_TCP && same_endpoint(&rows[k].local, &q->local) &&
                 (rows[k].state == PC_OWNER_STATE_LISTEN || q->state == PC_OWNER_STATE_LISTEN);
      if (listed) continue;
      pc_owner_row b = *q;
      b.state = PC_OWNER_STATE_BOUND;
      pc__hoststate_keep_row(rows, cap, n, &b);
    }
  }
  return PC_OK;
}

/* ---- processes ------------------------------------------------------------------------------ */

/* The account of a process token as "DOMAIN\user". */
static void token_user(HANDLE proc, char *out, size_t cap) {
  HANDLE tok;
  if (!OpenProcessToken(proc, TOKEN_QUERY, &tok)) return;
  union {
    TOKEN_USER tu;
    BYTE raw[256];
  } u;
  DWORD got = 0;
  if (GetTokenInformation(tok, TokenUser, &u, sizeof u, &got)) {
    wchar_t name[128], dom[128], full[260];
    DWORD nl = 128, dl = 128;
    SID_NAME_USE use;
    if (LookupAccountSidW(NULL, u.tu.User.Sid, name, &nl, dom, &dl, &use)) {
      _snwprintf(full, 260, dl ? L"%ls\\%ls" : L"%ls%ls", dom, name);
      full[259] = L'\0';
      narrow(out, cap, full);
    }
  }
  CloseHandle(tok);
}

/* The image name from a Toolhelp snapshot: works for every process, elevated or not.
 * false when pid is not running. */
static bool snapshot_name(uint32_t pid, char *out, size_t cap) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  if (snap == INVALID_HANDLE_VALUE) return false;
  PROCESSENTRY32W pe;
  pe.dwSize = sizeof pe;
  bool found = false;
  for (BOOL more = Process32FirstW(snap, &pe); more; more = Process32NextW(snap, &pe)) {
    if (pe.th32ProcessID == pid) {
      narrow(out, cap, pe.szExeFile);
      found = true;
      break;
    }
  }
  CloseHandle(snap);
  return found;
}

/* The running Win32 services with their PIDs (EnumServicesStatusExW). Any thread. */
static void read_services(ENUM_SERVICE_STATUS_PROCESSW **out, DWORD *n) {
  *out = NULL;
  *n = 0;
  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ENUMERATE_SERVICE);
  if (!scm) return;
  DWORD need = 0, count = 0, resume = 0, size = 0;
  BYTE *buf = NULL;
  for (int tries = 0; tries < 4; tries++) {
    if (EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, buf, size, &need,
                              &count, &resume, NULL)) {
      *out = (ENUM_SERVICE_STATUS_PROCESSW *)buf;
      *n = count;
      buf = NULL;
      break;
    }
    if (GetLastError() != ERROR_MORE_DATA) break;
    free(buf);
    resume = 0;
    size = need + 4096;
    buf = malloc(size);
    if (!buf) break;
  }
  free(buf);
  CloseServiceHandle(scm);
}

/* Services of pid, "A,B" (as tasklist /svc): from the worker's list in background mode, else
 * from a list cached for CACHE_TTL_MS. */
static void services_of(win_hs *w, uint32_t pid, char *out, size_t cap) {
  const ENUM_SERVICE_STATUS_PROCESSW *list = NULL;
  DWORD count = 0;
  if (w->bg) {
    if (w->cur_tables) {
      list = w->cur_tables->services;
      count = w->cur_tables->n_services;
    }
  } else {
    ULONGLONG now = GetTickCount64();
    if (!w->services_valid || now - w->services_at_ms >= CACHE_TTL_MS) {
      free(w->services);
      read_services(&w->services, &w->n_services);
      w->services_valid = true; /* also when it fails: do not retry within the TTL */
      w->services_at_ms = now;
    }
    list = w->services;
    count = w->n_services;
  }
  size_t used = 0;
  out[0] = '\0';
  for (DWORD i = 0; i < count; i++) {
    if (list[i].ServiceStatusProcess.dwProcessId != pid) continue;
    char name[PC_NAME_MAX];
    narrow(name, sizeof name, list[i].lpServiceName);
    size_t l = strlen(name);
    /* Several services can share a svchost; the list is cut to fit, at a comma. */
    if (used + (used ? 1 : 0) + l >= cap) break;
    if (used) out[used++] = ',';
    memcpy(out + used, name, l + 1);
    used += l;
  }
}

static int win_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  win_hs *w = impl;
  memset(out, 0, sizeof *out);
  out->pid = pid;
  if (pid == 0) {
    copy_trunc(out->name, sizeof out->name, "System Idle Process");
    return PC_OK;
  }
  if (pid == 4) {
    /* The kernel: HTTP.sys, SMB, WinNAT. OpenProcess on it fails without SeDebugPrivilege. */
    copy_trunc(out->name, sizeof out->name, "System");
    copy_trunc(out->user, sizeof out->user, "NT AUTHORITY\\SYSTEM");
    return PC_OK;
  }
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (h) {
    /* Read in full (long paths reach 32767 UTF-16 units); a path longer than a fact holds
     * is stored cut and marked so, never shortened silently (a shortened path in a fix
     * names another file). The image name comes from the full path. */
    enum { WIDE_MAX = 32768, MARK_LEN = 8 };
    wchar_t *path = malloc(WIDE_MAX * sizeof *path);
    char *full = malloc(4 * WIDE_MAX);
    DWORD len = WIDE_MAX;
    if (path && full && QueryFullProcessImageNameW(h, 0, path, &len) &&
        WideCharToMultiByte(CP_UTF8, 0, path, -1, full, 4 * WIDE_MAX, NULL, NULL) > 0) {
      size_t l = strlen(full);
      if (l < sizeof out->path) {
        memcpy(out->path, full, l + 1);
      } else {
        size_t keep = sizeof out->path - MARK_LEN - 1;
        while (keep > 0 && (full[keep] & 0xC0) == 0x80) keep--;
        memcpy(out->path, full, keep);
        memcpy(out->path + keep, "...[cut]", MARK_LEN + 1);
      }
      const char *base = strrchr(full, '\\');
      copy_trunc(out->name, sizeof out->name, base ? base + 1 : full);
    }
    free(path);
    free(full);
    token_user(h, out->user, sizeof out->user);
    CloseHandle(h);
  } else if (GetLastError() == ERROR_INVALID_PARAMETER) {
    return PC_ENOENT; /* "the process does not exist" is reported as an invalid parameter */
  }
  if (!out->name[0] && !snapshot_name(pid, out->name, sizeof out->name) && !h) return PC_ENOENT;
  services_of(w, pid, out->service, sizeof out->service);
  return PC_OK;
}

/* ---- the background worker ------------------------------------------------------------------ */

static tables_snap *read_tables(void) {
  tables_snap *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  for (int i = 0; i < 4; i++) {
    DWORD os_err = 0;
    if (fetch_table(i, &t->buf[i], &os_err) != PC_OK) t->buf[i] = NULL; /* that family unknown */
  }
  read_services(&t->services, &t->n_services);
  return t;
}

/* The worker: wakes every tick (or when asked), re-reads the socket tables when a lookup used
 * them since the last read, and runs the slow tools every refresh_ms of the schedule's clock or
 * at once when asked. Results wait in pending / pending_tables until the consumer installs
 * them; an older pending result is replaced, never queued. */
static DWORD WINAPI worker(LPVOID arg) {
  win_hs *w = arg;
  for (;;) {
    WaitForSingleObject(w->wake, w->o.tick_ms);
    AcquireSRWLockExclusive(&w->lock);
    bool stop = w->stop, asked = w->requested;
    w->requested = false;
    ReleaseSRWLockExclusive(&w->lock);
    if (stop) break;
    if (InterlockedExchange(&w->tables_wanted, 0)) {
      tables_snap *t = read_tables();
      AcquireSRWLockExclusive(&w->lock);
      tables_snap_free(w->pending_tables);
      w->pending_tables = t;
      ReleaseSRWLockExclusive(&w->lock);
    }
    uint64_t now = bg_now(w);
    if (!asked && now - w->last_start_ms < w->o.refresh_ms) continue;
    w->last_start_ms = now;
    ranges_snap *r = read_ranges();
    if (!r) continue;
    r->taken_ms = now;
    AcquireSRWLockExclusive(&w->lock);
    ranges_snap_free(w->pending);
    w->pending = r;
    ReleaseSRWLockExclusive(&w->lock);
  }
  return 0;
}

static int win_start_background(pc_hoststate *hs, void *impl, const pc_hoststate_bg_options *o) {
  win_hs *w = impl;
  if (w->bg) return PC_OK;
  w->o = *o;
  if (!w->o.refresh_ms) w->o.refresh_ms = 30000;
  if (!w->o.tick_ms) w->o.tick_ms = 1000;
  InitializeSRWLock(&w->lock);
  w->wake = CreateEventW(NULL, FALSE, FALSE, NULL);
  if (!w->wake) return pc__hoststate_fail(hs, PC_EIO, "CreateEvent failed: error %lu", GetLastError());
  /* The first tables now (before events flow): lookups have something from the start. The
   * ranges were read when the handle was opened; their age counts from here. */
  w->cur_tables = read_tables();
  w->last_start_ms = bg_now(w);
  if (w->cur) w->cur->taken_ms = w->last_start_ms;
  w->bg = true;
  w->thread = CreateThread(NULL, 0, worker, w, 0, NULL);
  if (!w->thread) {
    w->bg = false;
    return pc__hoststate_fail(hs, PC_EIO, "CreateThread failed: error %lu", GetLastError());
  }
  return PC_OK;
}

static bool win_pending(void *impl) {
  win_hs *w = impl;
  if (!w->bg) return false;
  AcquireSRWLockExclusive(&w->lock);
  bool p = w->pending != NULL;
  ReleaseSRWLockExclusive(&w->lock);
  return p;
}

static bool win_snapshot_age(void *impl, uint64_t *age_ms, uint64_t *interval_ms) {
  win_hs *w = impl;
  if (!w->bg || !w->cur) return false;
  uint64_t now = bg_now(w);
  *age_ms = now > w->cur->taken_ms ? now - w->cur->taken_ms : 0;
  *interval_ms = w->o.refresh_ms;
  return true;
}

static void win_destroy(void *impl) {
  win_hs *w = impl;
  if (!w) return;
  if (w->thread) {
    AcquireSRWLockExclusive(&w->lock);
    w->stop = true;
    ReleaseSRWLockExclusive(&w->lock);
    InterlockedExchange(&g_cancel, 1); /* a netsh still running is ended */
    SetEvent(w->wake);
    if (WaitForSingleObject(w->thread, 20000) == WAIT_TIMEOUT) {
      /* Stuck in an OS call: leave it what it uses (the process is ending). */
      CloseHandle(w->thread);
      return;
    }
    CloseHandle(w->thread);
    InterlockedExchange(&g_cancel, 0);
  }
  if (w->wake) CloseHandle(w->wake);
  ranges_snap_free(w->pending);
  tables_snap_free(w->pending_tables);
  for (int i = 0; i < 4; i++) free(w->tables[i].buf);
  free(w->services);
  ranges_snap_free(w->cur);
  tables_snap_free(w->cur_tables);
  free(w);
}

static size_t win_http_regs(void *impl, const pc_http_reg **out) {
  win_hs *w = impl;
  *out = w->cur ? w->cur->http : NULL;
  return w->cur ? w->cur->n_http : 0;
}

static const pc__hoststate_ops k_win_ops = {
    .name = "windows",
    .live = true,
    .os = PC_OS_WINDOWS,
    .refresh = win_refresh,
    .sockets = win_sockets,
    .process = win_process,
    .destroy = win_destroy,
    .http_regs = win_http_regs,
    .start_background = win_start_background,
    .pending = win_pending,
    .snapshot_age = win_snapshot_age,
};

int pc_hoststate_open_live(pc_hoststate **out, char *err, size_t errcap) {
  *out = NULL;
  win_hs *w = calloc(1, sizeof *w);
  if (!w) return PC_ENOMEM;
  return pc__hoststate_create(&k_win_ops, w, out, err, errcap);
}

/* The Linux back ends by name: not in a Windows build. */
static int no_linux(pc_hoststate **out, char *err, size_t errcap) {
  *out = NULL;
  if (err && errcap) snprintf(err, errcap, "the Linux host state is not available in a Windows build");
  return PC_ENOTSUP;
}

int pc_hoststate_open_linux(pc_hoststate **out, char *err, size_t errcap) {
  return no_linux(out, err, errcap);
}

int pc_hoststate_open_linux_at(const char *proc_root, pc_hoststate **out, char *err, size_t errcap) {
  (void)proc_root;
  return no_linux(out, err, errcap);
}
