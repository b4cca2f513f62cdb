/* monitor_main.c - a stand-in for portclash's main.c that only knows `monitor`, so the
 * eBPF end-to-end test can run even in a tree whose main.c does not dispatch to it yet. The
 * test prefers the real portclash binary when that has the command. */
#include <stdio.h>
#include <string.h>

#include "pc_cli.h"
#include "pc_cmd_monitor.h"

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "monitor") != 0) {
    fputs("usage: pc_monitor_dev monitor [OPTIONS]\n", stderr);
    return PC_EXIT_USAGE;
  }
  return pc_cmd_monitor(argc - 1, argv + 1);
}
