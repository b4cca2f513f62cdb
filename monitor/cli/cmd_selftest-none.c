/* cmd_selftest-none.c - `portclash selftest` where this build has no live source to test
 * (Linux without the eBPF source): say so, and what to run instead. */
#include <stdio.h>

#include "cli.h"

int pc_cmd_selftest(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs(
      "portclash selftest: this build cannot test a live source: it was built without the eBPF source\n"
      "(see the README, \"Building\"). The Windows build and Linux builds with eBPF have the self-test.\n",
      stderr);
  return PC_EXIT_FAILURE;
}
