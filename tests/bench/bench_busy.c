/* bench_busy.c - the busy host of the Linux benchmarks (pc_bench_busy.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_bench_busy.h"

/* One holder: listens on per ports, reports them on fd, then waits to be killed. */
static void holder(int idx, int per, int base, int fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)per + 64) {
    rl.rlim_cur = (rlim_t)per + 64;
    if (rl.rlim_max < rl.rlim_cur) rl.rlim_max = rl.rlim_cur; /* root may raise the hard limit */
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  uint16_t *ports = calloc((size_t)per, sizeof *ports);
  if (!ports) _exit(1);
  for (int j = 0; j < per; j++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) continue;
    struct sockaddr_in in;
    memset(&in, 0, sizeof in);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int want = base + idx * per + j; /* past 65535: the kernel chooses */
    in.sin_port = htons(want <= 65535 ? (uint16_t)want : 0);
    socklen_t sl = sizeof in;
    if (bind(s, (struct sockaddr *)&in, sl) != 0) { /* taken: let the kernel choose */
      in.sin_port = 0;
      if (bind(s, (struct sockaddr *)&in, sl) != 0) {
        close(s);
        continue;
      }
    }
    if (listen(s, 1) != 0 || getsockname(s, (struct sockaddr *)&in, &sl) != 0) {
      close(s);
      continue;
    }
    ports[j] = ntohs(in.sin_port);
  }
  size_t len = (size_t)per * sizeof *ports;
  if (write(fd, ports, len) != (ssize_t)len) _exit(1);
  close(fd);
  for (;;) pause();
}

size_t pc_bench_busy_start(int procs, int per, int base, uint16_t *ports, pid_t *owners, size_t cap,
                           pid_t *pids, size_t *npids) {
  *npids = 0;
  uint16_t *buf = calloc((size_t)per, sizeof *buf);
  size_t n = 0;
  for (int c = 0; buf && c < procs; c++) {
    int p[2];
    if (pipe(p) != 0) break;
    pid_t pid = fork();
    if (pid < 0) {
      close(p[0]);
      close(p[1]);
      break;
    }
    if (pid == 0) {
      close(p[0]);
      holder(c, per, base, p[1]);
    }
    pids[(*npids)++] = pid;
    close(p[1]);
    size_t got = 0, len = (size_t)per * sizeof *buf;
    while (got < len) {
      ssize_t k = read(p[0], (char *)buf + got, len - got);
      if (k <= 0) break;
      got += (size_t)k;
    }
    close(p[0]);
    for (int j = 0; got == len && j < per && n < cap; j++)
      if (buf[j]) {
        if (owners) owners[n] = pid;
        ports[n++] = buf[j];
      }
  }
  free(buf);
  return n;
}

void pc_bench_busy_stop(pid_t *pids, size_t *npids) {
  for (size_t i = 0; i < *npids; i++)
    if (pids[i] > 0) kill(pids[i], SIGKILL);
  for (size_t i = 0; i < *npids; i++)
    if (pids[i] > 0) waitpid(pids[i], NULL, 0);
  *npids = 0;
}
