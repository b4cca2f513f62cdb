/* Linux: owners are looked up in the failing process's network namespace. The test moves to
 * a private network namespace of its own, so no other program on the host can hold the port it
 * uses; a child process moves to a second new namespace and listens there. From the test's
 * namespace the port is free, from the child's it is held by the child. Needs root (unshare);
 * skips otherwise. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_test.h"

/* Listens on 0.0.0.0:port in a new network namespace; reports 'y' or 'n' on fd, then waits. */
static void child(int fd, uint16_t port) {
  char ok = 'n';
  /* A failed check returns from the test without killing us: die with the parent, or ctest
   * waits for the output pipe we hold until its timeout. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1) _exit(1);
  if (unshare(CLONE_NEWNET) == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s, 1) == 0) ok = 'y';
  }
  if (write(fd, &ok, 1) != 1) _exit(1);
  pause();
  _exit(0);
}

PC_TEST(owner_found_in_the_failing_process_namespace) {
  if (geteuid() != 0) PC_SKIP("needs root to create a network namespace");
  /* Both namespaces are private to this test and empty, so any port is free in both. */
  if (unshare(CLONE_NEWNET) != 0) PC_SKIP("unshare(CLONE_NEWNET) is not allowed here");
  const uint16_t port = 20000;
  int p[2];
  PC_CHECK(pipe(p) == 0);
  pid_t pid = fork();
  if (pid == 0) child(p[1], port);
  char ok = 0;
  PC_CHECK(read(p[0], &ok, 1) == 1);
  if (ok != 'y') {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    PC_SKIP("unshare(CLONE_NEWNET) is not allowed here");
  }
  char err[256];
  pc_hoststate *hs;
  PC_CHECK_INT(pc_hoststate_open_live(&hs, err, sizeof err), PC_OK);
  pc_facts f;
  memset(&f, 0, sizeof f);
  f.attempt.proto = PC_PROTO_TCP;
  f.attempt.local.family = PC_AF_INET;
  f.attempt.local.port = port;
  f.attempt.addr_known = true;
  /* Without a process to look from: our namespace, where the port is free. */
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(!f.owner_known);
  /* From the child's namespace: the child holds it, and it is another namespace. */
  memset(&f, 0, sizeof f);
  f.attempt.proto = PC_PROTO_TCP;
  f.attempt.local.family = PC_AF_INET;
  f.attempt.local.port = port;
  f.attempt.addr_known = true;
  f.attempt.pid = (uint32_t)pid;
  f.attempt.pid_known = true;
  PC_CHECK_INT(pc_hoststate_enrich(hs, &f), PC_OK);
  PC_CHECK(f.owner_known);
  PC_CHECK_UINT(f.owner_pid, (uint32_t)pid);
  PC_CHECK(f.netns_known && f.other_netns);
  /* As root, through sock_diag in the child's namespace (setns on a helper thread), not
   * through the /proc/PID/net files. */
  pc_hoststate_linux_stats st;
  PC_CHECK(pc_hoststate_linux_get_stats(hs, &st));
  PC_CHECK(st.diag_queries > 0);
  PC_CHECK_UINT(st.proc_net_scans, 0);
  pc_hoststate_close(hs);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}
