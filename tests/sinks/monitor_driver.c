/* monitor_driver.c - `portclash monitor` with a scripted live source instead of eBPF, so that
 * the monitor's loop, signals and sinks are tested without root or a kernel hook
 * (monitor_signals_e2e.py). Arguments are monitor's options. The source reads commands from
 * stdin, one a line:
 *
 *   fail N PORT [COMM]   N failed binds (EADDRINUSE, tcp 0.0.0.0) on ports PORT..PORT+N-1,
 *                        pid 999999, comm COMM [driver]; says "driver: queued N" on stderr
 *   lost N [UID]         N more events lost before the source could read them (per-uid
 *                        detail for UID when given), as a kernel ring overflow would say
 *
 * End of input changes nothing: the source runs until the monitor stops it (a signal,
 * --duration). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "monitor.h"
#include "pc_os.h"

#define MAX_PENDING 100000

typedef struct fake {
  pc_bind_attempt *pending;
  size_t head, count;
  uint64_t items, lost, lost_uid;
  unsigned uid;
  bool stopped, eof;
  char line[256];
  size_t line_len;
} fake;

static void queue_failures(fake *s, unsigned n, unsigned port, const char *comm) {
  unsigned queued = 0;
  for (unsigned i = 0; i < n && s->count < MAX_PENDING; i++, queued++) {
    pc_bind_attempt *a = &s->pending[(s->head + s->count++) % MAX_PENDING];
    memset(a, 0, sizeof *a);
    a->ts_first = a->ts_last = pc_os_clock_now();
    a->pid = 999999;
    a->pid_known = true;
    pc_addr_parse_ip("0.0.0.0", &a->local);
    a->local.port = (uint16_t)(port + i);
    a->addr_known = true;
    a->proto = PC_PROTO_TCP;
    a->socktype = 1;
    a->failed = true;
    a->error = 98; /* EADDRINUSE */
    a->error_known = true;
    a->error_is_errno = true;
    a->seen_by = PC_SEEN_EBPF;
    snprintf(a->comm, sizeof a->comm, "%s", comm);
  }
  fprintf(stderr, "driver: queued %u\n", queued);
  fflush(stderr);
}

static void command(fake *s, char *line) {
  char what[16] = "", comm[32] = "driver";
  unsigned n = 0, arg = 0;
  int k = sscanf(line, "%15s %u %u %31s", what, &n, &arg, comm);
  if (k >= 3 && strcmp(what, "fail") == 0) {
    queue_failures(s, n, arg, comm);
  } else if (k >= 2 && strcmp(what, "lost") == 0) {
    s->lost += n;
    if (k >= 3) {
      s->uid = arg;
      s->lost_uid += n;
    }
  } else if (k > 0) {
    fprintf(stderr, "driver: unknown command: %s\n", line);
  }
}

/* Reads what stdin has now (waiting up to timeout_ms) and runs the complete lines. */
static void read_commands(fake *s, unsigned timeout_ms) {
  if (s->eof) {
    if (timeout_ms) poll(NULL, 0, (int)timeout_ms);
    return;
  }
  struct pollfd p = {.fd = 0, .events = POLLIN};
  if (poll(&p, 1, (int)timeout_ms) <= 0) return;
  char buf[4096];
  ssize_t r = read(0, buf, sizeof buf);
  if (r <= 0) {
    if (r == 0 || errno != EINTR) s->eof = true;
    return;
  }
  for (ssize_t i = 0; i < r; i++) {
    if (buf[i] != '\n') {
      if (s->line_len + 1 < sizeof s->line) s->line[s->line_len++] = buf[i];
      continue;
    }
    s->line[s->line_len] = '\0';
    s->line_len = 0;
    command(s, s->line);
  }
}

static int fake_next(void *self, pc_source_item *it, unsigned timeout_ms) {
  fake *s = self;
  if (!s->count && !s->stopped) read_commands(s, timeout_ms);
  if (s->count) {
    it->kind = PC_SOURCE_ATTEMPT;
    it->attempt = s->pending[s->head];
    s->head = (s->head + 1) % MAX_PENDING;
    s->count--;
    s->items++;
    return PC_OK;
  }
  return s->stopped ? PC_EEND : PC_ETIMEOUT;
}

static void fake_stats(void *self, pc_source_stats *st) {
  fake *s = self;
  st->items = s->items;
  st->lost = s->lost;
  if (s->lost_uid)
    snprintf(st->detail, sizeof st->detail, "driver source: lost per uid: %u=%llu", s->uid,
             (unsigned long long)s->lost_uid);
}

static void fake_info(void *self, pc_source_info *info) {
  (void)self;
  info->name = "driver";
  info->os = "linux";
  info->attached = "scripted driver source";
}

/* Called from the loop (not a signal handler) when it was asked to stop: what is pending is
 * still handed out, then PC_EEND. */
static void fake_stop(void *self) {
  ((fake *)self)->stopped = true;
}

static const char *fake_error(const void *self) {
  (void)self;
  return "";
}

static void fake_close(void *self) {
  fake *s = self;
  if (!s) return;
  free(s->pending);
  free(s);
}

static const pc_source_ops fake_ops = {fake_next,  fake_stats, fake_info, fake_stop,
                                       fake_error, fake_close, NULL};

static int open_fake(void *ud, pc_pipeline *p, pc_source **out) {
  (void)ud;
  (void)p;
  fake *s = calloc(1, sizeof *s);
  if (s) s->pending = malloc(MAX_PENDING * sizeof *s->pending);
  if (!s || !s->pending) {
    fake_close(s);
    return PC_EXIT_FAILURE;
  }
  return pc_source_new(&fake_ops, s, out) == PC_OK ? PC_EXIT_OK : PC_EXIT_FAILURE;
}

int main(int argc, char **argv) {
  pc_monitor_options mo;
  pc_options all;
  int rc = pc_monitor_options_parse(&mo, &all, argc, argv);
  if (rc != PC_OPTIONS_RUN) return rc == PC_OPTIONS_HELP ? PC_EXIT_OK : rc;
  pc_monitor_platform pl = {"linux", 0, "driver", open_fake, NULL, NULL, NULL, 0};
  return pc_monitor_run(&mo, &pl);
}
