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
#include "cli.h"
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
  char *argv[] = {"explain",   portbuf,    "--proto", proto == PC_PROTO_TCP ? "tcp" : "udp",
                  "--address", "127.0.0.1"};
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
  HS_CHECK_CONTAINS(out, "is free: a bind would succeed now. (rule FALLBACK-FREE)");
  free(out);
  pc_hoststate_close(hs);
}

PC_TEST(live_tcp_listener_is_ours) {
  check_own(SOCK_STREAM, PC_PROTO_TCP, PC_OWNER_STATE_LISTEN);
}

PC_TEST(live_udp_socket_is_ours) {
  check_own(SOCK_DGRAM, PC_PROTO_UDP, PC_OWNER_STATE_UDP);
}

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

/* The /proc parsing on a fixed fake tree (tests/hoststate/data/fakeproc): hex addresses in
 * host byte order, IPv6, TIME_WAIT without inode, inode -> PID through fd links, comm, exe,
 * Uid, systemd unit, and the three sysctl files. The hex is little-endian, like the hosts the
 * tree was written for. */
PC_TEST(fake_proc_tree) {
  const uint16_t probe = 1;
  if (*(const uint8_t *)&probe != 1) PC_SKIP("the fake /proc/net files are little-endian");
  char root[1024];
  hs_data_path("fakeproc", root, sizeof root);
  char err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs;
  PC_CHECK_INT(pc_hoststate_open_linux_at(root, &hs, err, sizeof err), PC_OK);
  if (!hs) return;
  const pc_port_range *ex;
  PC_CHECK_INT(pc_hoststate_excluded(hs, &ex), 2);
  PC_CHECK_INT(ex[1].start, 9000);
  PC_CHECK_INT(ex[1].end, 9010);
  PC_CHECK(ex[1].administered);
  uint16_t up = 0;
  PC_CHECK(pc_hoststate_unprivileged_start(hs, &up));
  PC_CHECK_INT(up, 80);

  pc_facts f;
  memset(&f, 0, sizeof f);
  f.attempt.proto = PC_PROTO_TCP;
  f.attempt.pid = 4243;
  f.attempt.pid_known = true;
  f.attempt.addr_known = true;
  f.attempt.local.port = 8080;
  pc_addr_parse_ip("0.0.0.0", &f.attempt.local);
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK_STR(f.process_name, "python3");
  PC_CHECK_STR(f.process_path, "/usr/bin/python3.11");
  PC_CHECK_STR(f.process_user, "54321");
  PC_CHECK_STR(f.process_service, "");
  PC_CHECK(f.owner_known);
  PC_CHECK_INT(f.owner_pid, 4242);
  PC_CHECK_STR(f.owner_name, "nginx");
  PC_CHECK_STR(f.owner_path, "/usr/sbin/nginx");
  PC_CHECK_STR(f.owner_service, "nginx.service");
  PC_CHECK_INT(f.owner_state, PC_OWNER_STATE_LISTEN);
  PC_CHECK(f.excluded && f.excluded_administered); /* ip_local_reserved_ports */
  PC_CHECK(f.dynamic_known && !f.in_dynamic);
  PC_CHECK_INT(f.dynamic_end, 60999);

  pc_owner o[4];
  size_t total;
  pc_addr lo = {.port = 8080};
  pc_addr_parse_ip("127.0.0.1", &lo);
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 8080, &lo, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 2);
  PC_CHECK_INT(o[0].state, PC_OWNER_STATE_LISTEN);
  PC_CHECK_INT(o[0].match, PC_OWNER_MATCH_WILDCARD);
  PC_CHECK_INT(o[1].state, PC_OWNER_STATE_ESTABLISHED);
  PC_CHECK_INT(o[1].match, PC_OWNER_MATCH_EXACT);
  PC_CHECK_INT(o[1].remote.port, 50000);

  /* [::]:9090 without a visible process: owner known, PID 0. */
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 9090, &f.attempt.local, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  PC_CHECK_INT(o[0].pid, 0);
  PC_CHECK_INT(o[0].match, PC_OWNER_MATCH_DUALSTACK);
  /* [::1]:7000 */
  pc_addr v6 = {.port = 7000};
  pc_addr_parse_ip("::1", &v6);
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 7000, &v6, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  PC_CHECK_INT(o[0].pid, 4243);
  PC_CHECK_INT(o[0].match, PC_OWNER_MATCH_EXACT);
  /* TIME_WAIT (inode 0) on 3000. */
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, 3000, NULL, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  PC_CHECK_INT(o[0].state, PC_OWNER_STATE_TIME_WAIT);
  PC_CHECK_INT(o[0].pid, 0);
  /* UDP 127.0.0.1:5353 */
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_UDP, 5353, NULL, o, 4, &total), PC_OK);
  PC_CHECK_INT(total, 1);
  PC_CHECK_INT(o[0].pid, 4242);
  PC_CHECK_INT(o[0].state, PC_OWNER_STATE_UDP);
  pc_hoststate_close(hs);
}
