/* cmd_selftest-none.c - `portclash selftest` where this build has no live source to test
 * (Windows: the ETW self-test is not written yet; Linux without the eBPF source): say so,
 * and what to run instead. */
#include <stdio.h>

#include "cli.h"

int pc_cmd_selftest(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs(
      "portclash selftest: this build cannot test a live source: the self-test exists for the Linux eBPF\n"
      "source only so far. On Windows, 'portclash monitor --attempts' shows what the kernel providers\n"
      "deliver while you make a bind fail.\n",
      stderr);
  return PC_EXIT_FAILURE;
}
