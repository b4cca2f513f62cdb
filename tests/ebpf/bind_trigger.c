/* bind_trigger.c - makes real bind()/listen() failures on loopback for the eBPF end-to-end
 * test, one line per case on stdout:
 *   CASE <name> pid=<failing pid> port=<port> errno=<errno> [holder=<pid>]
 * Usage: pc_bind_trigger BASE_PORT [LINGER_MS]. Ports BASE..BASE+4 are used. Holders are
 * separate processes (named "pc-holder") that stay alive LINGER_MS after the last case, so
 * that the monitor can name them as the owners. Needs root for the EACCES and cross-user
 * cases (it drops privileges in children). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAP_NBS 10 /* CAP_NET_BIND_SERVICE */

static pid_t holders[8];
static int n_holders;

static int sock_at(int family, int type, const char *ip, int port, int reuseaddr, int reuseport,
                   struct sockaddr_storage *ss, socklen_t *len) {
  int s = socket(family, type, 0);
  if (s < 0) return -1;
  int one = 1;
  if (reuseaddr) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  memset(ss, 0, sizeof *ss);
  if (family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &in->sin_addr);
    *len = sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
    *len = sizeof *in6;
  }
  return s;
}

/* Forks a process that binds (and for TCP listens) and then waits to be killed. Returns its
 * pid, or -1 when the bind failed. */
static pid_t hold(int family, int type, const char *ip, int port, int reuseport) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    prctl(PR_SET_NAME, "pc-holder");
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct sockaddr_storage ss;
    socklen_t len;
    int s = sock_at(family, type, ip, port, 0, reuseport, &ss, &len);
    char ok =
        s >= 0 && bind(s, (struct sockaddr *)&ss, len) == 0 && (type != SOCK_STREAM || listen(s, 8) == 0);
    if (write(p[1], &ok, 1) != 1) _exit(1);
    close(p[1]);
    for (;;) pause();
  }
  close(p[1]);
  char ok = 0;
  if (read(p[0], &ok, 1) != 1) ok = 0;
  close(p[0]);
  if (!ok) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
  }
  holders[n_holders++] = pid;
  return pid;
}

static void report(const char *name, int port, int err, pid_t holder) {
  if (holder > 0)
    printf("CASE %s pid=%d port=%d errno=%d holder=%d\n", name, (int)getpid(), port, err, (int)holder);
  else
    printf("CASE %s pid=%d port=%d errno=%d\n", name, (int)getpid(), port, err);
  fflush(stdout);
}

static int try_bind(int family, int type, const char *ip, int port, int reuseaddr, int reuseport) {
  struct sockaddr_storage ss;
  socklen_t len;
  int s = sock_at(family, type, ip, port, reuseaddr, reuseport, &ss, &len);
  if (s < 0) return errno;
  int rc = bind(s, (struct sockaddr *)&ss, len) == 0 ? 0 : errno;
  close(s);
  return rc;
}

/* Runs fn in a child (so that dropped privileges stay there) and waits for it. */
static void in_child(void (*fn)(int), int port) {
  pid_t pid = fork();
  if (pid == 0) {
    fn(port);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}

/* Without CAP_NET_BIND_SERVICE (dropped from the effective, permitted and inheritable sets,
 * still uid 0), a port below ip_unprivileged_port_start gives EACCES. */
static void eacces_case(int port) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capget, &h, d) != 0 ||
      (d[0].effective &= ~(1u << CAP_NBS), d[0].permitted &= ~(1u << CAP_NBS),
       d[0].inheritable &= ~(1u << CAP_NBS), syscall(SYS_capset, &h, d)) != 0) {
    report("eacces-setup-failed", port, errno, 0);
    return;
  }
  report("eacces", port, try_bind(AF_INET, SOCK_STREAM, "0.0.0.0", port, 0, 0), 0);
}

/* SO_REUSEPORT only shares a port between sockets of the same effective uid. */
static void reuseport_other_user_case(int port) {
  if (setgid(65534) != 0 || setuid(65534) != 0) {
    report("reuseport-setup-failed", port, errno, 0);
    return;
  }
  report("reuseport-other-user", port, try_bind(AF_INET, SOCK_DGRAM, "127.0.0.1", port, 0, 1),
         holders[n_holders - 1]);
}

/* A process whose name holds ESC, a newline and a C1 CSI: the monitor must print it escaped,
 * never raw (issue 20.3). */
static void hostile_comm_case(int port) {
  prctl(PR_SET_NAME, "e\x1b[2J\nFAKE\xc2\x9b");
  report("hostile-comm", port, try_bind(AF_INET, SOCK_STREAM, "127.0.0.1", port, 0, 0), 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pc_bind_trigger BASE_PORT [LINGER_MS]\n");
    return 2;
  }
  int base = (int)strtol(argv[1], NULL, 10);
  int linger = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1500;
  setvbuf(stdout, NULL, _IOLBF, 0);

  /* 1. TCP port held by another process. */
  pid_t h = hold(AF_INET, SOCK_STREAM, "127.0.0.1", base, 0);
  if (h > 0) report("inuse", base, try_bind(AF_INET, SOCK_STREAM, "127.0.0.1", base, 0, 0), h);
  if (h > 0) in_child(hostile_comm_case, base);

  /* 2. EACCES below ip_unprivileged_port_start without CAP_NET_BIND_SERVICE. */
  FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
  int unpriv = 1024;
  if (f) {
    if (fscanf(f, "%d", &unpriv) != 1) unpriv = 1024;
    fclose(f);
  }
  if (unpriv > 1 && geteuid() == 0) in_child(eacces_case, unpriv - 1);

  /* 3. UDP SO_REUSEPORT held by root, tried by nobody. */
  if (geteuid() == 0 && hold(AF_INET, SOCK_DGRAM, "127.0.0.1", base + 1, 1) > 0)
    in_child(reuseport_other_user_case, base + 1);

  /* 4. listen() EADDRINUSE: two SO_REUSEADDR sockets bind the same port, both listen. */
  struct sockaddr_storage ss;
  socklen_t len;
  int a = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", base + 2, 1, 0, &ss, &len);
  int b = sock_at(AF_INET, SOCK_STREAM, "127.0.0.1", base + 2, 1, 0, &ss, &len);
  if (a >= 0 && b >= 0 && bind(a, (struct sockaddr *)&ss, len) == 0 &&
      bind(b, (struct sockaddr *)&ss, len) == 0 && listen(a, 8) == 0)
    report("listen-inuse", base + 2, listen(b, 8) == 0 ? 0 : errno, 0);

  /* 5. IPv6 loopback held by another process. */
  h = hold(AF_INET6, SOCK_STREAM, "::1", base + 3, 0);
  if (h > 0) report("inuse6", base + 3, try_bind(AF_INET6, SOCK_STREAM, "::1", base + 3, 1, 0), h);

  /* Keep every holder alive while the monitor looks up the owners. */
  struct timespec ts = {linger / 1000, (long)(linger % 1000) * 1000000L};
  nanosleep(&ts, NULL);
  if (a >= 0) close(a);
  if (b >= 0) close(b);
  for (int i = 0; i < n_holders; i++) {
    kill(holders[i], SIGKILL);
    waitpid(holders[i], NULL, 0);
  }
  return 0;
}
