/* Live Linux end-to-end check of the watcher (run by watch_live_e2e.sh in a private network
 * namespace, so the ports are free and the sysctl it writes is the namespace's own):
 *   1. picks two free TCP ports P1, P2 and watches both (state in a fresh temporary dir);
 *   2. polls the live host state once (the baseline: must report nothing);
 *   3. adds P1 to /proc/sys/net/ipv4/ip_local_reserved_ports and starts a child process
 *      listening on P2;
 *   4. polls again and expects a port_at_risk finding for P1 (excluded_range, rule W06)
 *      and one for P2 (new_holder, owner_pid = the child).
 * Prints the findings as JSON lines. Exit 0 pass, 1 fail, 77 when the file cannot be written. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pc_error.h"
#include "pc_format.h"
#include "pc_watch.h"

#define RESERVED "/proc/sys/net/ipv4/ip_local_reserved_ports"

typedef struct seen {
  uint16_t p1, p2;
  uint32_t child;
  int got_p1, got_p2, other;
} seen;

static void on_finding(void *ud, const pc_finding *f) {
  seen *s = ud;
  char buf[8192];
  pc_format_json(f, NULL, buf, sizeof buf);
  printf("%s\n", buf);
  if (f->port == s->p1 && f->rule_id && strcmp(f->rule_id, "W06") == 0)
    s->got_p1++;
  else if (f->port == s->p2 && f->rule_id && strcmp(f->rule_id, "W07") == 0 && f->owner_pid_known &&
           f->owner_pid == s->child)
    s->got_p2++;
  else
    s->other++;
}

/* A port the kernel considers free right now (bind to 0, read it back). */
static uint16_t free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0)
    return 0;
  close(fd);
  return ntohs(a.sin_port);
}

static pc_time now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return pc_time_from_unix(ts.tv_sec, ts.tv_nsec);
}

int main(void) {
  char old[65536] = "";
  FILE *f = fopen(RESERVED, "r");
  if (!f) {
    printf("SKIP: cannot read %s\n", RESERVED);
    return 77;
  }
  size_t n = fread(old, 1, sizeof old - 1, f);
  fclose(f);
  old[n] = '\0';
  while (n && (old[n - 1] == '\n' || old[n - 1] == ' ')) old[--n] = '\0';

  seen s = {0};
  s.p1 = free_port();
  do s.p2 = free_port();
  while (s.p2 == s.p1);
  if (!s.p1 || !s.p2) {
    printf("FAIL: no free ports\n");
    return 1;
  }
  printf("P1=%u P2=%u\n", s.p1, s.p2);

  char dir[] = "/tmp/pc-watch-live-XXXXXX";
  if (!mkdtemp(dir)) return 1;
  pc_rules_compiler *c;
  pc_ruleset *rules = NULL;
  pc_rules_compiler_new(&c);
  pc_rules_compiler_add_defaults(c);
  if (pc_rules_compiler_build(c, &rules) != PC_OK) return 1;
  pc_rules_compiler_free(c);
  pc_watch_list *wl;
  pc_watch_new(&wl);
  char list[64], err[512];
  snprintf(list, sizeof list, "%u/tcp,%u/tcp", s.p1, s.p2);
  if (pc_watch_add(wl, list, "--watch", err, sizeof err) != PC_OK) return 1;
  pc_hoststate *hs;
  if (pc_hoststate_open_live(&hs, err, sizeof err) != PC_OK) {
    printf("FAIL: %s\n", err);
    return 1;
  }
  pc_watcher_options o;
  pc_watcher_options_init(&o);
  o.rules = rules;
  o.watch = wl;
  o.hoststate = hs;
  o.state_dir = dir;
  o.source = "poll";
  pc_watcher *w;
  if (pc_watcher_new(&o, on_finding, &s, &w) != PC_OK) return 1;

  pc_watcher_poll(w, hs, now());
  if (s.got_p1 || s.got_p2 || s.other) {
    printf("FAIL: the baseline poll reported something\n");
    return 1;
  }

  /* Reserve P1 (appending to whatever was there; restored below, and the namespace's copy
   * ends with it anyway). */
  char val[65600];
  snprintf(val, sizeof val, "%s%s%u\n", old, old[0] ? "," : "", s.p1);
  f = fopen(RESERVED, "w");
  if (!f || fputs(val, f) < 0 || fclose(f) != 0) {
    printf("SKIP: cannot write %s (%s): needs root and a writable /proc/sys\n", RESERVED, strerror(errno));
    return 77;
  }

  int ready[2];
  if (pipe(ready) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s.p2)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1) != 0) _exit(1);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    pause();
    _exit(0);
  }
  s.child = (uint32_t)child;
  char b;
  if (read(ready[0], &b, 1) != 1) {
    printf("FAIL: the listener did not start\n");
    return 1;
  }

  pc_watcher_poll(w, hs, now());
  kill(child, SIGTERM);
  waitpid(child, NULL, 0);

  /* Restore: the namespace may be shared when the driver is run by hand. */
  f = fopen(RESERVED, "w");
  if (f) {
    fprintf(f, "%s\n", old);
    fclose(f);
  }
  pc_watcher_free(w);
  pc_hoststate_close(hs);
  pc_watch_free(wl);
  pc_ruleset_free(rules);
  char path[256];
  snprintf(path, sizeof path, "%s/ranges-linux.state", dir);
  remove(path);
  snprintf(path, sizeof path, "%s/learned-ports.state", dir);
  remove(path);
  rmdir(dir);

  printf("P1 reserved warning: %d, P2 new listener warning: %d, other: %d\n", s.got_p1, s.got_p2, s.other);
  return s.got_p1 == 1 && s.got_p2 == 1 && s.other == 0 ? 0 : 1;
}
