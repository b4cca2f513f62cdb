/* state_unit_driver: one run of the watcher's learned-ports persistence with the default
 * state directory (options.state_dir NULL, so pc_state_dir_default() decides), for
 * state_unit_env.sh, which runs it twice in the environment of portclash.service.
 *   state_unit_driver learn PORT   a successful listen on tcp PORT is seen; saved at exit
 *   state_unit_driver check PORT   a new watcher must have loaded tcp PORT as learned
 * Prints the state directory it used. Any warning about the state files fails the run.
 * Exit 0 pass, 1 fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learned_ports.h"
#include "pc_error.h"
#include "pc_os.h"
#include "pc_watch.h"

static void on_finding(void *ud, const pc_finding *f) {
  (void)f;
  ++*(int *)ud;
}

int main(int argc, char **argv) {
  if (argc != 3 || (strcmp(argv[1], "learn") != 0 && strcmp(argv[1], "check") != 0)) {
    fprintf(stderr, "usage: state_unit_driver learn|check PORT\n");
    return 2;
  }
  char *end;
  long port = strtol(argv[2], &end, 10);
  if (*end || port <= 0 || port > 65535) return 2;
  char dir[4096];
  int rc = pc_state_dir_default(dir, sizeof dir);
  printf("state directory: %s (%s)\n", rc == PC_OK ? dir : "-", pc_strerror(rc));

  pc_rules_compiler *c;
  pc_ruleset *rules = NULL;
  if (pc_rules_compiler_new(&c) != PC_OK) return 1;
  pc_rules_compiler_add_defaults(c);
  rc = pc_rules_compiler_build(c, &rules);
  pc_rules_compiler_free(c);
  if (rc != PC_OK) return 1;

  FILE *warn = tmpfile();
  if (!warn) return 1;
  pc_watcher_options o;
  pc_watcher_options_init(&o);
  o.rules = rules;
  o.source = "poll";
  o.host = "test-host";
  o.os = "linux";
  o.warn = warn;
  int findings = 0;
  pc_watcher *w;
  if (pc_watcher_new(&o, on_finding, &findings, &w) != PC_OK) return 1;

  int ok = 1;
  if (strcmp(argv[1], "learn") == 0) {
    pc_bind_attempt a;
    memset(&a, 0, sizeof a);
    a.pid = 4242;
    a.pid_known = true;
    a.local.family = PC_AF_INET;
    a.local.port = (uint16_t)port;
    a.addr_known = true;
    a.proto = PC_PROTO_TCP;
    a.socktype = 1;
    a.stage = PC_STAGE_LISTEN;
    snprintf(a.comm, sizeof a.comm, "pc-unit-test");
    pc_watcher_on_attempt(w, &a);
    if (!pc_learned_find(pc_watcher_learned(w), PC_PROTO_TCP, (uint16_t)port)) {
      printf("FAIL: tcp %ld was not learned\n", port);
      ok = 0;
    }
    if (pc_watcher_save(w) != PC_OK) ok = 0;
  } else {
    const pc_learned_port *p = pc_learned_find(pc_watcher_learned(w), PC_PROTO_TCP, (uint16_t)port);
    if (!p || strcmp(p->process, "pc-unit-test") != 0 || p->pid != 4242) {
      printf("FAIL: tcp %ld (pc-unit-test, pid 4242) was not loaded from the state directory\n", port);
      ok = 0;
    } else {
      printf("loaded: tcp %ld pid %u %s\n", port, p->pid, p->process);
    }
  }
  pc_watcher_free(w);
  pc_ruleset_free(rules);

  char text[2048];
  rewind(warn);
  size_t n = fread(text, 1, sizeof text - 1, warn);
  text[n] = '\0';
  fclose(warn);
  if (n) {
    printf("FAIL: warnings about the state:\n%s", text);
    ok = 0;
  }
  return ok ? 0 : 1;
}
