/* ebpf_open-linux.h - the one way `portclash monitor`, `collect` and `selftest` start the live
 * eBPF source on Linux (pc__ebpf_open_live, ebpf_open-linux.c), as etw_open-win.h is on
 * Windows. Private to the cli library. Linux only. */
#ifndef PC_CLI_EBPF_OPEN_LINUX_H
#define PC_CLI_EBPF_OPEN_LINUX_H

#include "ebpf.h"
#include "pc_source.h"

/* Opens the eBPF source with o and sets *out. Returns PC_EXIT_OK, or PC_EXIT_PRIVILEGE /
 * PC_EXIT_FAILURE after saying why on stderr, prefixed "portclash COMMAND: ". */
int pc__ebpf_open_live(const pc_ebpf_options *o, const char *command, pc_source **out);

#endif
