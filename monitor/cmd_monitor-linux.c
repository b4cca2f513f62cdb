/* cmd_monitor-linux.c - `portclash monitor` on Linux: failed binds from the eBPF source,
 * explained with the live host state and the rules, written to the chosen sinks.
 *
 * One thread does the explaining (the source's reader thread only moves events from the
 * kernel ring into the source's bounded queue), so host-state lookups that take a
 * millisecond never make the kernel ring overflow by themselves. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pc_attempt_text.h"
#include "pc_format.h"
#include "pc_cli.h"
#include "pc_cmd_monitor.h"
#include "pc_error.h"
#include "pc_finding_output.h"
#include "pc_run_options.h"
#include "pc_source_ebpf.h"

#define WAIT_MS 200
#define LOSS_REPORT_MS 1000

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
  pc_run_options_help(out);
  fputs(
      "Live source:\n"
      "  --hooks auto|tracepoint|raw   kernel hooks [auto: tracepoints, else raw sys_exit]\n"
      "  --no-io-uring          do not watch io_uring IORING_OP_BIND/LISTEN\n"
      "  --all-errors           report every failed bind/listen, whatever the errno\n"
      "  --attempts             print the raw attempts (one line each, every fact the\n"
      "                         kernel gave) instead of explained findings\n"
      "  --duration SECONDS     stop after SECONDS (default: run until Ctrl+C / SIGTERM)\n"
      "  --status SECONDS       status line on stderr every SECONDS; 0 = never [10]\n"
      "  -v, --verbose          say which hooks are used; show libbpf's messages\n"
      "  -h, --help             this text\n"
      "\n"
      "Exit status: 0 ok (stopped by signal or --duration), 1 runtime failure, 2 bad usage,\n"
      "3 missing privilege (the message says which capabilities and how to grant them).\n",
      out);
}

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

typedef struct monitor_ctx {
  pc_finding_output *out; /* NULL with --attempts */
  bool attempts;          /* --attempts */
} monitor_ctx;

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

/* --attempts: the attempt line plus the Linux facts it does not show. comm, exe and the
 * device name are chosen by whoever runs the process: they go through the console escaping
 * of the formatters, so they cannot start a line or send a terminal sequence. */
static void print_attempt(const pc_ebpf_item *it) {
  char line[512], comm[4 * sizeof it->attempt.comm + 8], exe[4 * sizeof it->extra.exe + 8];
  char dev[4 * sizeof it->attempt.bound_device + 8];
  const pc_bind_attempt *a = &it->attempt;
  pc_attempt_format_line(a, line, sizeof line);
  pc_format_escape_text(a->comm[0] ? a->comm : "?", comm, sizeof comm);
  pc_format_escape_text(it->extra.exe_known ? it->extra.exe : "?", exe, sizeof exe);
  pc_format_escape_text(a->bound_device[0] ? a->bound_device : "-", dev, sizeof dev);
  printf(
      "%s via=%s ppid=%u uid=%u euid=%u comm=%s exe=%s caps=0x%llx netns=%u cgroup=%llu fd=%d "
      "type=%d dev=%s%s\n",
      line, source_name(it->extra.source), (unsigned)a->ppid, (unsigned)a->uid, (unsigned)a->euid, comm, exe,
      (unsigned long long)a->cap_effective, (unsigned)a->netns, (unsigned long long)a->cgroup_id,
      (int)it->extra.fd, (int)a->socktype, dev, it->extra.transparent ? " transparent" : "");
  fflush(stdout);
}

static pc_time wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return pc_time_from_unix(ts.tv_sec, ts.tv_nsec);
}

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool parse_seconds(const char *s, double max, double *out) {
  if (!s || !*s) return false;
  char *end;
  double v = strtod(s, &end);
  if (*end || !(v >= 0) || v > max) return false;
  *out = v;
  return true;
}

/* Value of "--opt VALUE" or "--opt=VALUE"; NULL when missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *name) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') return argv[*i] + n + 1;
  if (strcmp(argv[*i], name) != 0 || *i + 1 >= argc) return NULL;
  return argv[++*i];
}

static bool is_opt(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

static void write_source_summary(const pc_ebpf_stats *st) {
  fprintf(stderr,
          "portclash: eBPF source: %llu failures seen by the kernel, %llu lost in the kernel ring (full), "
          "%llu lost in the queue (full), %llu explained; queue peak %llu\n",
          (unsigned long long)(st->kernel_submitted + st->kernel_dropped),
          (unsigned long long)st->kernel_dropped, (unsigned long long)st->queue_dropped,
          (unsigned long long)st->delivered, (unsigned long long)st->queue_high);
}

int pc_cmd_monitor(int argc, char **argv) {
  pc_run_options opt;
  pc_run_options_init(&opt);
  /* --config first, so that the options given on the command line override the file's. */
  if (pc_run_options_preload(&opt, argc, argv) != 0) return PC_EXIT_USAGE;
  pc_ebpf_options eo;
  pc_ebpf_options_init(&eo);
  monitor_ctx ctx = {0};
  double duration = 0, status = 10;
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
    if (strcmp(a, "--attempts") == 0) {
      ctx.attempts = true;
      continue;
    }
    if (is_opt(a, "--hooks")) {
      const char *v = opt_value(argc, argv, &i, "--hooks");
      if (v && strcmp(v, "auto") == 0)
        eo.hooks = PC_EBPF_HOOKS_AUTO;
      else if (v && strcmp(v, "tracepoint") == 0)
        eo.hooks = PC_EBPF_HOOKS_TRACEPOINT;
      else if (v && strcmp(v, "raw") == 0)
        eo.hooks = PC_EBPF_HOOKS_RAW;
      else {
        fprintf(stderr, "portclash monitor: --hooks takes auto, tracepoint or raw\n");
        return PC_EXIT_USAGE;
      }
      continue;
    }
    if (is_opt(a, "--duration") || is_opt(a, "--status")) {
      bool dur = is_opt(a, "--duration");
      const char *v = opt_value(argc, argv, &i, dur ? "--duration" : "--status");
      if (!parse_seconds(v, 1e7, dur ? &duration : &status)) {
        fprintf(stderr, "portclash monitor: %s takes a number of seconds\n", dur ? "--duration" : "--status");
        return PC_EXIT_USAGE;
      }
      continue;
    }
    int rc = pc_run_options_arg(&opt, argc, argv, &i);
    if (rc == 1) continue;
    if (rc == 2) return PC_EXIT_USAGE;
    fprintf(stderr, "portclash monitor: unknown option '%s' (see --help)\n", a);
    return PC_EXIT_USAGE;
  }
  if (!pc_hoststate_offline_empty(&opt.offline)) {
    fprintf(stderr,
            "portclash monitor: reads the live host state; --netsh-*/--netstat/--tasklist are for "
            "'analyze' and 'explain'\n");
    return PC_EXIT_USAGE;
  }

  /* Privileges first: a missing capability is the most likely problem and has its own exit
   * code. */
  char err[1536];
  if (pc_ebpf_check_privileges(err, sizeof err) != PC_OK) {
    fprintf(stderr, "portclash monitor: %s\n", err);
    return PC_EXIT_PRIVILEGE;
  }

  int exit_code = PC_EXIT_FAILURE;
  pc_hoststate *hs = NULL;
  pc_ebpf_source *src = NULL;
  if (!ctx.attempts) {
    char hserr[PC_HOSTSTATE_ERR_MAX] = "";
    if (pc_hoststate_open_live(&hs, hserr, sizeof hserr) != PC_OK) {
      /* Findings without owners and ranges are still worth having. */
      fprintf(stderr, "portclash monitor: host state unavailable, findings will lack owners and ranges: %s\n",
              hserr);
      hs = NULL;
    }
    opt.sinks.status_interval_ms = (unsigned)(status * 1000);
    /* Live triage: show the first failure at once, then one finding with the repeats. */
    /* The watch list is on (learned ports unless --no-learn); the eBPF source reports only
     * failures, so new holders of watched ports are found by polling the host state. */
    pc_finding_output_options fo = {hs, "linux", 0, "ebpf", true, true, true};
    int frc = pc_finding_output_open(&opt, &fo, &ctx.out);
    if (frc != PC_OK) {
      exit_code = frc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
      goto done;
    }
  }

  int rc = pc_ebpf_open(&eo, &src, err, sizeof err);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash monitor: %s\n", err);
    exit_code = rc == PC_EPRIV ? PC_EXIT_PRIVILEGE : PC_EXIT_FAILURE;
    goto done;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  stop_requested = 0;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  /* The "monitoring" line tells scripts (and the tests) that the hooks are attached. */
  fprintf(stderr, "portclash: monitoring bind failures (%s); Ctrl+C to stop\n", pc_ebpf_hooks_in_use(src));
  fflush(stderr);

  uint64_t start = mono_ms(), last_loss_report = 0, lost_reported = 0;
  pc_ebpf_item it;
  while (!stop_requested) {
    if (pc_ebpf_next(src, &it, WAIT_MS) == PC_OK) {
      if (ctx.attempts)
        print_attempt(&it);
      else
        pc_finding_output_attempt(ctx.out, &it.attempt);
    }
    uint64_t now = mono_ms();
    if (duration > 0 && now - start >= (uint64_t)(duration * 1000)) break;
    if (now - last_loss_report < LOSS_REPORT_MS) continue;
    /* About once a second: losses (said at once, not only in the periodic status), the
     * aggregation windows that ended, the status line. */
    last_loss_report = now;
    pc_ebpf_stats st;
    pc_ebpf_get_stats(src, &st);
    uint64_t lost = st.kernel_dropped + st.queue_dropped;
    if (lost > lost_reported) {
      fprintf(stderr,
              "portclash: %llu failure events lost so far (kernel ring full: %llu, queue full: %llu)\n",
              (unsigned long long)lost, (unsigned long long)st.kernel_dropped,
              (unsigned long long)st.queue_dropped);
      lost_reported = lost;
    }
    if (ctx.out) {
      pc_finding_output_advance(ctx.out, wall_now());
      pc_finding_output_poll(ctx.out, wall_now(), false);
      pc_run_counts counts = {st.kernel_submitted + st.kernel_dropped, lost};
      pc_finding_output_tick(ctx.out, &counts);
    }
  }
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);

  /* Stop the kernel side, then explain what is still queued before the summary. */
  pc_ebpf_stats st;
  pc_ebpf_get_stats(src, &st);
  while (pc_ebpf_next(src, &it, 0) == PC_OK) {
    if (ctx.attempts)
      print_attempt(&it);
    else
      pc_finding_output_attempt(ctx.out, &it.attempt);
  }
  pc_ebpf_get_stats(src, &st);
  if (ctx.out) {
    pc_run_counts counts = {st.kernel_submitted + st.kernel_dropped, st.kernel_dropped + st.queue_dropped};
    pc_finding_output_close(ctx.out, &counts, true);
    ctx.out = NULL;
  }
  write_source_summary(&st);
  exit_code = PC_EXIT_OK;

done:
  pc_ebpf_close(src);
  pc_finding_output_close(ctx.out, NULL, false);
  pc_hoststate_close(hs);
  return exit_code;
}
