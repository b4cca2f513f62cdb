/* The live host state of this machine (Linux /proc): the test itself holds a TCP listener
 * and a UDP socket on 127.0.0.1 and must be found as their owner, by PID and name. Skips when
 * the platform has no live back end or sockets cannot be made (sandboxes). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_test_util.h"
#include "pc_cmd_hoststate.h"
#include "pc_error.h"
#include "pc_hoststate.h"

/* Binds a socket of type on 127.0.0.1 port 0 (listening for TCP); returns the fd and port. */
static int hold_port(int type, uint16_t *port) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sin;
  if (bind(fd, (struct sockaddr *)&sin, sl) != 0 || (type == SOCK_STREAM && listen(fd, 4) != 0) ||
      getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(sin.sin_port);
  return fd;
}

static void self_name(char *buf, size_t cap) {
  buf[0] = '\0';
  FILE *f = fopen("/proc/self/comm", "r");
  if (!f) return;
  if (fgets(buf, (int)cap, f)) buf[strcspn(buf, "\n")] = '\0';
  fclose(f);
}

static int run(int (*cmd)(int, char **, FILE *, FILE *), int argc, char **argv, char **out) {
  FILE *o = tmpfile(), *e = tmpfile();
  int code = cmd(argc, argv, o, e);
  long n = ftell(o);
  rewind(o);
  *out = calloc(1, (size_t)n + 1);
  if (fread(*out, 1, (size_t)n, o) != (size_t)n) (*out)[0] = '\0';
  fclose(o);
  fclose(e);
  return code;
}

static void check_own(int type, uint8_t proto, uint8_t state) {
  char err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs;
  int rc = pc_hoststate_open_live(&hs, err, sizeof err);
  if (rc == PC_ENOTSUP) PC_SKIP(err);
  PC_CHECK_INT(rc, PC_OK);
  if (rc != PC_OK) return;
  uint16_t port;
  int fd = hold_port(type, &port);
  if (fd < 0) {
    pc_hoststate_close(hs);
    PC_SKIP("cannot bind a loopback socket here");
  }
  char name[64];
  self_name(name, sizeof name);

  pc_facts f;
  memset(&f, 0, sizeof f);
  f.attempt.proto = proto;
  f.attempt.pid = (uint32_t)getpid();
  f.attempt.pid_known = true;
  f.attempt.addr_known = true;
  f.attempt.local.port = port;
  pc_addr_parse_ip("127.0.0.1", &f.attempt.local);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_INT(f.os, PC_OS_LINUX);
  PC_CHECK_STR(f.process_name, name);
  PC_CHECK(f.owner_known);
  PC_CHECK_INT(f.owner_pid, getpid());
  PC_CHECK_STR(f.owner_name, name);
  PC_CHECK_INT(f.owner_state, state);
  PC_CHECK(f.dynamic_known);
  PC_CHECK(f.unprivileged_start_known || access("/proc/sys/net/ipv4/ip_unprivileged_port_start", R_OK) != 0);

  /* explain sees the holder and the failing test bind. */
  char portbuf[16];
  snprintf(portbuf, sizeof portbuf, "%u", port);
  char *argv[] = {"explain", portbuf, "--proto", proto == PC_PROTO_TCP ? "tcp" : "udp", "--address", "127.0.0.1"};
  char *out;
  PC_CHECK_INT(run(pc_cmd_explain_io, 6, argv, &out), 0);
  HS_CHECK_CONTAINS(out, "EADDRINUSE");
  char held[128];
  snprintf(held, sizeof held, "%s (pid %u", name, (unsigned)getpid());
  HS_CHECK_CONTAINS(out, held);
  free(out);

  /* Once closed, the port is free (after the 1 s owner cache, which refresh drops). */
  close(fd);
  PC_CHECK_INT(pc_hoststate_refresh(hs), PC_OK);
  memset(&f.owner_known, 0, sizeof f - offsetof(pc_facts, owner_known));
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.owner_known);
  PC_CHECK_INT(run(pc_cmd_explain_io, 6, argv, &out), 0);
  HS_CHECK_CONTAINS(out, "is free: a bind succeeds now.");
  free(out);
  pc_hoststate_close(hs);
}

PC_TEST(live_tcp_listener_is_ours) { check_own(SOCK_STREAM, PC_PROTO_TCP, PC_OWNER_STATE_LISTEN); }

PC_TEST(live_udp_socket_is_ours) { check_own(SOCK_DGRAM, PC_PROTO_UDP, PC_OWNER_STATE_UDP); }

PC_TEST(live_ranges_command) {
  char err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs;
  if (pc_hoststate_open_live(&hs, err, sizeof err) != PC_OK) PC_SKIP(err);
  pc_hoststate_close(hs);
  char *argv[] = {"ranges"};
  char *out;
  PC_CHECK_INT(run(pc_cmd_ranges_io, 1, argv, &out), 0);
  HS_CHECK_CONTAINS(out, "Dynamic port range\n  any   any");
  free(out);
}
