/* cmd_monitor-linux.c - `portclash monitor` on Linux: the eBPF source's options and its
 * opening; the rest is the monitor every platform shares (cmd_monitor.c).
 *
 * The source's reader thread only moves events from the kernel ring into its bounded queue,
 * and one thread does the explaining, so host-state lookups never make the kernel ring
 * overflow by themselves. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ebpf.h"
#include "monitor.h"
#include "pc_format.h"

static void usage(FILE *out) {
  fputs(
      "usage: portclash monitor [OPTIONS]\n"
      "\n"
      "Watches this machine for bind() and listen() calls that fail (EADDRINUSE, EACCES,\n"
      "EPERM, EADDRNOTAVAIL), from every process, and explains each one as it happens: who\n"
      "failed, on which address and port, who holds the port, why, and how to fix it.\n"
      "Needs root (or CAP_BPF + CAP_PERFMON). Stop with Ctrl+C: a summary follows.\n"
      "\n",
      out);
  pc_monitor_options_help(out);
  fputs(
      "Live source (eBPF):\n"
      "  --hooks auto|tracepoint|raw   kernel hooks [auto: tracepoints, else raw sys_exit]\n"
      "  --no-io-uring          do not watch io_uring IORING_OP_BIND/LISTEN\n"
      "  --all-errors           report every failed bind/listen, whatever the errno\n"
      "  -v, --verbose          say which hooks are used; show libbpf's messages\n"
      "  -h, --help             this text\n"
      "\n"
      "Exit status: 0 ok (stopped by signal or --duration), 1 runtime failure, 2 bad usage,\n"
      "3 missing privilege (the message says which capabilities and how to grant them).\n",
      out);
}

static const char *source_name(uint8_t src) {
  switch (src) {
    case 1:
      return "bind";
    case 2:
      return "listen";
    case 3:
      return "io_uring-bind";
    case 4:
      return "io_uring-listen";
    default:
      return "?";
  }
}

/* --attempts: the Linux facts the attempt line does not show. comm, exe and the device name
 * are chosen by whoever runs the process: they go through the console escaping of the
 * formatters, so they cannot start a line or send a terminal sequence. */
static void format_extra(const void *extra, char *buf, size_t cap) {
  const pc_ebpf_item *it = extra;
  const pc_bind_attempt *a = &it->attempt;
  char comm[4 * sizeof a->comm + 8], exe[4 * sizeof it->extra.exe + 8], dev[4 * sizeof a->bound_device + 8];
  pc_format_escape_text(a->comm[0] ? a->comm : "?", comm, sizeof comm);
  pc_format_escape_text(it->extra.exe_known ? it->extra.exe : "?", exe, sizeof exe);
  pc_format_escape_text(a->bound_device[0] ? a->bound_device : "-", dev, sizeof dev);
  snprintf(buf, cap,
           " via=%s ppid=%u uid=%u euid=%u comm=%s exe=%s caps=0x%llx netns=%u cgroup=%llu fd=%d type=%d "
           "dev=%s%s",
           source_name(it->extra.source), (unsigned)a->ppid, (unsigned)a->uid, (unsigned)a->euid, comm, exe,
           (unsigned long long)a->cap_effective, (unsigned)a->netns, (unsigned long long)a->cgroup_id,
           (int)it->extra.fd, (int)a->socktype, dev, it->extra.transparent ? " transparent" : "");
}

static int open_source(void *ud, pc_pipeline *p, pc_source **out) {
  (void)p;
  char err[1536];
  int rc = pc_source_open_ebpf(ud, out, err, sizeof err);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash monitor: %s\n", err);
    return rc == PC_EPRIV ? PC_EXIT_PRIVILEGE : PC_EXIT_FAILURE;
  }
  return PC_EXIT_OK;
}

int pc_cmd_monitor(int argc, char **argv) {
  pc_monitor_options mo;
  if (pc_monitor_options_init(&mo, argc, argv) != PC_EXIT_OK) return PC_EXIT_USAGE;
  pc_ebpf_options eo;
  pc_ebpf_options_init(&eo);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return PC_EXIT_OK;
    }
    if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      eo.verbose = true;
      continue;
    }
    if (strcmp(a, "--no-io-uring") == 0) {
      eo.io_uring = false;
      continue;
    }
    if (strcmp(a, "--all-errors") == 0) {
      eo.report_all = true;
      continue;
    }
    if (strncmp(a, "--hooks", 7) == 0 && (a[7] == '\0' || a[7] == '=')) {
      const char *v = a[7] == '=' ? a + 8 : i + 1 < argc ? argv[++i] : "";
      if (strcmp(v, "auto") == 0)
        eo.hooks = PC_EBPF_HOOKS_AUTO;
      else if (strcmp(v, "tracepoint") == 0)
        eo.hooks = PC_EBPF_HOOKS_TRACEPOINT;
      else if (strcmp(v, "raw") == 0)
        eo.hooks = PC_EBPF_HOOKS_RAW;
      else {
        fprintf(stderr, "portclash monitor: --hooks takes auto, tracepoint or raw\n");
        return PC_EXIT_USAGE;
      }
      continue;
    }
    int rc = pc_monitor_option(&mo, argc, argv, &i);
    if (rc == 1) continue;
    if (rc == 2) return PC_EXIT_USAGE;
    fprintf(stderr, "portclash monitor: unknown option '%s' (see --help)\n", a);
    return PC_EXIT_USAGE;
  }
  if (pc_monitor_options_check(&mo) != PC_EXIT_OK) return PC_EXIT_USAGE;

  /* Privileges first: a missing capability is the most likely problem and has its own exit
   * code. */
  char err[1536];
  if (pc_ebpf_check_privileges(err, sizeof err) != PC_OK) {
    fprintf(stderr, "portclash monitor: %s\n", err);
    return PC_EXIT_PRIVILEGE;
  }
  pc_monitor_platform pl = {"linux", 0, "ebpf", open_source, format_extra, NULL, &eo, 0};
  return pc_monitor_run(&mo, &pl);
}
