/* selftest-linux.c - `portclash selftest` on Linux: the eBPF source and the real failures
 * this machine can show, provoked on loopback with the test's own sockets and processes.
 * Holders are child processes (so the holder is another process, as in real life) that wait
 * until cleanup kills them; cases that need root drop to uid 65534 in a child. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "ebpf.h"
#include "ebpf_open-linux.h"
#include "selftest.h"

#define NOBODY 65534
#define MAX_KIDS 8

typedef struct linux_st {
  pc_ebpf_options eo;
  pid_t kids[MAX_KIDS];
  int n_kids;
  int fds[MAX_KIDS]; /* sockets of this process (the successful bind) */
  int n_fds;
} linux_st;

static void fill_addr(pc_selftest_case *c, uint8_t proto, bool v6, const char *ip, uint16_t port) {
  c->proto = proto;
  memset(&c->addr, 0, sizeof c->addr);
  c->addr.family = v6 ? PC_AF_INET6 : PC_AF_INET;
  inet_pton(v6 ? AF_INET6 : AF_INET, ip, c->addr.bytes);
  c->addr.port = port;
}

/* A socket of proto on ip:port (0 = any), with SO_REUSEPORT when asked; -1 with errno. */
static int sock_bound(uint8_t proto, bool v6, const char *ip, uint16_t port, bool reuseport, bool v6only_off,
                      int *bind_errno) {
  int fd =
      socket(v6 ? AF_INET6 : AF_INET, (proto == PC_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1, zero = 0;
  if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (v6 && v6only_off) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (v6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
    len = sizeof *a;
  }
  *bind_errno = bind(fd, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
  if (*bind_errno == 0 && proto == PC_PROTO_TCP && listen(fd, 4) != 0) *bind_errno = errno;
  return fd;
}

static uint16_t local_port(int fd) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return 0;
  return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                        : ((struct sockaddr_in *)&ss)->sin_port);
}

/* Forks a holder of proto on ip:port (0 = a free one, reported back). Returns its port, 0 on
 * failure (why set). */
static uint16_t hold(linux_st *l, uint8_t proto, const char *ip, uint16_t port, bool reuseport, pid_t *pid,
                     char *why, size_t cap) {
  int p[2];
  if (l->n_kids == MAX_KIDS || pipe(p) != 0) {
    snprintf(why, cap, "cannot start a holder process");
    return 0;
  }
  pid_t k = fork();
  if (k == 0) {
    close(p[0]);
    int e;
    int fd = sock_bound(proto, false, ip, port, reuseport, false, &e);
    uint16_t got = fd >= 0 && e == 0 ? local_port(fd) : 0;
    if (write(p[1], &got, sizeof got) != (ssize_t)sizeof got) _exit(1);
    close(p[1]);
    for (;;) pause();
  }
  close(p[1]);
  uint16_t got = 0;
  if (k < 0 || read(p[0], &got, sizeof got) != (ssize_t)sizeof got) got = 0;
  close(p[0]);
  if (k > 0) l->kids[l->n_kids++] = k;
  if (!got)
    snprintf(why, cap, "the holder process could not bind %s %s:%u", proto == PC_PROTO_UDP ? "udp" : "tcp",
             ip, (unsigned)port);
  *pid = k;
  return got;
}

/* Binds in a child running as uid 65534 (nobody); returns the bind's errno, -1 when the
 * child could not be set up (why set). */
static int bind_as_nobody(linux_st *l, uint8_t proto, const char *ip, uint16_t port, bool reuseport,
                          pid_t *pid, char *why, size_t cap) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t k = fork();
  if (k == 0) {
    close(p[0]);
    int e = -1;
    if (setgid(NOBODY) == 0 && setuid(NOBODY) == 0) {
      int fd = sock_bound(proto, false, ip, port, reuseport, false, &e);
      if (fd < 0) e = -1;
    }
    if (write(p[1], &e, sizeof e) != (ssize_t)sizeof e) _exit(1);
    _exit(0);
  }
  close(p[1]);
  int e = -1;
  if (k < 0 || read(p[0], &e, sizeof e) != (ssize_t)sizeof e) e = -1;
  close(p[0]);
  if (k > 0) waitpid(k, NULL, 0);
  (void)l;
  if (e < 0) snprintf(why, cap, "cannot run a child as uid %d (needs root, not only capabilities)", NOBODY);
  *pid = k;
  return e;
}

static unsigned unprivileged_port_start(void) {
  FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
  unsigned v = 1024;
  if (f) {
    if (fscanf(f, "%u", &v) != 1) v = 1024;
    fclose(f);
  }
  return v;
}

/* The cases, in the order provoke() runs them: row i is case i of its switch. */
static const struct {
  const char *name, *what, *expect_rules;
} k_cases[] = {
    {"tcp-in-use", "a second bind() on 127.0.0.1:PORT/tcp while another process listens there", "L04"},
    {"udp-in-use", "a second bind() on 127.0.0.1:PORT/udp while another process holds it", "L04"},
    {"dual-stack", "bind() on [::]:PORT/tcp with IPV6_V6ONLY=0 while another process listens on 0.0.0.0:PORT",
     "L02|L04"},
    {"privileged-port", "bind() as uid 65534 on 127.0.0.1:PORT/tcp below net.ipv4.ip_unprivileged_port_start",
     "L01"},
    {"reuseport-other-user",
     "bind() with SO_REUSEPORT as uid 65534 on a UDP port that root holds with SO_REUSEPORT", "L06"},
    {"success", "a bind() that works (127.0.0.1:PORT/tcp, a free port) must give no finding", NULL},
};

/* Aims case c at a port another process holds: a holder of proto on hold_ip (a free port,
 * with SO_REUSEPORT when asked), and c's address ip (v6 or not) on that port. Returns the
 * port, 0 when the holder could not bind (c->why says so). */
static uint16_t aim_at_holder(linux_st *l, pc_selftest_case *c, uint8_t proto, const char *hold_ip,
                              bool reuseport, bool v6, const char *ip) {
  pid_t holder = 0;
  uint16_t port = hold(l, proto, hold_ip, 0, reuseport, &holder, c->why, sizeof c->why);
  fill_addr(c, proto, v6, ip, port);
  if (port) c->holder_pid = (uint32_t)holder;
  return port;
}

/* TCP or UDP in use: a second plain bind() on a port another process holds. */
static void provoke_in_use(linux_st *l, pc_selftest_case *c, uint8_t proto) {
  uint16_t port = aim_at_holder(l, c, proto, "127.0.0.1", false, false, "127.0.0.1");
  if (!port) return;
  int e;
  int fd = sock_bound(proto, false, "127.0.0.1", port, false, false, &e);
  if (fd >= 0) close(fd);
  c->error = e;
}

static int provoke(void *ud, unsigned i, pc_selftest_case *c) {
  if (i >= sizeof k_cases / sizeof k_cases[0]) return PC_EEND;
  linux_st *l = ud;
  pid_t holder = 0;
  int e;
  c->name = k_cases[i].name;
  c->what = k_cases[i].what;
  c->expect_rules = k_cases[i].expect_rules;
  c->pid = (uint32_t)getpid();
  switch (i) {
    case 0: /* TCP in use: a second plain bind on a listening port */
    case 1: /* UDP in use */
      provoke_in_use(l, c, i == 0 ? PC_PROTO_TCP : PC_PROTO_UDP);
      break;
    case 2: { /* dual-stack [::] against an IPv4 holder */
      uint16_t port = aim_at_holder(l, c, PC_PROTO_TCP, "0.0.0.0", false, true, "::");
      if (!port) break;
      int fd = sock_bound(PC_PROTO_TCP, true, "::", port, false, true, &e);
      if (fd < 0) {
        snprintf(c->why, sizeof c->why, "no IPv6 on this machine (%s)", strerror(errno));
        break;
      }
      close(fd);
      c->error = e;
      if (!e) snprintf(c->why, sizeof c->why, "this kernel let [::] share the port with 0.0.0.0");
      break;
    }
    case 3: { /* a privileged port without CAP_NET_BIND_SERVICE */
      unsigned start = unprivileged_port_start();
      fill_addr(c, PC_PROTO_TCP, false, "127.0.0.1", 0);
      if (start <= 1) {
        snprintf(c->why, sizeof c->why, "every port is unprivileged here (ip_unprivileged_port_start=%u)",
                 start);
        break;
      }
      /* A port below the limit that is free (a test bind as ourselves succeeds). */
      uint16_t port = 0;
      for (unsigned p = start - 1; p >= 1 && !port; p--) {
        int fd = sock_bound(PC_PROTO_TCP, false, "127.0.0.1", (uint16_t)p, false, false, &e);
        if (fd >= 0) close(fd);
        if (fd >= 0 && e == 0) port = (uint16_t)p;
      }
      if (!port) {
        snprintf(c->why, sizeof c->why, "no free port below %u", start);
        break;
      }
      c->addr.port = port;
      e = bind_as_nobody(l, PC_PROTO_TCP, "127.0.0.1", port, false, &holder, c->why, sizeof c->why);
      if (e < 0) break;
      c->pid = (uint32_t)holder;
      c->error = e;
      break;
    }
    case 4: { /* SO_REUSEPORT across users */
      uint16_t port = aim_at_holder(l, c, PC_PROTO_UDP, "127.0.0.1", true, false, "127.0.0.1");
      if (!port) break;
      pid_t kid;
      e = bind_as_nobody(l, PC_PROTO_UDP, "127.0.0.1", port, true, &kid, c->why, sizeof c->why);
      if (e < 0) break;
      c->pid = (uint32_t)kid;
      c->error = e;
      break;
    }
    case 5: { /* a successful bind: no finding */
      int fd = sock_bound(PC_PROTO_TCP, false, "127.0.0.1", 0, false, false, &e);
      uint16_t port = fd >= 0 && e == 0 ? local_port(fd) : 0;
      fill_addr(c, PC_PROTO_TCP, false, "127.0.0.1", port);
      if (fd >= 0 && l->n_fds < MAX_KIDS)
        l->fds[l->n_fds++] = fd;
      else if (fd >= 0)
        close(fd);
      if (!port) snprintf(c->why, sizeof c->why, "could not bind a free port");
      c->error = e;
      break;
    }
  }
  /* A case whose provocation did not give the failure it is about is skipped, said why. */
  if (!c->why[0] && c->error == 0 && i != 5)
    snprintf(c->why, sizeof c->why, "the bind unexpectedly succeeded");
  c->skipped = c->why[0] != '\0';
  return PC_OK;
}

static void cleanup(void *ud) {
  linux_st *l = ud;
  for (int i = 0; i < l->n_kids; i++) {
    kill(l->kids[i], SIGKILL);
    waitpid(l->kids[i], NULL, 0);
  }
  l->n_kids = 0;
  for (int i = 0; i < l->n_fds; i++) close(l->fds[i]);
  l->n_fds = 0;
}

static int privileges(char *msg, size_t cap) {
  return pc_ebpf_check_privileges(msg, cap);
}

static int open_source(void *ud, pc_pipeline *p, pc_source **out) {
  (void)p;
  return pc__ebpf_open_live(&((linux_st *)ud)->eo, "selftest", out);
}

int pc_cmd_selftest(int argc, char **argv) {
  linux_st l;
  memset(&l, 0, sizeof l);
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_SELFTEST, argc, argv, stdout, stderr);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  static const pc_ebpf_hooks hooks[] = {PC_EBPF_HOOKS_AUTO, PC_EBPF_HOOKS_TRACEPOINT, PC_EBPF_HOOKS_RAW};
  pc_ebpf_options_init(&l.eo);
  l.eo.hooks = hooks[o.hooks];
  if (o.without_bind_hook) {
    l.eo.without_bind_hook = true;
    l.eo.hooks = PC_EBPF_HOOKS_TRACEPOINT;
  }
  bool json = o.json;
  unsigned timeout_ms = (unsigned)(o.timeout / PC_TIME_TICKS_PER_MS);
  pc_selftest_platform pl = {
      {"linux", 0, "ebpf", open_source, NULL, NULL, &l, 0}, privileges, provoke, cleanup, &l, NULL};
  return pc_selftest_run_collect(&pl, json, timeout_ms, o.collect_dir);
}
