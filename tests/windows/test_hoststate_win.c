/* test_hoststate_win.c - the live Windows host state (win.c) against real sockets:
 * this process listens on TCP and binds UDP on 127.0.0.1, and the IP Helper tables, the
 * process lookup, enrichment and the test bind must find them.
 *
 * Run under Wine: Wine answers GetExtendedTcpTable/GetExtendedUdpTable from the Linux socket
 * tables, and maps a socket to its Windows PID only when the socket's file descriptor is
 * held by the process itself (toolchain.md §4, "Owner PIDs are unreliable"): a listener
 * often shows PID 0. So the UDP socket sends a datagram to itself first (which hands Wine's
 * process the fd), and its row must carry our PID and image name; for the TCP listener a PID,
 * when given, must be ours. On Windows the PID is always there. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_test.h"

static const char *self_name = "test_win_hoststate.exe";

/* A socket of type bound to 127.0.0.1 on a port the system picks (TCP: listening). */
static SOCKET bound_socket(int type, uint16_t *port) {
  SOCKET s = socket(AF_INET, type, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int sl = sizeof sa;
  if (s == INVALID_SOCKET || bind(s, (struct sockaddr *)&sa, sizeof sa) != 0) return INVALID_SOCKET;
  if (type == SOCK_STREAM && listen(s, 4) != 0) return INVALID_SOCKET;
  getsockname(s, (struct sockaddr *)&sa, &sl);
  *port = ntohs(sa.sin_port);
  if (type == SOCK_DGRAM) {
    /* A datagram to itself: under Wine this makes the process hold the socket's Unix fd,
     * which is how Wine finds the owner PID for the table. Harmless on Windows. */
    sendto(s, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa);
  }
  return s;
}

static pc_addr loopback(uint16_t port) {
  pc_addr a;
  memset(&a, 0, sizeof a);
  a.family = PC_AF_INET;
  a.bytes[0] = 127;
  a.bytes[3] = 1;
  a.port = port;
  return a;
}

static bool ends_with(const char *s, const char *tail) {
  size_t a = strlen(s), b = strlen(tail);
  return a >= b && _stricmp(s + a - b, tail) == 0;
}

static pc_hoststate *open_live(void) {
  pc_hoststate *hs = NULL;
  char err[PC_HOSTSTATE_ERR_MAX] = "";
  int rc = pc_hoststate_open_live(&hs, err, sizeof err);
  if (rc != PC_OK) pc__test_fail(__FILE__, __LINE__, "open_live: %s: %s", pc_strerror(rc), err);
  return hs;
}

PC_TEST(backend_is_live_windows) {
  pc_hoststate *hs = open_live();
  if (!hs) return;
  PC_CHECK_STR(pc_hoststate_backend(hs), "windows");
  PC_CHECK(pc_hoststate_is_live(hs));
  PC_CHECK_INT(pc_hoststate_os(hs), PC_OS_WINDOWS);
  PC_CHECK_INT(pc_hoststate_refresh(hs), PC_OK);
  pc_hoststate_close(hs);
}

PC_TEST(own_process_image_and_kernel) {
  pc_hoststate *hs = open_live();
  if (!hs) return;
  pc_process_info pi;
  PC_CHECK_INT(pc_hoststate_process(hs, (uint32_t)GetCurrentProcessId(), &pi), PC_OK);
  PC_CHECK_STR(pi.name, self_name);
  PC_CHECK(ends_with(pi.path, "\\test_win_hoststate.exe"));
  PC_CHECK(pi.path[1] == ':'); /* a Win32 path, drive letter first (Z: under Wine) */
  PC_CHECK_INT(pc_hoststate_process(hs, 4, &pi), PC_OK);
  PC_CHECK_STR(pi.name, "System");
  /* PIDs are multiples of 4; this one is not, so no process has it. */
  PC_CHECK_INT(pc_hoststate_process(hs, 0x7FFFFFF1u, &pi), PC_ENOENT);
  pc_hoststate_close(hs);
}

/* pid_required: the table must name our PID (UDP, after the sendto in bound_socket, also
 * under Wine); otherwise PID 0 is accepted as Wine's gap. */
static void check_owner(pc_hoststate *hs, uint8_t proto, uint16_t port, uint8_t state, bool pid_required) {
  pc_owner owners[8];
  size_t total = 0;
  pc_addr a = loopback(port);
  PC_CHECK_INT(pc_hoststate_owners(hs, proto, port, &a, owners, 8, &total), PC_OK);
  PC_CHECK(total >= 1);
  if (total == 0) return;
  PC_CHECK_INT(owners[0].proto, proto);
  PC_CHECK_INT(owners[0].local.port, port);
  PC_CHECK_INT(owners[0].local.family, PC_AF_INET);
  PC_CHECK(owners[0].local.bytes[0] == 127 && owners[0].local.bytes[3] == 1);
  PC_CHECK_INT(owners[0].state, state);
  PC_CHECK_INT(owners[0].match, PC_OWNER_MATCH_EXACT);
  PC_CHECK(!owners[0].kernel);
  if (owners[0].pid != 0 || pid_required) {
    PC_CHECK_UINT(owners[0].pid, GetCurrentProcessId());
    PC_CHECK_STR(owners[0].process.name, self_name);
  } else {
    printf("  note: the %s table gave PID 0 for our socket (Wine, see the file comment)\n",
           proto == PC_PROTO_UDP ? "UDP" : "TCP");
  }
}

PC_TEST(owners_from_ip_helper_tables) {
  uint16_t tport = 0, uport = 0;
  SOCKET t = bound_socket(SOCK_STREAM, &tport), u = bound_socket(SOCK_DGRAM, &uport);
  PC_CHECK(t != INVALID_SOCKET && u != INVALID_SOCKET);
  pc_hoststate *hs = open_live();
  if (hs && t != INVALID_SOCKET && u != INVALID_SOCKET) {
    check_owner(hs, PC_PROTO_TCP, tport, PC_OWNER_STATE_LISTEN, false);
    check_owner(hs, PC_PROTO_UDP, uport, PC_OWNER_STATE_UDP, true);
  }
  pc_hoststate_close(hs);
  closesocket(t);
  closesocket(u);
}

PC_TEST(enrich_finds_process_and_owner) {
  uint16_t port = 0;
  SOCKET t = bound_socket(SOCK_STREAM, &port);
  PC_CHECK(t != INVALID_SOCKET);
  pc_hoststate *hs = open_live();
  if (hs && t != INVALID_SOCKET) {
    pc_facts f;
    memset(&f, 0, sizeof f);
    f.attempt.pid = (uint32_t)GetCurrentProcessId();
    f.attempt.pid_known = true;
    f.attempt.proto = PC_PROTO_TCP;
    f.attempt.local = loopback(port);
    f.attempt.addr_known = true;
    f.attempt.failed = true;
    PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
    PC_CHECK_INT(f.os, PC_OS_WINDOWS);
    PC_CHECK_STR(f.process_name, self_name);
    PC_CHECK(ends_with(f.process_path, self_name));
    PC_CHECK(f.owners_known);
    PC_CHECK(f.owner_known);
    PC_CHECK_INT(f.owner_state, PC_OWNER_STATE_LISTEN);
    PC_CHECK_INT(f.owner_addr.port, port);
    if (f.owner_pid != 0) {
      PC_CHECK_UINT(f.owner_pid, GetCurrentProcessId());
      PC_CHECK_STR(f.owner_name, self_name);
    }
    /* Ranges come from netsh: known on Windows; Wine's netsh prints nothing, and then the
     * back end must say they are unknown rather than "no range". */
    if (!f.ranges_known) printf("  note: netsh gave no ranges here (Wine's netsh is a stub)\n");
    const pc_port_range *r;
    if (!f.ranges_known) PC_CHECK_UINT(pc_hoststate_excluded(hs, &r), 0);
  }
  pc_hoststate_close(hs);
  closesocket(t);
}

PC_TEST(test_bind_reports_wsa_errors) {
  uint16_t tport = 0, uport = 0;
  SOCKET t = bound_socket(SOCK_STREAM, &tport), u = bound_socket(SOCK_DGRAM, &uport);
  PC_CHECK(t != INVALID_SOCKET && u != INVALID_SOCKET);
  pc_hoststate *hs = open_live();
  if (hs && t != INVALID_SOCKET && u != INVALID_SOCKET) {
    int oserr = -1;
    const char *stage = NULL;
    pc_addr a = loopback(tport);
    PC_CHECK_INT(pc_hoststate_test_bind(hs, PC_PROTO_TCP, &a, false, &oserr, &stage), PC_OK);
    PC_CHECK_INT(oserr, WSAEADDRINUSE);
    PC_CHECK_STR(stage, "bind");
    a = loopback(uport);
    PC_CHECK_INT(pc_hoststate_test_bind(hs, PC_PROTO_UDP, &a, false, &oserr, &stage), PC_OK);
    PC_CHECK_INT(oserr, WSAEADDRINUSE);
    /* Free again once closed. */
    closesocket(t);
    t = INVALID_SOCKET;
    a = loopback(tport);
    PC_CHECK_INT(pc_hoststate_test_bind(hs, PC_PROTO_TCP, &a, false, &oserr, &stage), PC_OK);
    PC_CHECK_INT(oserr, 0);
    PC_CHECK_STR(stage, "listen");
  }
  pc_hoststate_close(hs);
  if (t != INVALID_SOCKET) closesocket(t);
  closesocket(u);
}

/* The test's own Winsock start; the back end starts it on its own for the test bind. */
__attribute__((constructor)) static void start_winsock(void) {
  WSADATA wd;
  WSAStartup(MAKEWORD(2, 2), &wd);
}

/* ---- The background worker, with fake tools and a simulated schedule clock ----
 * netsh and netstat are fakes (Wine's netsh prints nothing): the first ranges read has one
 * excluded range, later reads add a WinNAT-like range reserved "after start-up". */

static volatile LONG64 sim_ms;
static volatile LONG tool_reads;
static HANDLE tool_gate; /* when set non-NULL, excludedportrange waits for it (a hung netsh) */

static uint64_t sim_clock(void *ctx) {
  (void)ctx;
  return (uint64_t)InterlockedCompareExchange64(&sim_ms, 0, 0);
}

static char *dup_text(const char *t, size_t *len) {
  size_t n = strlen(t);
  char *p = malloc(n + 1);
  if (p) memcpy(p, t, n + 1);
  *len = n;
  return p;
}

static char *fake_tools(void *ctx, const char *tool, const char *args, size_t *len) {
  (void)ctx;
  if (strcmp(tool, "netsh") == 0 && strcmp(args, "int ipv4 show excludedportrange protocol=tcp") == 0) {
    LONG n = InterlockedIncrement(&tool_reads);
    if (tool_gate) WaitForSingleObject(tool_gate, 10000);
    return dup_text(n == 1 ? "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n"
                             "----------    --------\r\n     50000       50059\r\n"
                           : "\r\nProtocol tcp Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n"
                             "----------    --------\r\n     50000       50059\r\n     60000       60099\r\n",
                    len);
  }
  if (strcmp(tool, "netstat") == 0 && strcmp(args, "-qno -p TCP") == 0)
    /* A socket bound without listen() (English "BOUND"), and one whose state word this
     * parser does not know (as on a Windows in another language). */
    return dup_text(
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State          "
        " PID\r\n"
        "  TCP    0.0.0.0:41000          0.0.0.0:0              BOUND           4242\r\n"
        "  TCP    127.0.0.1:41001        0.0.0.0:0              GEBUNDEN        4243\r\n",
        len);
  return NULL;
}

static bool wait_pending(pc_hoststate *hs) {
  for (int i = 0; i < 500; i++) {
    if (pc_hoststate_update_pending(hs)) return true;
    Sleep(10);
  }
  return false;
}

PC_TEST(background_refresh_installs_new_ranges_and_marks_stale_snapshots) {
  tool_reads = 0;
  sim_ms = 1000000;
  pc__hoststate_set_tool_runner(fake_tools, NULL);
  pc_hoststate *hs = open_live();
  if (!hs) return;
  PC_CHECK_INT(tool_reads, 1); /* the first read, at open, on the caller's thread */
  pc_hoststate_bg_options bg = {.refresh_ms = 10000, .tick_ms = 10, .now_ms = sim_clock};
  PC_CHECK_INT(pc_hoststate_start_background(hs, &bg), PC_OK);
  pc_facts f;
  memset(&f, 0, sizeof f);
  f.attempt.proto = PC_PROTO_TCP;
  f.attempt.addr_known = true;
  f.attempt.local = loopback(60005);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.excluded);
  PC_CHECK(!f.hoststate_stale);
  /* 11 s later on the schedule's clock the worker reads again; the range reserved since is
   * installed by the next call, which never waits. */
  InterlockedAdd64(&sim_ms, 11000);
  PC_CHECK(wait_pending(hs));
  PC_CHECK_INT(pc_hoststate_refresh(hs), PC_OK);
  memset(&f, 0, sizeof f);
  f.attempt.proto = PC_PROTO_TCP;
  f.attempt.addr_known = true;
  f.attempt.local = loopback(60005);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.excluded && f.excluded_start == 60000 && f.excluded_end == 60099);
  PC_CHECK(!f.hoststate_stale);
  /* netsh hangs: the installed snapshot ages past the interval and the facts say so, while
   * every call still returns at once. */
  tool_gate = CreateEventW(NULL, TRUE, FALSE, NULL);
  InterlockedAdd64(&sim_ms, 10000); /* the worker starts a read that hangs */
  Sleep(100);
  InterlockedAdd64(&sim_ms, 15000);
  ULONGLONG t0 = GetTickCount64();
  PC_CHECK_INT(pc_hoststate_refresh(hs), PC_OK);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(GetTickCount64() - t0 < 1000);
  PC_CHECK(f.hoststate_stale);
  PC_CHECK(f.hoststate_age_s >= 25);
  SetEvent(tool_gate);
  pc_hoststate_close(hs);
  CloseHandle(tool_gate);
  tool_gate = NULL;
  pc__hoststate_set_tool_runner(NULL, NULL);
}

PC_TEST(bound_tcp_sockets_come_from_netstat_q) {
  pc__hoststate_set_tool_runner(fake_tools, NULL);
  pc_hoststate *hs = open_live();
  if (!hs) return;
  pc_owner o[4];
  size_t total = 0;
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 41000, NULL, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  if (total >= 1) {
    PC_CHECK_INT(o[0].state, PC_OWNER_STATE_BOUND);
    PC_CHECK_UINT(o[0].pid, 4242);
  }
  pc_addr a = loopback(41001);
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 41001, &a, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  if (total >= 1) {
    PC_CHECK_INT(o[0].state, PC_OWNER_STATE_BOUND); /* no listener in the table: bound */
    PC_CHECK_UINT(o[0].pid, 4243);
  }
  pc_hoststate_close(hs);
  pc__hoststate_set_tool_runner(NULL, NULL);
}
