/* cmd_collect-none.c - `portclash collect` in a build without a live source (Linux without
 * the eBPF source, other systems): it says so before creating anything. */
#include <stdio.h>

#include "cli.h"
#include "collect.h"
#include "options.h"

int pc__collect_preflight(const char *command) {
  fprintf(stderr,
          "portclash %s: this portclash was built without a live source, so it cannot record bind failures.\n"
          "  Linux: install libbpf-dev bpftool clang and rebuild (see 'portclash monitor').\n",
          command);
  return PC_EXIT_FAILURE;
}

void pc__collect_host_files(pc_collect *c, const char *suffix) {
  (void)c;
  (void)suffix;
}

int pc__collect_platform(pc_collect *c, const pc_options *all, bool *interrupted) {
  (void)c;
  (void)all;
  *interrupted = false;
  return pc__collect_preflight("collect");
}

int pc__cmd_collect_with(int argc, char **argv, const struct pc_etw_api *api) {
  (void)api;
  return pc_cmd_collect(argc, argv);
}
