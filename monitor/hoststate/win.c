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
#include "pc_os.h"
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

typedef struct win_hs {
  table_cache tables[4]; /* tcp4, tcp6, udp4, udp6 */
  ENUM_SERVICE_STATUS_PROCESSW *services;
  DWORD n_services;
  ULONGLONG services_at_ms;
  bool services_valid;
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

/* ---- netsh ---------------------------------------------------------------------------------- */

/* Runs "%SystemRoot%\System32\netsh.exe ARGS" and returns its standard output (and error) in a
 * new buffer, at most NETSH_MAX_BYTES, within NETSH_TIMEOUT_MS. NULL when it cannot be run,
 * times out (it is then terminated), exits with a non-zero status or prints nothing. */
static char *run_netsh(const wchar_t *args, size_t *len) {
  wchar_t sysdir[MAX_PATH];
  UINT sl = GetSystemDirectoryW(sysdir, MAX_PATH);
  if (sl == 0 || sl >= MAX_PATH) return NULL;
  wchar_t cmd[MAX_PATH + 128];
  /* The quoted absolute path as argv[0]: CreateProcessW with lpApplicationName set does not
   * search PATH or the current directory. */
  _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\\netsh.exe\" %ls", sysdir, args);
  cmd[sizeof cmd / sizeof cmd[0] - 1] = L'\0';
  wchar_t app[MAX_PATH + 16];
  _snwprintf(app, sizeof app / sizeof app[0], L"%ls\\netsh.exe", sysdir);
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
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  ULONGLONG deadline = GetTickCount64() + NETSH_TIMEOUT_MS;
  bool failed = buf == NULL, done = false;
  while (!failed && !done) {
    DWORD avail = 0;
    if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL)) {
      done = true; /* ERROR_BROKEN_PIPE: netsh (and anything it started) closed its end */
      break;
    }
    if (avail == 0) {
      if (GetTickCount64() >= deadline) {
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
    if (n + avail > NETSH_MAX_BYTES) {
      failed = true;
      break;
    }
    if (n + avail > cap) {
      size_t ncap = cap;
      while (ncap < n + avail) ncap *= 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        failed = true;
        break;
      }
      buf = nb;
      cap = ncap;
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

static int win_refresh(pc_hoststate *hs, void *impl) {
  win_hs *w = impl;
  for (int i = 0; i < 4; i++) w->tables[i].valid = false;
  w->services_valid = false;

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
  pc_port_range *excl = NULL;
  pc_dynamic_range *dyn = NULL;
  size_t n_excl = 0, n_dyn = 0;
  bool excl_ok = true;
  char why[PC_HOSTSTATE_ERR_MAX] = "";
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    size_t len = 0;
    char *out = run_netsh(runs[i].args, &len);
    char origin[96], err[PC_HOSTSTATE_ERR_MAX];
    snprintf(origin, sizeof origin, "netsh %ls", runs[i].args);
    if (!out) {
      if (!why[0]) snprintf(why, sizeof why, "%s: no output", origin);
      if (!runs[i].dynamic) excl_ok = false;
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
      free(excl);
      free(dyn);
      return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
    }
    if (rc != PC_OK) {
      if (!why[0]) snprintf(why, sizeof why, "%s", err);
      if (!runs[i].dynamic) excl_ok = false;
      continue;
    }
    bool ok = (runs[i].dynamic ? pc_vec_append((void **)&dyn, &n_dyn, rows, n, sizeof *dyn)
                               : pc_vec_append((void **)&excl, &n_excl, rows, n, sizeof *excl)) == PC_OK;
    if (!ok) {
      free(excl);
      free(dyn);
      return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
    }
  }
  if (why[0]) {
    /* Once per process: `monitor` refreshes on every reservation event. */
    static LONG said;
    if (InterlockedExchange(&said, 1) == 0)
      fprintf(stderr,
              "portclash: note: the port ranges are unknown (%s); nothing is said about excluded%s ranges\n",
              why, n_dyn ? "" : " or dynamic");
  }
  pc__hoststate_set_ranges(hs, excl, n_excl, dyn, n_dyn, false, 0);
  pc__hoststate_set_known(hs, excl_ok, true);
  return PC_OK;
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

/* Fetches (or reuses) table i: 0 tcp4, 1 tcp6, 2 udp4, 3 udp6. PC_OK with *out NULL when the
 * family has no stack (no IPv6); an error is recorded in the handle. */
static int get_table(pc_hoststate *hs, win_hs *w, int i, const void **out) {
  table_cache *c = &w->tables[i];
  ULONGLONG now = GetTickCount64();
  *out = NULL;
  if (c->valid && now - c->at_ms < CACHE_TTL_MS) {
    *out = c->buf;
    return PC_OK;
  }
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
      if (!buf) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
    }
  }
  if (rc != NO_ERROR) {
    free(buf);
    /* No IPv6 stack: an empty answer for that family, not an error. */
    if (af == AF_INET6 && (rc == ERROR_NOT_SUPPORTED || rc == ERROR_INVALID_PARAMETER)) return PC_OK;
    return pc__hoststate_fail(hs, PC_EIO, "%s (IPv%d) failed: error %lu",
                              i < 2 ? "GetExtendedTcpTable" : "GetExtendedUdpTable", af == AF_INET6 ? 6 : 4,
                              (unsigned long)rc);
  }
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

static int win_sockets(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows,
                       size_t cap, size_t *n) {
  win_hs *w = impl;
  *n = 0;
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

/* Services of pid, "A,B" (as tasklist /svc), from a cached EnumServicesStatusExW list. */
static void services_of(win_hs *w, uint32_t pid, char *out, size_t cap) {
  ULONGLONG now = GetTickCount64();
  if (!w->services_valid || now - w->services_at_ms >= CACHE_TTL_MS) {
    free(w->services);
    w->services = NULL;
    w->n_services = 0;
    w->services_valid = true; /* also when it fails: do not retry within the TTL */
    w->services_at_ms = now;
    SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ENUMERATE_SERVICE);
    if (!scm) return;
    DWORD need = 0, count = 0, resume = 0, size = 0;
    BYTE *buf = NULL;
    for (int tries = 0; tries < 4; tries++) {
      if (EnumServicesStatusExW(scm, SC_ENUM_PROCESS_INFO, SERVICE_WIN32, SERVICE_ACTIVE, buf, size, &need,
                                &count, &resume, NULL)) {
        w->services = (ENUM_SERVICE_STATUS_PROCESSW *)buf;
        w->n_services = count;
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
  size_t used = 0;
  out[0] = '\0';
  for (DWORD i = 0; i < w->n_services; i++) {
    if (w->services[i].ServiceStatusProcess.dwProcessId != pid) continue;
    char name[PC_NAME_MAX];
    narrow(name, sizeof name, w->services[i].lpServiceName);
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

/* ---- test bind ------------------------------------------------------------------------------ */

static int win_test_bind(pc_hoststate *hs, void *impl, uint8_t proto, const pc_addr *addr, bool reuseaddr,
                         int *os_error, const char **stage) {
  (void)impl;
  if (pc_os_test_bind(proto, addr, reuseaddr, os_error, stage) != PC_OK)
    return pc__hoststate_fail(hs, PC_EINVAL, "test bind: no address family");
  return PC_OK;
}

static void win_destroy(void *impl) {
  win_hs *w = impl;
  if (!w) return;
  for (int i = 0; i < 4; i++) free(w->tables[i].buf);
  free(w->services);
  free(w);
}

static const pc__hoststate_ops k_win_ops = {
    .name = "windows",
    .live = true,
    .os = PC_OS_WINDOWS,
    .refresh = win_refresh,
    .sockets = win_sockets,
    .process = win_process,
    .test_bind = win_test_bind,
    .destroy = win_destroy,
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
