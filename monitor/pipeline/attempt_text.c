#include <stdarg.h>
#include <stdio.h>

#include "attempt_text.h"
#include "pc_compiler.h"
#include "pc_errnames.h"
#include "pc_ntstatus.h"

static const char *proto_text(uint8_t proto) {
  return proto == PC_PROTO_TCP ? "tcp" : proto == PC_PROTO_UDP ? "udp" : "?";
}

typedef struct out {
  char *buf;
  size_t cap, len;
} out;

static void put(out *o, const char *fmt, ...) PC_PRINTF(2, 3);
static void put(out *o, const char *fmt, ...) {
  if (o->len + 1 >= o->cap) return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  o->len += (size_t)n;
  if (o->len >= o->cap) o->len = o->cap - 1;
}

static void put_opts(out *o, uint32_t opts_set, uint32_t known) {
  static const struct {
    uint32_t bit;
    const char *name;
  } opts[] = {{PC_SOCKOPT_REUSEADDR, "reuseaddr"},
              {PC_SOCKOPT_EXCLUSIVEADDRUSE, "exclusiveaddruse"},
              {PC_SOCKOPT_REUSEPORT, "reuseport"},
              {PC_SOCKOPT_V6ONLY, "v6only"},
              {PC_SOCKOPT_FREEBIND, "freebind"}};
  const char *sep = "";
  for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
    if (known & opts[i].bit) {
      put(o, "%s%s%s", sep, (opts_set & opts[i].bit) ? "" : "no-", opts[i].name);
      sep = ",";
    }
}

size_t pc_attempt_format_line(const pc_bind_attempt *a, char *buf, size_t cap) {
  if (cap == 0) return 0;
  out o = {buf, cap, 0};
  buf[0] = '\0';
  char ts[40];
  if (!pc_time_format_rfc3339(a->ts_first, ts, sizeof ts)) snprintf(ts, sizeof ts, "?");
  put(&o, "%s %s", ts, a->failed ? "FAIL" : "OK");
  if (a->pid_known)
    put(&o, " pid=%u", (unsigned)a->pid);
  else
    put(&o, " pid=?");
  if (a->start_key) put(&o, " startkey=%llu", (unsigned long long)a->start_key);
  put(&o, " %s", proto_text(a->proto));
  if (a->addr_known) {
    char ip[PC_ADDR_TEXT_MAX];
    pc_addr_format_ip(&a->local, ip, sizeof ip);
    put(&o, a->local.family == PC_AF_INET6 ? " [%s]:%u" : " %s:%u", ip, a->local.port);
  } else {
    put(&o, " ?");
  }
  if (a->error_known && a->error) {
    const char *n = a->error_is_errno ? NULL : pc_wsa_name(a->error);
    put(&o, " %s(%u)", n ? n : "error", (unsigned)a->error);
  } else if (a->failed) {
    put(&o, " error=?");
  }
  if (a->ntstatus_known && a->ntstatus) {
    const char *n = pc_ntstatus_name(a->ntstatus);
    put(&o, " status=%s(0x%08x)", n ? n : "NTSTATUS", (unsigned)a->ntstatus);
  }
  put(&o, " stage=%s",
      a->stage == PC_STAGE_LISTEN   ? "listen"
      : a->stage == PC_STAGE_CREATE ? "create"
                                    : "bind");
  put(&o, " seen=");
  const char *sep = "";
  if (a->seen_by & PC_SEEN_AFD) put(&o, "%safd", sep), sep = "+";
  if (a->seen_by & PC_SEEN_TCPIP) put(&o, "%stcpip", sep), sep = "+";
  if (a->seen_by & PC_SEEN_WINSOCK) put(&o, "%swinsock", sep), sep = "+";
  if (a->seen_by & PC_SEEN_EBPF) put(&o, "%sebpf", sep), sep = "+";
  if (a->sockopts_known) {
    put(&o, " opts=");
    put_opts(&o, a->sockopts, a->sockopts_known);
  }
  if (a->holder_known) {
    char ip[PC_ADDR_TEXT_MAX];
    pc_addr_format_ip(&a->holder_addr, ip, sizeof ip);
    if (a->holder_pid_known)
      put(&o, " holder=%u", (unsigned)a->holder_pid);
    else
      put(&o, " holder=?");
    put(&o, a->holder_addr.family == PC_AF_INET6 ? "@[%s]:%u" : "@%s:%u", ip, a->holder_addr.port);
    if (a->holder_sockopts_known) {
      put(&o, " holder_opts=");
      put_opts(&o, a->holder_sockopts, a->holder_sockopts_known);
    }
  }
  return o.len;
}
