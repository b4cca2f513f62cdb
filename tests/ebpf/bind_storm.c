/* bind_storm.c - failing binds in bulk, and a listener, for the eBPF counting and fairness
 * tests (storm_e2e.sh) and for measuring them. One line on stdout per fact:
 *   pc_bind_storm burst N [GAP_US]
 *       holds 127.0.0.1:PORT (a port the kernel picks; "PORT p") and fails N binds on it
 *       (EADDRINUSE) from one socket, GAP_US apart; prints "FAILED n" (the ones that failed)
 *   pc_bind_storm eacces UID FIRST LAST MS [ADDRS]
 *       becomes UID (needs root) and binds 127.0.0.1 ports FIRST..LAST round and round for MS
 *       milliseconds (with ADDRS, each round on the next of 127.0.0.1..127.0.0.ADDRS: that
 *       many times more distinct failures); below ip_unprivileged_port_start each fails with
 *       EACCES; prints "FAILED n" (failed binds) and "CPU_US u" (this process's CPU time)
 *   pc_bind_storm listen MS
 *       listens on 127.0.0.1:PORT (picked by the kernel; "PORT p") for MS milliseconds */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long arg_long(const char *s, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < lo || v > hi) {
    fprintf(stderr, "pc_bind_storm: bad number '%s' (%ld..%ld)\n", s, lo, hi);
    exit(2);
  }
  return v;
}

/* 127.0.0.1 + k:port (all of 127/8 is local on Linux). */
static struct sockaddr_in loopback_n(int port, long k) {
  struct sockaddr_in in;
  memset(&in, 0, sizeof in);
  in.sin_family = AF_INET;
  in.sin_port = htons((uint16_t)port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)k);
  return in;
}

static struct sockaddr_in loopback(int port) {
  return loopback_n(port, 0);
}

/* A TCP listener on 127.0.0.1 at a port the kernel picks; its port in *port. */
static int listener(int *port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in in = loopback(0);
  socklen_t len = sizeof in;
  if (s < 0 || bind(s, (struct sockaddr *)&in, sizeof in) != 0 || listen(s, 16) != 0 ||
      getsockname(s, (struct sockaddr *)&in, &len) != 0) {
    perror("pc_bind_storm: listener");
    exit(1);
  }
  *port = ntohs(in.sin_port);
  return s;
}

static uint64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp(argv[1], "burst") == 0) {
    long n = arg_long(argv[2], 1, 100000000), gap = argc > 3 ? arg_long(argv[3], 0, 10000000) : 0;
    int port, hold = listener(&port);
    printf("PORT %d\n", port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = loopback(port);
    long failed = 0;
    for (long i = 0; i < n; i++) {
      if (bind(s, (struct sockaddr *)&in, sizeof in) != 0 && errno == EADDRINUSE) failed++;
      if (gap) usleep((useconds_t)gap);
    }
    printf("FAILED %ld\n", failed);
    close(s);
    close(hold);
    return 0;
  }
  if ((argc == 6 || argc == 7) && strcmp(argv[1], "eacces") == 0) {
    long uid = arg_long(argv[2], 1, 4294967294L), first = arg_long(argv[3], 1, 65535),
         last = arg_long(argv[4], first, 65535), ms = arg_long(argv[5], 1, 3600000),
         addrs = argc == 7 ? arg_long(argv[6], 1, 254) : 1, addr = 0;
    if (setgroups(0, NULL) != 0 || setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) != 0 ||
        setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) {
      perror("pc_bind_storm: cannot become the uid (run as root)");
      return 1;
    }
    int s = socket(AF_INET, SOCK_STREAM, 0);
    long failed = 0, port = first;
    uint64_t end = now_ms() + (uint64_t)ms;
    for (long i = 0;; i++) {
      if ((i & 255) == 0 && now_ms() >= end) break;
      struct sockaddr_in in = loopback_n((int)port, addr);
      if (bind(s, (struct sockaddr *)&in, sizeof in) != 0 && errno == EACCES) failed++;
      if (port == last) addr = (addr + 1) % addrs;
      port = port == last ? first : port + 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("FAILED %ld\n", failed);
    printf("CPU_US %lld\n", (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                                (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "listen") == 0) {
    long ms = arg_long(argv[2], 0, 3600000);
    int port, s = listener(&port);
    printf("PORT %d\n", port);
    usleep((useconds_t)ms * 1000);
    close(s);
    return 0;
  }
  fprintf(stderr, "usage: pc_bind_storm burst N [GAP_US] | eacces UID FIRST LAST MS [ADDRS] | listen MS\n");
  return 2;
}
