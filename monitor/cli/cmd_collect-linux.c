/* cmd_collect-linux.c - `portclash collect` on Linux: the sysctls that decide which ports a
 * bind may take, `ss -tuanpe` and `uname -a` before and after, and a live eBPF run for the
 * duration through the monitor every platform shares, whose host state is teed into the
 * recording (attempts.jsonl: each failed attempt with what the host state said about it at
 * that moment) and whose findings go to findings.jsonl. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "cli.h"
#include "collect.h"
#include "ebpf.h"
#include "ebpf_open-linux.h"
#include "monitor.h"
#include "options.h"

static const struct {
  const char *file, *name;
} k_sysctls[] = {
    {"/proc/sys/net/ipv4/ip_local_port_range", "sysctl-ip_local_port_range.txt"},
    {"/proc/sys/net/ipv4/ip_local_reserved_ports", "sysctl-ip_local_reserved_ports.txt"},
    {"/proc/sys/net/ipv4/ip_unprivileged_port_start", "sysctl-ip_unprivileged_port_start.txt"},
};

void pc__collect_host_files(pc_collect *c, const char *suffix) {
  char name[128];
  if (!suffix[0]) {
    for (size_t i = 0; i < sizeof k_sysctls / sizeof k_sysctls[0]; i++)
      pc__collect_copy(c, k_sysctls[i].name, "sysctl", "a sysctl that decides which ports a bind may take",
                       k_sysctls[i].file);
    static const char *const uname_argv[] = {"uname", "-a", NULL};
    pc__collect_tool(c, "uname.txt", "os", NULL, "the kernel and machine", uname_argv);
  }
  static const char *const ss_argv[] = {"ss", "-tuanpe", NULL};
  snprintf(name, sizeof name, "ss%s.txt", suffix);
  pc__collect_tool(c, name, "sockets", NULL, "every TCP and UDP socket with its process", ss_argv);
}

typedef struct linux_collect {
  pc_ebpf_options eo;
  pc_collect *c;
} linux_collect;

static int open_source(void *ud, pc_pipeline *p, pc_source **out) {
  (void)p;
  linux_collect *l = ud;
  pc_source *ebpf;
  int rc = pc__ebpf_open_live(&l->eo, "collect", &ebpf);
  if (rc != PC_EXIT_OK) return rc;
  /* Every failed attempt goes into the recording, also those the window only counts. */
  if (pc__collect_source_wrap(l->c, ebpf, out) != PC_OK) {
    fputs("portclash collect: out of memory\n", stderr);
    return PC_EXIT_FAILURE;
  }
  return PC_EXIT_OK;
}

static pc_hoststate *wrap(void *ud, pc_hoststate *live) {
  linux_collect *l = ud;
  pc_hoststate *tee;
  char err[PC_HOSTSTATE_ERR_MAX];
  if (pc_hoststate_open_tee(live, pc__collect_record_facts, l->c, &tee, err, sizeof err) != PC_OK) {
    fprintf(stderr, "portclash collect: %s\n", err);
    return NULL;
  }
  return tee;
}

int pc__collect_preflight(const char *command) {
  char err[1536];
  if (pc_ebpf_check_privileges(err, sizeof err) != PC_OK) {
    fprintf(stderr, "portclash %s: %s\n", command, err);
    return PC_EXIT_PRIVILEGE;
  }
  return PC_EXIT_OK;
}

int pc__collect_platform(pc_collect *c, const pc_options *all, bool *interrupted) {
  *interrupted = false;
  struct utsname u;
  pc__collect_set_system(c, "linux", 0, uname(&u) == 0 ? u.release : NULL, "ebpf");
  pc__collect_host_files(c, "");
  if (pc__collect_stopped()) return PC_EXIT_OK;

  static linux_collect l;
  memset(&l, 0, sizeof l);
  l.c = c;
  static const pc_ebpf_hooks hooks[] = {PC_EBPF_HOOKS_AUTO, PC_EBPF_HOOKS_TRACEPOINT, PC_EBPF_HOOKS_RAW};
  pc_ebpf_options_init(&l.eo);
  l.eo.hooks = hooks[all->hooks];
  int rc = pc__collect_recording_open(c);
  if (rc != PC_EXIT_OK) return rc;

  /* The monitor, as `portclash monitor` runs it, with its findings also written as JSON. */
  pc_monitor_options mo;
  memset(&mo, 0, sizeof mo);
  mo.run = all->run;
  char findings[4300];
  mo.run.sinks.log_path = pc__collect_path(c, "findings.jsonl", findings, sizeof findings);
  mo.run.sinks.log_format = PC_FORMAT_JSON;
  mo.run.sinks.log_max_bytes = 0;
  mo.status_seconds = 10;
  mo.duration_ms = (uint64_t)(all->duration / PC_TIME_TICKS_PER_MS);
  /* A bundle should hold every failure the run saw: what is still queued at the end is
   * explained (and recorded) too. A second Ctrl+C ends at once. */
  mo.drain = true;
  if (mo.duration_ms)
    fprintf(stderr,
            "portclash collect: recording bind failures for %llu s; Ctrl+C stops early, keeping what was "
            "collected\n",
            (unsigned long long)(mo.duration_ms / 1000));
  else
    fputs("portclash collect: recording bind failures until Ctrl+C\n", stderr);
  pc_monitor_platform pl = {"linux", 0, "ebpf", open_source, NULL, NULL, &l, 0};
  rc = pc__monitor_run_wrapped(&mo, &pl, wrap, &l);
  *interrupted = pc__monitor_interrupted();
  pc__collect_catch_signals(); /* the monitor restored the defaults */
  pc__collect_add_findings(c, rc);
  /* After the run too: what holds the ports once the failures happened. */
  if (*interrupted) return rc; /* Ctrl+C: stop now, the manifest says so */
  pc__collect_host_files(c, "-end");
  return rc;
}

int pc__cmd_collect_with(int argc, char **argv, const struct pc_etw_api *api) {
  (void)api; /* no ETW here */
  return pc_cmd_collect(argc, argv);
}
