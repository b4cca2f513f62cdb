/* selftest-win.c - `portclash selftest` on Windows: the monitor's ETW source, started in this
 * process, and the failures Windows gives for its own sockets on loopback ports it picks:
 * two plain binds (TCP and UDP), the sharing cells of Microsoft's tables
 * (shared/reference/etw-facts.md section 4.1 and 4.3), dual-stack [::] against an IPv4 holder,
 * an excluded port, and a successful bind that must stay silent.
 *
 * The holders are sockets of this process (the case's holder PID is ours): Windows decides
 * sharing by the sockets' options and accounts, and one account holds both here, so the
 * same-user column of the tables applies. Holders on the wildcard address are bound but never
 * listen, so Windows Firewall should have nothing to ask about (inferred: it asks when a
 * program listens beyond loopback).
 *
 * The excluded port: a one-port range added with netsh (store=active, gone at the next boot
 * at the latest) on a port that was just free, removed again on every path: at the end, after
 * Ctrl+C (the main thread cleans up), and on console close, logoff and shutdown, where the
 * process ends once the console handlers return (pc__selftest_win_ctrl removes it there,
 * within the 5 s Windows allows them, as long as netsh answers in time). A
 * crash of the process leaves it until the next boot (store=active) or until `netsh int ipv4
 * delete excludedportrange protocol=tcp startport=PORT numberofports=1 store=active`; a
 * failed removal prints that command.
 *
 * What the cases expect of Windows is inferred from Microsoft's tables and Wine's conformance
 * tests that run on Windows; this file has not been run on Windows. A case whose bind does not
 * fail the way the tables say is skipped with both results, so a difference shows in the
 * report instead of failing a check that would test the wrong thing. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h must come before windows.h */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "etw.h"
#include "etw_open-win.h"
#include "pc_errnames.h"
#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_os.h"
#include "selftest-win.h"
#include "win_util.h"

#define MAX_SOCKS 16
#define NETSH_TIMEOUT_MS 15000

/* STATUS_ACCESS_DENIED style results are WSAEACCES; "in use" is WSAEADDRINUSE. */
#define E_INUSE WSAEADDRINUSE
#define E_ACCES WSAEACCES

typedef struct win_st {
  pc_selftest_win_seams seams;
  pc_etw_options etw;
  bool os_schemas;
  pc_os_version os;
  SOCKET socks[MAX_SOCKS]; /* holders and the successful bind, closed at cleanup */
  int n_socks;
  CRITICAL_SECTION lock; /* range_port: the main thread and the console handler */
  uint16_t range_port;   /* the excluded range added, 0 = none */
  bool handler_set;
  char hint[400]; /* next steps when no event arrived, naming this run's session */
} win_st;

/* The one self-test of this process, for the console control handler. */
static win_st *volatile g_st;

/* ---- netsh ------------------------------------------------------------------------------ */

static int netsh_system(void *ud, const char *args) {
  (void)ud;
  wchar_t sysdir[MAX_PATH], app[MAX_PATH + 16], cmd[MAX_PATH + 256], wargs[200];
  UINT sl = GetSystemDirectoryW(sysdir, MAX_PATH);
  if (sl == 0 || sl >= MAX_PATH || !MultiByteToWideChar(CP_UTF8, 0, args, -1, wargs, 200)) return -1;
  _snwprintf(app, sizeof app / sizeof app[0], L"%ls\\netsh.exe", sysdir);
  app[sizeof app / sizeof app[0] - 1] = L'\0';
  /* The quoted absolute path as argv[0]: CreateProcessW with lpApplicationName set does not
   * search PATH or the current directory. */
  _snwprintf(cmd, sizeof cmd / sizeof cmd[0], L"\"%ls\" %ls", app, wargs);
  cmd[sizeof cmd / sizeof cmd[0] - 1] = L'\0';
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                           OPEN_EXISTING, 0, NULL);
  if (nul == INVALID_HANDLE_VALUE) return -1;
  PROCESS_INFORMATION pi;
  bool ok = pc_win_spawn(app, cmd, 0, nul, nul, &pi);
  CloseHandle(nul);
  if (!ok) return -1;
  CloseHandle(pi.hThread);
  DWORD code = (DWORD)-1;
  if (WaitForSingleObject(pi.hProcess, NETSH_TIMEOUT_MS) != WAIT_OBJECT_0) {
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, 2000);
  } else if (!GetExitCodeProcess(pi.hProcess, &code)) {
    code = (DWORD)-1;
  }
  CloseHandle(pi.hProcess);
  return (int)code;
}

static int netsh(win_st *w, const char *args) {
  return w->seams.netsh ? w->seams.netsh(w->seams.ud, args) : netsh_system(NULL, args);
}

static void range_args(char *buf, size_t cap, const char *verb, uint16_t port) {
  snprintf(buf, cap, "int ipv4 %s excludedportrange protocol=tcp startport=%u numberofports=1 store=active",
           verb, (unsigned)port);
}

/* Removes the range this run added, once, whichever thread gets here first. */
static void remove_range(win_st *w) {
  EnterCriticalSection(&w->lock);
  uint16_t port = w->range_port;
  w->range_port = 0;
  if (port) {
    char args[160];
    range_args(args, sizeof args, "delete", port);
    int rc = netsh(w, args);
    if (rc != 0)
      fprintf(stderr,
              "portclash selftest: could not remove the excluded port %u it added (netsh exit %d); remove it "
              "with: netsh %s (it is gone after the next reboot anyway)\n",
              (unsigned)port, rc, args);
  }
  LeaveCriticalSection(&w->lock);
}

BOOL WINAPI pc__selftest_win_ctrl(DWORD type) {
  win_st *w = g_st;
  pc_selftest_interrupt();
  if (type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT) return TRUE;
  if (w) remove_range(w);
  return FALSE;
}

/* ---- sockets ---------------------------------------------------------------------------- */

static void fill_addr(pc_addr *a, const char *ip, uint16_t port) {
  memset(a, 0, sizeof *a);
  pc_addr_parse_ip(ip, a);
  a->port = port;
}

/* A socket of proto bound to *a (port 0: the system picks one, written back to a->port), with
 * opts (PC_SOCKOPT_*), IPV6_V6ONLY off when asked, and listen() for a TCP socket when asked.
 * *err = 0 or the WSA error of the step that failed. Returns the socket (INVALID_SOCKET when
 * it could not be created); the caller keeps or closes it. */
static SOCKET sock_bound(uint8_t proto, pc_addr *a, uint32_t opts, bool v6only_off, bool listens, int *err) {
  bool udp = proto == PC_PROTO_UDP;
  SOCKET s = socket(a->family == PC_AF_INET6 ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM,
                    udp ? IPPROTO_UDP : IPPROTO_TCP);
  if (s == INVALID_SOCKET) {
    *err = WSAGetLastError();
    return s;
  }
  /* netsh, started meanwhile, must not inherit the socket (it would hold the port). */
  SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
  int one = 1, zero = 0;
  if (opts & PC_SOCKOPT_REUSEADDR) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
  if (opts & PC_SOCKOPT_EXCLUSIVEADDRUSE)
    setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof one);
  if (v6only_off) setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&zero, sizeof zero);
  struct sockaddr_storage ss;
  int len = (int)pc_os_sockaddr(a, &ss, sizeof ss);
  *err = bind(s, (struct sockaddr *)&ss, len) == 0 ? 0 : WSAGetLastError();
  if (*err == 0 && a->port == 0) {
    len = sizeof ss;
    if (getsockname(s, (struct sockaddr *)&ss, &len) == 0)
      a->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
  }
  if (*err == 0 && !udp && listens && listen(s, 4) != 0) *err = WSAGetLastError();
  return s;
}

static void keep(win_st *w, SOCKET s) {
  if (s == INVALID_SOCKET) return;
  if (w->n_socks < MAX_SOCKS)
    w->socks[w->n_socks++] = s;
  else
    closesocket(s);
}

static const char *wsa_name(int e) {
  const char *n = pc_wsa_name((uint32_t)e);
  return n ? n : "?";
}

/* ---- the cases -------------------------------------------------------------------------- */

/* One sharing case: a holder (proto, address, options), then the provoked bind. */
typedef struct sharing {
  const char *name, *what;
  uint8_t proto;
  const char *holder_ip;
  uint32_t holder_opts;
  const char *ip;
  uint32_t opts;
  bool v6only_off;
  int expect_error; /* what Windows gives (etw-facts.md 4.1, 4.3) */
  const char *expect_rules;
} sharing;

/* Rules: C31 is "this process already holds the port" (WSAEADDRINUSE); C20 the WSAEACCES of
 * the sharing tables (an exclusive holder, or SO_REUSEADDR against a holder without it; the
 * same process holds both here); C24 dual-stack against IPv4. Wildcard against specific: a
 * plain wildcard bind succeeds against a specific holder and the reverse for one account, so
 * the cell that fails is a specific bind against an exclusive wildcard holder. */
static const sharing k_sharing[] = {
    {"tcp-in-use", "a second plain bind() on 127.0.0.1:PORT/tcp while a socket of this process listens there",
     PC_PROTO_TCP, "127.0.0.1", 0, "127.0.0.1", 0, false, E_INUSE, "C31"},
    {"udp-in-use", "a second plain bind() on 127.0.0.1:PORT/udp while a socket of this process holds it",
     PC_PROTO_UDP, "127.0.0.1", 0, "127.0.0.1", 0, false, E_INUSE, "C31"},
    {"exclusive-vs-reuseaddr",
     "bind() with SO_REUSEADDR on 127.0.0.1:PORT/tcp held with SO_EXCLUSIVEADDRUSE (Microsoft: WSAEACCES)",
     PC_PROTO_TCP, "127.0.0.1", PC_SOCKOPT_EXCLUSIVEADDRUSE, "127.0.0.1", PC_SOCKOPT_REUSEADDR, false,
     E_ACCES, "C20"},
    {"reuseaddr-vs-plain",
     "bind() with SO_REUSEADDR on 127.0.0.1:PORT/tcp held without options (Microsoft: WSAEACCES)",
     PC_PROTO_TCP, "127.0.0.1", 0, "127.0.0.1", PC_SOCKOPT_REUSEADDR, false, E_ACCES, "C20"},
    {"wildcard-vs-specific",
     "a plain bind() on 127.0.0.1:PORT/tcp while 0.0.0.0:PORT is held with SO_EXCLUSIVEADDRUSE (Microsoft: "
     "WSAEACCES)",
     PC_PROTO_TCP, "0.0.0.0", PC_SOCKOPT_EXCLUSIVEADDRUSE, "127.0.0.1", 0, false, E_ACCES, "C20"},
    {"dual-stack",
     "bind() on [::]:PORT/tcp with IPV6_V6ONLY=0 while 0.0.0.0:PORT is held (bound, not listening)",
     PC_PROTO_TCP, "0.0.0.0", 0, "::", 0, true, E_INUSE, "C24"},
};
#define N_SHARING (sizeof k_sharing / sizeof k_sharing[0])
#define CASE_EXCLUDED N_SHARING
#define CASE_SUCCESS (N_SHARING + 1)

static void provoke_sharing(win_st *w, const sharing *k, pc_selftest_case *c, pc_selftest_win_bind *b) {
  c->name = k->name;
  c->what = k->what;
  c->expect_rules = k->expect_rules;
  c->proto = k->proto;
  b->holder = true;
  b->holder_proto = k->proto;
  b->holder_opts = k->holder_opts;
  b->holder_listens = k->proto == PC_PROTO_TCP && strcmp(k->holder_ip, "127.0.0.1") == 0;
  b->opts = k->opts;
  b->v6only_off = k->v6only_off;
  fill_addr(&b->holder_addr, k->holder_ip, 0);
  int e;
  SOCKET h = sock_bound(k->proto, &b->holder_addr, k->holder_opts, false, b->holder_listens, &e);
  keep(w, h);
  fill_addr(&c->addr, k->ip, b->holder_addr.port);
  if (h == INVALID_SOCKET || e) {
    snprintf(c->why, sizeof c->why, "the holder socket could not be set up on %s (%s, error %d)",
             k->holder_ip, wsa_name(e), e);
    return;
  }
  c->holder_pid = c->pid;
  SOCKET s = sock_bound(k->proto, &c->addr, k->opts, k->v6only_off, false, &e);
  if (s == INVALID_SOCKET) {
    snprintf(c->why, sizeof c->why, "no socket for %s here (%s, error %d)", k->ip, wsa_name(e), e);
    return;
  }
  closesocket(s);
  c->error = e;
  if (e != k->expect_error)
    snprintf(c->why, sizeof c->why,
             "this system answered %s (%d) where Windows' sharing tables give %s (%d): the case does not "
             "apply here; please report it with your Windows version",
             e ? wsa_name(e) : "success", e, wsa_name(k->expect_error), k->expect_error);
}

/* A TCP port on 127.0.0.1 that is free right now (0 when none could be found). */
static uint16_t free_port(void) {
  pc_addr a;
  fill_addr(&a, "127.0.0.1", 0);
  int e;
  SOCKET s = sock_bound(PC_PROTO_TCP, &a, 0, false, false, &e);
  if (s != INVALID_SOCKET) closesocket(s);
  return e ? 0 : a.port;
}

/* A port inside an excluded TCP/IPv4 range that exists already, from the live host state. */
static uint16_t existing_excluded_port(void) {
  pc_hoststate *hs;
  char err[PC_HOSTSTATE_ERR_MAX];
  if (pc_hoststate_open_live(&hs, err, sizeof err) != PC_OK) return 0;
  const pc_port_range *r;
  size_t n = pc_hoststate_excluded(hs, &r);
  uint16_t port = 0;
  for (size_t i = 0; i < n && !port; i++)
    if ((r[i].proto == 0 || r[i].proto == PC_PROTO_TCP) && (r[i].family == 0 || r[i].family == PC_AF_INET))
      port = r[i].start;
  pc_hoststate_close(hs);
  return port;
}

static void provoke_excluded(win_st *w, pc_selftest_case *c) {
  c->name = "excluded-port";
  c->what =
      "bind() on 127.0.0.1:PORT/tcp inside a one-port excluded range added for the test (netsh, "
      "store=active)";
  c->proto = PC_PROTO_TCP;
  c->expect_rules = "C04|C01";
  uint16_t port = free_port();
  int rc = -1;
  if (port) {
    /* Installed last, so it runs before the ETW session's handler (handlers run newest first). */
    if (!w->handler_set) w->handler_set = SetConsoleCtrlHandler(pc__selftest_win_ctrl, TRUE) != 0;
    char args[160];
    range_args(args, sizeof args, "add", port);
    EnterCriticalSection(&w->lock);
    rc = netsh(w, args);
    if (rc == 0) w->range_port = port;
    LeaveCriticalSection(&w->lock);
  }
  if (rc == 0) {
    c->refresh_hoststate = true;
  } else {
    port = existing_excluded_port();
    c->what = "bind() on 127.0.0.1:PORT/tcp, the first port of an excluded range that exists on this machine";
    c->expect_rules = "C04|C01|C02|C05|C30";
    if (!port) {
      snprintf(c->why, sizeof c->why,
               "netsh could not add an excluded port range (exit %d) and this machine has none to use", rc);
      fill_addr(&c->addr, "127.0.0.1", 0);
      return;
    }
  }
  fill_addr(&c->addr, "127.0.0.1", port);
  int e;
  pc_addr a = c->addr;
  SOCKET s = sock_bound(PC_PROTO_TCP, &a, 0, false, false, &e);
  if (s != INVALID_SOCKET) closesocket(s);
  c->error = e;
  if (e != E_ACCES)
    snprintf(c->why, sizeof c->why,
             "the bind got %s (%d), not WSAEACCES, although port %u is excluded: this system does not refuse "
             "binds in excluded ranges",
             e ? wsa_name(e) : "success", e, (unsigned)port);
}

static int provoke(void *ud, unsigned i, pc_selftest_case *c) {
  win_st *w = ud;
  pc_selftest_win_bind b;
  memset(&b, 0, sizeof b);
  b.c = c;
  c->pid = (uint32_t)GetCurrentProcessId();
  if (i < N_SHARING) {
    provoke_sharing(w, &k_sharing[i], c, &b);
  } else if (i == CASE_EXCLUDED) {
    provoke_excluded(w, c);
  } else if (i == CASE_SUCCESS) {
    c->name = "success";
    c->what = "a bind() that works (127.0.0.1:PORT/tcp, a free port) must give no finding";
    c->proto = PC_PROTO_TCP;
    fill_addr(&c->addr, "127.0.0.1", 0);
    int e;
    keep(w, sock_bound(PC_PROTO_TCP, &c->addr, 0, false, true, &e));
    if (e) snprintf(c->why, sizeof c->why, "could not bind a free port (%s, error %d)", wsa_name(e), e);
  } else {
    return PC_EEND;
  }
  c->skipped = c->why[0] != '\0';
  if (w->seams.provoked) w->seams.provoked(w->seams.ud, &b);
  return PC_OK;
}

static void cleanup(void *ud) {
  win_st *w = ud;
  for (int i = 0; i < w->n_socks; i++) closesocket(w->socks[i]);
  w->n_socks = 0;
  remove_range(w);
  if (w->handler_set) SetConsoleCtrlHandler(pc__selftest_win_ctrl, FALSE);
  w->handler_set = false;
}

/* ---- privileges and the source ---------------------------------------------------------- */

static bool is_admin_system(void *ud) {
  (void)ud;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof admins;
  BOOL member = FALSE;
  /* With UAC, the group is deny-only in a token that is not elevated: not a member. */
  return CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &size) &&
         CheckTokenMembership(NULL, (PSID)admins, &member) && member;
}

static win_st *g_priv; /* privileges() has no user data */

static int privileges(char *msg, size_t cap) {
  win_st *w = g_priv;
  bool ok = w->seams.is_admin ? w->seams.is_admin(w->seams.ud) : is_admin_system(NULL);
  if (ok) return PC_OK;
  snprintf(msg, cap,
           "needs an elevated console: it starts an ETW session, as 'portclash monitor' does, and adds a "
           "temporary excluded port range with netsh.\nRun it from an elevated console (right-click > Run as "
           "administrator).");
  return PC_EPRIV;
}

/* The session and the OS's own layouts as the monitor starts them (pc__etw_open_live); where
 * Windows has no manifest enumeration (before 8.1) the built-in layouts are kept. */
static int open_source(void *ud, pc_pipeline *p, pc_source **out) {
  win_st *w = ud;
  pc_etw_open o = {
      "selftest", "; run it from an elevated console\n", &w->etw, &w->os, w->seams.etw, w->os_schemas, NULL,
      NULL};
  return pc__etw_open_live(&o, p, out);
}

int pc__cmd_selftest_with(int argc, char **argv, const pc_selftest_win_seams *seams) {
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_SELFTEST, argc, argv, stdout, stderr);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  win_st *w = calloc(1, sizeof *w);
  if (!w) {
    fputs("portclash selftest: out of memory\n", stderr);
    return PC_EXIT_FAILURE;
  }
  if (seams) w->seams = *seams;
  InitializeCriticalSection(&w->lock);
  pc_etw_options_init(&w->etw);
  char name[PC_ETW_NAME_MAX], err[200];
  snprintf(name, sizeof name, "portclash-selftest-%lu", (unsigned long)GetCurrentProcessId());
  pc_etw_options_apply(&w->etw, "--session", name, err, sizeof err);
  snprintf(w->hint, sizeof w->hint,
           "check that the session runs while the test does ('logman query -ets' lists %s) and that its "
           "providers are enabled ('logman query %s -ets'); then ",
           name, name);
  w->os_schemas = !o.no_os_schemas;
  pc_os_version_get(&w->os);
  int code = PC_EXIT_FAILURE;
  if (pc_win_wsa_ready() != 0) {
    fputs("portclash selftest: Winsock cannot be started\n", stderr);
    goto done;
  }
  g_priv = w;
  g_st = w;
  pc_selftest_platform pl = {
      {"windows", w->os.build, "etw", open_source, NULL, NULL, w,
       (pc_time)w->etw.flush_seconds * PC_TIME_TICKS_PER_SEC + 500 * PC_TIME_TICKS_PER_MS},
      privileges,
      provoke,
      cleanup,
      w,
      w->hint};
  code = pc_selftest_run_collect(&pl, o.json, (unsigned)(o.timeout / PC_TIME_TICKS_PER_MS), o.collect_dir);
  g_st = NULL;
  g_priv = NULL;
done:
  DeleteCriticalSection(&w->lock);
  free(w);
  return code;
}

int pc_cmd_selftest(int argc, char **argv) {
  return pc__cmd_selftest_with(argc, argv, NULL);
}
