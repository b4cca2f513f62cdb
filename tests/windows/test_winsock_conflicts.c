/* test_winsock_conflicts.c - real Winsock bind conflicts between two sockets of this process,
 * under Wine (Wine's ws2_32 on Linux sockets), and what portclash's live host state and test
 * bind say about them.
 *
 * Windows' sharing matrix (shared/reference/etw-facts.md section 4.1/4.3: Microsoft's table and
 * Wine's conformance tests that run on real Windows) and Wine 8's (toolchain.md section 4,
 * measured) differ in some cells. Only the cells where both AGREE are asserted:
 *   TCP 127.0.0.1 listening A, then B on 127.0.0.1:
 *     A none,   B none       -> WSAEADDRINUSE
 *     A none,   B REUSEADDR  -> WSAEACCES     (10013 without any excluded port)
 *     A EXCL,   B none       -> WSAEADDRINUSE
 *     A none,   B EXCL       -> WSAEADDRINUSE
 *   UDP 127.0.0.1: A none, B none -> WSAEADDRINUSE
 *   SO_REUSEADDR and SO_EXCLUSIVEADDRUSE on one socket: the second setsockopt -> WSAEINVAL.
 * The cells where they differ (both REUSEADDR on a listening TCP socket: Windows succeeds, Wine
 * 10013; 0.0.0.0 then 127.0.0.1 without options: Windows succeeds for the same user, Wine
 * 10048) are run and their result printed, not asserted. Nothing here shows Windows' own
 * results: run the same binary on Windows for that. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
/* clang-format off: winsock2.h must come before windows.h */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
/* clang-format on */

#include <stdio.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_test.h"

enum { NONE, REUSE, EXCL };
static const char *const opt_name[] = {"none", "SO_REUSEADDR", "SO_EXCLUSIVEADDRUSE"};

static SOCKET make(int type, int opt) {
  SOCKET s = socket(AF_INET, type, 0);
  int one = 1;
  if (opt == REUSE) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
  if (opt == EXCL) setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof one);
  return s;
}

static struct sockaddr_in addr(uint32_t ip, uint16_t port) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(ip);
  sa.sin_port = htons(port);
  return sa;
}

/* Binds A (options a, address a_ip, listening for TCP) on a port the system picks, then B
 * (options b) on 127.0.0.1 and that port. Returns 0 when B's bind succeeded, else its
 * WSAGetLastError(); -1 when A could not be set up. *port_out = the port. */
static int second_bind(int type, int a, uint32_t a_ip, int b, uint16_t *port_out, SOCKET *keep_a) {
  SOCKET sa = make(type, a);
  struct sockaddr_in x = addr(a_ip, 0);
  int len = sizeof x;
  if (sa == INVALID_SOCKET || bind(sa, (struct sockaddr *)&x, sizeof x) != 0) return -1;
  if (type == SOCK_STREAM && listen(sa, 4) != 0) return -1;
  getsockname(sa, (struct sockaddr *)&x, &len);
  uint16_t port = ntohs(x.sin_port);
  SOCKET sb = make(type, b);
  struct sockaddr_in y = addr(INADDR_LOOPBACK, port);
  int r = bind(sb, (struct sockaddr *)&y, sizeof y) == 0 ? 0 : WSAGetLastError();
  closesocket(sb);
  if (port_out) *port_out = port;
  if (keep_a)
    *keep_a = sa;
  else
    closesocket(sa);
  return r;
}

static void init(void) {
  static bool done;
  WSADATA w;
  if (!done) done = WSAStartup(MAKEWORD(2, 2), &w) == 0;
}

PC_TEST(cells_where_windows_and_wine_agree) {
  init();
  PC_CHECK_INT(second_bind(SOCK_STREAM, NONE, INADDR_LOOPBACK, NONE, NULL, NULL), WSAEADDRINUSE);
  PC_CHECK_INT(second_bind(SOCK_STREAM, NONE, INADDR_LOOPBACK, REUSE, NULL, NULL), WSAEACCES);
  PC_CHECK_INT(second_bind(SOCK_STREAM, EXCL, INADDR_LOOPBACK, NONE, NULL, NULL), WSAEADDRINUSE);
  PC_CHECK_INT(second_bind(SOCK_STREAM, NONE, INADDR_LOOPBACK, EXCL, NULL, NULL), WSAEADDRINUSE);
  PC_CHECK_INT(second_bind(SOCK_DGRAM, NONE, INADDR_LOOPBACK, NONE, NULL, NULL), WSAEADDRINUSE);
  /* The two options exclude each other on one socket. */
  SOCKET s = make(SOCK_STREAM, REUSE);
  int one = 1;
  PC_CHECK_INT(setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&one, sizeof one), SOCKET_ERROR);
  PC_CHECK_INT(WSAGetLastError(), WSAEINVAL);
  closesocket(s);
}

PC_TEST(cells_where_they_differ_are_recorded) {
  init();
  /* Printed for the log (and for comparison with a run on Windows), never asserted. */
  static const struct {
    int type, a;
    uint32_t a_ip;
    int b;
    const char *windows;
  } cells[] = {
      {SOCK_STREAM, REUSE, INADDR_LOOPBACK, REUSE, "success (etw-facts 4.3)"},
      {SOCK_STREAM, NONE, INADDR_ANY, NONE, "success for the same user (etw-facts 4.1)"},
      {SOCK_STREAM, EXCL, INADDR_ANY, NONE, "WSAEACCES (etw-facts 4.3)"},
      {SOCK_DGRAM, REUSE, INADDR_LOOPBACK, REUSE, "success"},
  };
  for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
    int r = second_bind(cells[i].type, cells[i].a, cells[i].a_ip, cells[i].b, NULL, NULL);
    printf("%s A=%s %s, B=%s 127.0.0.1: here %d, Windows: %s\n", cells[i].type == SOCK_STREAM ? "tcp" : "udp",
           opt_name[cells[i].a], cells[i].a_ip ? "127.0.0.1" : "0.0.0.0", opt_name[cells[i].b], r,
           cells[i].windows);
    PC_CHECK(r != -1);
  }
}

/* The conflict as portclash sees it: the live host state finds the holder of the port (the
 * IP Helper table; the PID is ours on Windows, often 0 under Wine for a listener), and its own
 * test bind fails the way the second socket did. */
PC_TEST(host_state_sees_the_holder_and_the_test_bind_fails) {
  init();
  uint16_t port;
  SOCKET a = INVALID_SOCKET;
  PC_CHECK_INT(second_bind(SOCK_STREAM, EXCL, INADDR_LOOPBACK, NONE, &port, &a), WSAEADDRINUSE);
  pc_hoststate *hs = NULL;
  char err[256];
  PC_CHECK_INT(pc_hoststate_open_live(&hs, err, sizeof err), PC_OK);
  if (!hs) return;
  pc_addr q;
  memset(&q, 0, sizeof q);
  q.family = PC_AF_INET;
  q.bytes[0] = 127;
  q.bytes[3] = 1;
  q.port = port;
  pc_owner owners[8];
  size_t total = 0;
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, port, &q, owners, 8, &total), PC_OK);
  PC_CHECK(total >= 1);
  if (total >= 1) {
    PC_CHECK_STR(pc_owner_state_name(owners[0].state), "LISTEN");
    PC_CHECK_INT(owners[0].local.port, port);
    PC_CHECK_INT(owners[0].match, PC_OWNER_MATCH_EXACT);
    PC_CHECK(owners[0].pid == 0 || owners[0].pid == GetCurrentProcessId());
    printf("holder of 127.0.0.1:%u: pid %lu (0 = not given, as Wine does for listeners)\n", port,
           (unsigned long)owners[0].pid);
  }
  int os_error = 0;
  const char *stage = NULL;
  PC_CHECK_INT(pc_hoststate_test_bind(hs, PC_PROTO_TCP, &q, false, &os_error, &stage), PC_OK);
  PC_CHECK_INT(os_error, WSAEADDRINUSE);
  PC_CHECK_STR(stage, "bind");
  PC_CHECK_INT(pc_hoststate_test_bind(hs, PC_PROTO_TCP, &q, true, &os_error, &stage), PC_OK);
  PC_CHECK(os_error == WSAEADDRINUSE || os_error == WSAEACCES); /* Windows and Wine: 10048 with EXCL */
  pc_hoststate_close(hs);
  closesocket(a);
}
