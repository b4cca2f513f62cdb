/* cmd_monitor-none.c - `portclash monitor` in a build without the eBPF source (the build
 * did not find clang, bpftool or libbpf). --help works (the options are the table's); running
 * says what is missing and how to get it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "pc_error.h"

int pc_cmd_monitor(int argc, char **argv) {
  pc_options o;
  int rc = pc_options_parse(&o, PC_CMD_MONITOR, argc, argv, stdout, stderr);
  if (rc != PC_OPTIONS_RUN) return rc == PC_OPTIONS_HELP ? PC_EXIT_OK : rc;
  fputs(
      "portclash monitor: this portclash was built without the eBPF source, so it cannot watch "
      "bind failures live.\n"
      "  install libbpf-dev bpftool clang (Debian/Ubuntu: sudo apt-get install libbpf-dev bpftool "
      "clang libelf-dev zlib1g-dev pkg-config) and rebuild;\n"
      "  meanwhile 'portclash explain PORT' says why a port cannot be bound right now.\n",
      stderr);
  return PC_EXIT_FAILURE;
}
