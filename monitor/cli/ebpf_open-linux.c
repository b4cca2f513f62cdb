/* ebpf_open-linux.c - starting the live eBPF source for `portclash monitor`, `collect` and
 * `selftest` (ebpf_open-linux.h). */
#include <stdio.h>

#include "cli.h"
#include "ebpf_open-linux.h"
#include "pc_error.h"

int pc__ebpf_open_live(const pc_ebpf_options *o, const char *command, pc_source **out) {
  char err[1536];
  int rc = pc_source_open_ebpf(o, out, err, sizeof err);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash %s: %s\n", command, err);
    return rc == PC_EPRIV ? PC_EXIT_PRIVILEGE : PC_EXIT_FAILURE;
  }
  return PC_EXIT_OK;
}
