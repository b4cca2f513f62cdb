/* The Linux owner lookup on busy hosts: a port with hundreds of sockets is looked up once
 * (sock_diag, no /proc walk) and then served from the cache; a socket created after the
 * socket-inode index was built is found without walking every process again; process details
 * are cached by (PID, start time) and a reused PID is read afresh. Skips where sockets cannot
 * be made. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_test.h"

/* A TCP listener on 127.0.0.1:port (0 = any) with SO_REUSEPORT; returns the fd, port in *port. */
static int listener(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(*port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sin;
  if (bind(fd, (struct sockaddr *)&sin, sl) != 0 || listen(fd, 4) != 0 ||
      getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(sin.sin_port);
  return fd;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static pc_hoststate *open_live(void) {
  char err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs = NULL;
  if (pc_hoststate_open_linux(&hs, err, sizeof err) != PC_OK) return NULL;
  return hs;
}

PC_TEST(many_sockets_on_one_port_are_one_query_then_cached) {
  enum { N = 300 };
  int fds[N];
  uint16_t port = 0;
  size_t made = 0;
  for (; made < N; made++) {
    fds[made] = listener(&port);
    if (fds[made] < 0) break;
  }
  if (made < N) {
    for (size_t i = 0; i < made; i++) close(fds[i]);
    PC_SKIP("cannot open 300 listeners on one port here");
  }
  pc_hoststate *hs = open_live();
  PC_CHECK(hs != NULL);
  if (!hs) return;
  pc_owner o[8];
  size_t total = 0;
  pc_hoststate_linux_stats a, b, c;
  pc_hoststate_linux_get_stats(hs, &a);
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, port, NULL, o, 8, &total), PC_OK);
  PC_CHECK_INT(total, N);
  PC_CHECK_UINT(o[0].pid, (uint32_t)getpid());
  PC_CHECK_INT(o[0].state, PC_OWNER_STATE_LISTEN);
  pc_hoststate_linux_get_stats(hs, &b);
  /* sock_diag where it works (one dump per family), else the /proc/net files. */
  PC_CHECK(b.diag_queries - a.diag_queries == 2 || b.proc_net_scans - a.proc_net_scans == 2);
  /* Every socket's inode was resolved from one walk that built the index. */
  PC_CHECK_UINT(b.index_full_walks, 1);
  /* Again: the cache answers (a port with more than 64 sockets used not to be cached). */
  PC_CHECK_INT(pc_hoststate_owners(hs, PC_PROTO_TCP, port, NULL, o, 8, &total), PC_OK);
  PC_CHECK_INT(total, N);
  PC_CHECK_UINT(o[0].pid, (uint32_t)getpid());
  pc_hoststate_linux_get_stats(hs, &c);
  PC_CHECK_UINT(c.row_cache_hits, b.row_cache_hits + 1);
  PC_CHECK_UINT(c.diag_queries, b.diag_queries);
  PC_CHECK_UINT(c.proc_net_scans, b.proc_net_scans);
  PC_CHECK_UINT(c.fd_links_read, b.fd_links_read);
  /* Process details of the owner come from the cache after the first read. */
  PC_CHECK(c.process_hits > 0);
  /* Explaining a failure there: the best owner comes from the holder snapshot (one dump of
   * every listener), then from it again without another dump. */
  for (int round = 0; round < 2; round++) {
    pc_facts f;
    memset(&f, 0, sizeof f);
    f.attempt.proto = PC_PROTO_TCP;
    f.attempt.addr_known = true;
    pc_addr_parse_ip("127.0.0.1", &f.attempt.local);
    f.attempt.local.port = port;
    PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
    PC_CHECK(f.owner_known);
    PC_CHECK_UINT(f.owner_pid, (uint32_t)getpid());
    PC_CHECK_INT(f.owner_state, PC_OWNER_STATE_LISTEN);
  }
  pc_hoststate_linux_get_stats(hs, &c);
  if (c.diag_queries) {
    PC_CHECK_UINT(c.snapshot_builds, 1);
    PC_CHECK_UINT(c.snapshot_hits, 2);
  }
  pc_hoststate_close(hs);
  for (size_t i = 0; i < N; i++) close(fds[i]);
}

/* A storm of EACCES over many ports (a user binding 1-1023 without the capability): no
 * socket can cause EACCES on Linux, so the holder snapshot answers every port, even one it
 * shows no socket on, without the exact per-port dump (a walk of the kernel's whole table).
 * EADDRINUSE on a port the snapshot shows empty still gets the exact dump: some socket holds
 * the port, maybe one the snapshot does not list (bound, not listening). */
PC_TEST(eacces_storm_over_many_ports_costs_no_per_port_dump) {
  pc_hoststate *hs = open_live();
  PC_CHECK(hs != NULL);
  if (!hs) return;
  pc_hoststate_linux_stats a, b, c;
  pc_hoststate_linux_get_stats(hs, &a);
  for (unsigned port = 1; port <= 300; port++) {
    pc_facts f;
    memset(&f, 0, sizeof f);
    f.attempt.proto = PC_PROTO_TCP;
    f.attempt.addr_known = true;
    pc_addr_parse_ip("0.0.0.0", &f.attempt.local);
    f.attempt.local.port = (uint16_t)port;
    f.attempt.failed = f.attempt.error_known = f.attempt.error_is_errno = true;
    f.attempt.error = 13; /* EACCES */
    PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  }
  pc_hoststate_linux_get_stats(hs, &b);
  if (!b.snapshot_builds) {
    pc_hoststate_close(hs);
    PC_SKIP("sock_diag is not available here: no holder snapshot to answer from");
  }
  /* One snapshot (four dumps: TCP and UDP, IPv4 and IPv6), maybe a second if the loop
   * crossed its one-second age; never one dump per port. */
  PC_CHECK(b.diag_queries - a.diag_queries <= 8);
  pc_facts f;
  memset(&f, 0, sizeof f);
  f.attempt.proto = PC_PROTO_TCP;
  f.attempt.addr_known = true;
  pc_addr_parse_ip("0.0.0.0", &f.attempt.local);
  f.attempt.local.port = 7; /* nobody listens on echo here */
  f.attempt.failed = f.attempt.error_known = f.attempt.error_is_errno = true;
  f.attempt.error = 98; /* EADDRINUSE */
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  pc_hoststate_linux_get_stats(hs, &c);
  PC_CHECK(c.diag_queries - b.diag_queries >= 2);
  pc_hoststate_close(hs);
}

/* Looks port up until its owner is known (the index refreshes at most once per ten times
 * its own duration, so an immediate retry may be refused); returns the owner PID or 0. */
static uint32_t owner_of(pc_hoststate *hs, uint16_t port) {
  for (int tries = 0; tries < 200; tries++) {
    pc_owner o[2];
    size_t total = 0;
    pc_hoststate_refresh(hs); /* drop the per-port row cache */
    if (pc_hoststate_owners(hs, PC_PROTO_TCP, port, NULL, o, 2, &total) == PC_OK && total > 0 && o[0].pid)
      return o[0].pid;
    sleep_ms(10);
  }
  return 0;
}

PC_TEST(owner_found_for_a_socket_created_after_the_index) {
  uint16_t p0 = 0;
  int f0 = listener(&p0);
  if (f0 < 0) PC_SKIP("cannot bind a loopback socket here");
  pc_hoststate *hs = open_live();
  PC_CHECK(hs != NULL);
  if (!hs) return;
  PC_CHECK_UINT(owner_of(hs, p0), (uint32_t)getpid()); /* builds the index */
  pc_hoststate_linux_stats a, b;
  pc_hoststate_linux_get_stats(hs, &a);
  PC_CHECK_UINT(a.index_full_walks, 1);

  /* A new socket of a process already indexed (its fd count changed). */
  uint16_t p1 = 0;
  int f1 = listener(&p1);
  PC_CHECK(f1 >= 0);
  sleep_ms(20);
  PC_CHECK_UINT(owner_of(hs, p1), (uint32_t)getpid());
  /* A process started after the index was built. */
  int pipefd[2];
  PC_CHECK(pipe(pipefd) == 0);
  pid_t child = fork();
  if (child == 0) {
    uint16_t p2 = 0;
    int f2 = listener(&p2);
    if (write(pipefd[1], &p2, sizeof p2) != (ssize_t)sizeof p2 || f2 < 0) _exit(1);
    pause();
    _exit(0);
  }
  uint16_t p2 = 0;
  PC_CHECK(read(pipefd[0], &p2, sizeof p2) == (ssize_t)sizeof p2);
  sleep_ms(20);
  PC_CHECK_UINT(owner_of(hs, p2), (uint32_t)child);
  pc_hoststate_linux_get_stats(hs, &b);
  /* Found by refreshing new and changed processes only, not by walking everything again. */
  PC_CHECK_UINT(b.index_full_walks, 1);
  PC_CHECK(b.index_refreshes >= 2);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  close(pipefd[0]);
  close(pipefd[1]);
  close(f1);
  close(f0);
  pc_hoststate_close(hs);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char path[1200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return;
  fputs(text, f);
  fclose(f);
}

static void fake_stat(const char *pid_dir, const char *comm, unsigned long long start) {
  char buf[512];
  snprintf(buf, sizeof buf,
           "4321 (%s) S 1 4321 4321 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000000 100 "
           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
           comm, start);
  write_file(pid_dir, "stat", buf);
  snprintf(buf, sizeof buf, "%s\n", comm);
  write_file(pid_dir, "comm", buf);
}

PC_TEST(reused_pid_is_read_afresh) {
  char root[] = "/tmp/pc_hs_pidreuse_XXXXXX";
  PC_CHECK(mkdtemp(root) != NULL);
  char pid_dir[1100];
  snprintf(pid_dir, sizeof pid_dir, "%s/4321", root);
  PC_CHECK(mkdir(pid_dir, 0755) == 0);
  fake_stat(pid_dir, "first (x)", 1000);
  write_file(pid_dir, "status", "Name:\tfirst\nUid:\t0\t0\t0\t0\n");
  char err[PC_HOSTSTATE_ERR_MAX];
  pc_hoststate *hs;
  PC_CHECK_INT(pc_hoststate_open_linux_at(root, &hs, err, sizeof err), PC_OK);
  if (!hs) return;
  pc_process_info pi;
  pc_hoststate_linux_stats st;
  PC_CHECK_INT(pc_hoststate_process(hs, 4321, &pi), PC_OK);
  PC_CHECK_STR(pi.name, "first (x)");
  /* Same PID, same start time: the cache answers (the comm file is not read again). */
  write_file(pid_dir, "comm", "changed-behind-our-back\n");
  PC_CHECK_INT(pc_hoststate_process(hs, 4321, &pi), PC_OK);
  PC_CHECK_STR(pi.name, "first (x)");
  pc_hoststate_linux_get_stats(hs, &st);
  PC_CHECK_UINT(st.process_reads, 1);
  PC_CHECK_UINT(st.process_hits, 1);
  /* The PID is reused by a process started later: read afresh. */
  fake_stat(pid_dir, "second", 2000);
  PC_CHECK_INT(pc_hoststate_process(hs, 4321, &pi), PC_OK);
  PC_CHECK_STR(pi.name, "second");
  /* The same process after execve(): another name in stat, read afresh too. */
  fake_stat(pid_dir, "third", 2000);
  PC_CHECK_INT(pc_hoststate_process(hs, 4321, &pi), PC_OK);
  PC_CHECK_STR(pi.name, "third");
  pc_hoststate_linux_get_stats(hs, &st);
  PC_CHECK_UINT(st.process_reads, 3);
  /* Gone: not found, whatever was cached. */
  char path[1200];
  const char *files[] = {"stat", "comm", "status"};
  for (size_t i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/%s", pid_dir, files[i]);
    remove(path);
  }
  rmdir(pid_dir);
  PC_CHECK_INT(pc_hoststate_process(hs, 4321, &pi), PC_ENOENT);
  pc_hoststate_close(hs);
  rmdir(root);
}
