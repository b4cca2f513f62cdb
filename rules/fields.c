/* fields.c - the fields rules can look at: names, types, and how each is read from pc_facts.
 *
 * Every field is resolved to an id at compile time; evaluation reads values with one switch.
 * A value is "unknown" when its *_known flag is false or its text is empty, and unknown values
 * make every comparison false (see FORMAT.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_errnames.h"
#include "pc_error.h"
#include "pc_text.h"
#include "rules_internal.h"

const pc__field_info pc__fields[PC__F_COUNT] = {
#define PC__FIELD_INFO(id, name, type, hex) {name, type, hex},
    PC__FIELDS(PC__FIELD_INFO)
#undef PC__FIELD_INFO
};

int pc__field_lookup(const char *name, size_t len) {
  for (int i = 0; i < PC__F_COUNT; i++)
    if (strlen(pc__fields[i].name) == len && memcmp(pc__fields[i].name, name, len) == 0) return i;
  return -1;
}

size_t pc_rules_field_count(void) {
  return PC__F_COUNT;
}

const char *pc_rules_field_name(size_t i) {
  return i < PC__F_COUNT ? pc__fields[i].name : NULL;
}

const char *pc_rules_field_type(size_t i) {
  static const char *const names[] = {"number", "text", "boolean"};
  return i < PC__F_COUNT ? names[pc__fields[i].type] : NULL;
}

static const char *family_name(uint8_t fam) {
  return fam == PC_AF_INET ? "ipv4" : fam == PC_AF_INET6 ? "ipv6" : NULL;
}

static const char *owner_state_name(uint8_t s) {
  static const char *const names[] = {
      [PC_OWNER_STATE_LISTEN] = "listen",       [PC_OWNER_STATE_ESTABLISHED] = "established",
      [PC_OWNER_STATE_TIME_WAIT] = "time_wait", [PC_OWNER_STATE_CLOSE_WAIT] = "close_wait",
      [PC_OWNER_STATE_BOUND] = "bound",         [PC_OWNER_STATE_UDP] = "udp",
      [PC_OWNER_STATE_OTHER] = "other",
  };
  return s < sizeof names / sizeof names[0] ? names[s] : NULL; /* NULL for unknown, too */
}

/* "event" and "risk_reason" (pc_facts_event, pc_risk_reason), also used by the setters. */
static const char *event_name(uint8_t k) {
  return k == PC_FACTS_BIND_FAILURE ? "bind_failure" : k == PC_FACTS_PORT_AT_RISK ? "port_at_risk" : NULL;
}

static const char *risk_reason_name(uint8_t r) {
  switch (r) {
    case PC_RISK_RESERVATION_EVENT:
      return "reservation_event";
    case PC_RISK_EXCLUDED_RANGE:
      return "excluded_range";
    case PC_RISK_DYNAMIC_RANGE:
      return "dynamic_range";
    case PC_RISK_NEW_HOLDER:
      return "new_holder";
    default:
      return NULL;
  }
}

static bool opt(uint32_t bits, uint32_t known, uint32_t which, uint64_t *out) {
  if (!(known & which)) return false;
  *out = (bits & which) != 0;
  return true;
}

bool pc__field_num(pc__view *v, int id, uint64_t *out) {
  const pc_facts *f = v->f;
  const pc_bind_attempt *a = &f->attempt;
  switch (id) {
    case PC__F_ERROR:
      *out = a->error;
      return a->error_known;
    case PC__F_NTSTATUS:
      *out = a->ntstatus;
      return a->ntstatus_known;
    case PC__F_FAILED:
      *out = a->failed;
      return true;
    case PC__F_HYPOTHETICAL:
      *out = f->hypothetical;
      return true;
    case PC__F_TCPIP_EVENT:
      *out = a->tcpip_event;
      return a->tcpip_event != 0;
    case PC__F_WILDCARD:
      if (!a->addr_known || !family_name(a->local.family)) return false;
      *out = pc_addr_is_wildcard(&a->local);
      return true;
    case PC__F_PORT:
      *out = a->local.port;
      return a->addr_known;
    case PC__F_PID:
      *out = a->pid;
      return a->pid_known;
    case PC__F_REUSEADDR:
      return opt(a->sockopts, a->sockopts_known, PC_SOCKOPT_REUSEADDR, out);
    case PC__F_EXCLUSIVEADDRUSE:
      return opt(a->sockopts, a->sockopts_known, PC_SOCKOPT_EXCLUSIVEADDRUSE, out);
    case PC__F_REUSEPORT:
      return opt(a->sockopts, a->sockopts_known, PC_SOCKOPT_REUSEPORT, out);
    case PC__F_V6ONLY:
      return opt(a->sockopts, a->sockopts_known, PC_SOCKOPT_V6ONLY, out);
    /* PID 0 is "holder not resolved" (another user's or namespace's socket, TIME_WAIT, a
     * process that just exited), never a process to name in a fix. */
    case PC__F_OWNER_PID:
      *out = f->owner_pid;
      return f->owner_known && f->owner_pid != 0;
    case PC__F_OWNER_KERNEL:
      *out = f->owner_kernel;
      return f->owner_known;
    case PC__F_OWNER_SAME_USER:
      if (!f->owner_known || !f->owner_user[0] || !f->process_user[0]) return false;
      *out = strcmp(f->owner_user, f->process_user) == 0;
      return true;
    case PC__F_OTHER_NETNS:
      *out = f->other_netns;
      return f->netns_known;
    case PC__F_OWNER_WILDCARD:
      if (!f->owner_known || !family_name(f->owner_addr.family)) return false;
      *out = pc_addr_is_wildcard(&f->owner_addr);
      return true;
    case PC__F_OWNER_REUSEADDR:
      return f->owner_known && opt(f->owner_sockopts, f->owner_sockopts_known, PC_SOCKOPT_REUSEADDR, out);
    case PC__F_OWNER_EXCLUSIVE:
      return f->owner_known &&
             opt(f->owner_sockopts, f->owner_sockopts_known, PC_SOCKOPT_EXCLUSIVEADDRUSE, out);
    /* "Not excluded" is only known when the excluded ranges were read. */
    case PC__F_EXCLUDED:
      *out = f->excluded;
      return f->excluded || f->ranges_known;
    case PC__F_RANGES_KNOWN:
      *out = f->ranges_known;
      return true;
    case PC__F_HOSTSTATE_STALE:
      *out = f->hoststate_stale;
      return true;
    case PC__F_OWNERS_KNOWN:
      *out = f->owners_known;
      return true;
    case PC__F_EXCLUDED_START:
      *out = f->excluded_start;
      return f->excluded;
    case PC__F_EXCLUDED_END:
      *out = f->excluded_end;
      return f->excluded;
    case PC__F_EXCLUDED_ADMINISTERED:
      *out = f->excluded_administered;
      return f->excluded;
    case PC__F_EXCLUDED_COUNT:
      /* netsh deletes a reservation only by its exact start and count. */
      *out = (uint64_t)f->excluded_end - f->excluded_start + 1u;
      return f->excluded && f->excluded_end >= f->excluded_start;
    case PC__F_DYNAMIC_MOVED:
      /* Windows Vista and later default to 49152 + 16384 ports (KB 929851); Linux has no
       * such fixed default worth comparing with. */
      *out = f->dynamic_start != 49152 || f->dynamic_end != 65535;
      return f->dynamic_known && f->os == PC_OS_WINDOWS;
    case PC__F_SAME_PROCESS:
      *out = f->owner_pid == a->pid;
      return a->pid_known && f->owner_known && f->owner_pid != 0;
    case PC__F_DYNAMIC_START:
      *out = f->dynamic_start;
      return f->dynamic_known;
    case PC__F_DYNAMIC_END:
      *out = f->dynamic_end;
      return f->dynamic_known;
    case PC__F_IN_DYNAMIC:
      *out = f->in_dynamic;
      return f->dynamic_known;
    case PC__F_UNPRIVILEGED_PORT_START:
      *out = f->unprivileged_start;
      return f->unprivileged_start_known;
    case PC__F_OS_BUILD:
      *out = f->os_build;
      return f->os_build != 0;
    case PC__F_REPEAT_COUNT:
      *out = f->repeat_count ? f->repeat_count : 1;
      return true;
    case PC__F_WATCHED:
      *out = f->watched;
      return f->event_kind == PC_FACTS_PORT_AT_RISK;
    case PC__F_PREVIOUS_PID:
      *out = f->previous_pid;
      return f->previous_known && f->previous_pid != 0;
    default:
      return false;
  }
}

static const char *nonempty(const char *s) {
  return s[0] ? s : NULL;
}

/* The sharing options of a socket as Microsoft's table names them ("SO_EXCLUSIVEADDRUSE",
 * "SO_REUSEADDR", "neither SO_REUSEADDR nor SO_EXCLUSIVEADDRUSE"); only what was traced is
 * said. NULL when neither option is known. */
static const char *options_text(uint32_t bits, uint32_t known) {
  const uint32_t ex = PC_SOCKOPT_EXCLUSIVEADDRUSE, ru = PC_SOCKOPT_REUSEADDR;
  if ((known & ex) && (bits & ex)) return "SO_EXCLUSIVEADDRUSE";
  if ((known & ru) && (bits & ru)) return "SO_REUSEADDR";
  if ((known & ex) && (known & ru)) return "neither SO_REUSEADDR nor SO_EXCLUSIVEADDRUSE";
  if (known & ex) return "no SO_EXCLUSIVEADDRUSE (SO_REUSEADDR not traced)";
  if (known & ru) return "no SO_REUSEADDR (SO_EXCLUSIVEADDRUSE not traced)";
  return NULL;
}

/* What host state was not read at all, so that a rule can say which causes it could not rule
 * out (NULL when everything was read). */
static const char *not_checked_text(const pc_facts *f, char *buf, size_t cap) {
  const char *ranges = "the excluded port ranges (netsh int ipv4 show excludedportrange)";
  const char *owners = "the socket owners (netstat -ano)";
  if (f->ranges_known && f->owners_known) return NULL;
  if (!f->ranges_known && !f->owners_known)
    snprintf(buf, cap, "%s and %s", ranges, owners);
  else
    snprintf(buf, cap, "%s", f->ranges_known ? owners : ranges);
  return buf;
}

const char *pc__field_str(pc__view *v, int id) {
  const pc_facts *f = v->f;
  const pc_bind_attempt *a = &f->attempt;
  switch (id) {
    case PC__F_ERROR_NAME:
      /* Most rules start with an error_name test: look the name up once per evaluation. */
      if (!v->err_done) {
        v->err_name =
            a->error_known ? (a->error_is_errno ? pc_errno_name(a->error) : pc_wsa_name(a->error)) : NULL;
        v->err_done = true;
      }
      return v->err_name;
    case PC__F_STAGE:
      return a->stage == PC_STAGE_BIND     ? "bind"
             : a->stage == PC_STAGE_LISTEN ? "listen"
             : a->stage == PC_STAGE_CREATE ? "create"
                                           : NULL;
    case PC__F_PROTO:
      return a->proto == PC_PROTO_TCP ? "tcp" : a->proto == PC_PROTO_UDP ? "udp" : NULL;
    case PC__F_FAMILY:
      return family_name(a->local.family);
    case PC__F_ADDRESS:
      if (!a->addr_known || !family_name(a->local.family)) return NULL;
      if (!v->addr_done) {
        pc_addr_format_ip(&a->local, v->addr, sizeof v->addr);
        v->addr_done = true;
      }
      return nonempty(v->addr);
    case PC__F_PROCESS:
      return nonempty(f->process_name);
    case PC__F_PROCESS_PATH:
      return nonempty(f->process_path);
    case PC__F_PROCESS_USER:
      return nonempty(f->process_user);
    case PC__F_PROCESS_SERVICE:
      return nonempty(f->process_service);
    case PC__F_OWNER_PROCESS:
      return f->owner_known ? nonempty(f->owner_name) : NULL;
    case PC__F_OWNER_PATH:
      return f->owner_known ? nonempty(f->owner_path) : NULL;
    case PC__F_OWNER_SERVICE:
      return f->owner_known ? nonempty(f->owner_service) : NULL;
    case PC__F_OWNER_USER:
      return f->owner_known ? nonempty(f->owner_user) : NULL;
    case PC__F_OWNER_URL:
      return f->owner_known ? nonempty(f->owner_url) : NULL;
    case PC__F_OWNER_QUEUE:
      return f->owner_known ? nonempty(f->owner_queue) : NULL;
    case PC__F_ENDPOINT:
      /* address:port, with IPv6 in brackets ("[::1]:8080"), as people type it. */
      if (!a->addr_known || !family_name(a->local.family)) return NULL;
      if (!v->endpoint_done) {
        char ip[PC_ADDR_TEXT_MAX];
        pc_addr_format_ip(&a->local, ip, sizeof ip);
        snprintf(v->endpoint, sizeof v->endpoint, a->local.family == PC_AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
                 (unsigned)a->local.port);
        v->endpoint_done = true;
      }
      return v->endpoint;
    case PC__F_OWNER_STATE:
      return f->owner_known ? owner_state_name(f->owner_state) : NULL;
    case PC__F_OWNER_FAMILY:
      return f->owner_known ? family_name(f->owner_addr.family) : NULL;
    case PC__F_OWNER_ADDRESS:
      if (!f->owner_known || !family_name(f->owner_addr.family)) return NULL;
      if (!v->owner_addr_done) {
        pc_addr_format_ip(&f->owner_addr, v->owner_addr, sizeof v->owner_addr);
        v->owner_addr_done = true;
      }
      return nonempty(v->owner_addr);
    case PC__F_OPTIONS:
      return options_text(a->sockopts, a->sockopts_known);
    case PC__F_OWNER_OPTIONS:
      if (!f->owner_known) return NULL;
      return options_text(f->owner_sockopts, f->owner_sockopts_known);
    case PC__F_NOT_CHECKED:
      return not_checked_text(f, v->not_checked, sizeof v->not_checked);
    case PC__F_OS:
      return f->os == PC_OS_WINDOWS ? "windows" : f->os == PC_OS_LINUX ? "linux" : NULL;
    case PC__F_EVENT:
      return event_name(f->event_kind);
    case PC__F_RISK_REASON:
      return risk_reason_name(f->risk_reason);
    case PC__F_PREVIOUS_PROCESS:
      return f->previous_known ? nonempty(f->previous_process) : NULL;
    default:
      return NULL;
  }
}

/* ---- facts from text ---- */

void pc_rules_facts_init(pc_facts *f) {
  memset(f, 0, sizeof *f);
  f->attempt.failed = true;
  f->repeat_count = 1;
}

static int parse_bool(const char *s, bool *out) {
  if (strcmp(s, "true") == 0)
    *out = true;
  else if (strcmp(s, "false") == 0)
    *out = false;
  else
    return PC_EPARSE;
  return PC_OK;
}

static int set_text(char *dst, size_t cap, const char *s) {
  size_t n = strlen(s);
  if (n >= cap) return PC_EPARSE;
  memcpy(dst, s, n + 1);
  return PC_OK;
}

static int set_opt(uint32_t *bits, uint32_t *known, uint32_t which, const char *s) {
  bool b;
  if (parse_bool(s, &b) != PC_OK) return PC_EPARSE;
  *known |= which;
  if (b)
    *bits |= which;
  else
    *bits &= ~which;
  return PC_OK;
}

static int parse_family(const char *s, uint8_t *out) {
  if (strcmp(s, "ipv4") == 0)
    *out = PC_AF_INET;
  else if (strcmp(s, "ipv6") == 0)
    *out = PC_AF_INET6;
  else
    return PC_EPARSE;
  return PC_OK;
}

static int set_num(int id, pc_facts *f, uint64_t v) {
  pc_bind_attempt *a = &f->attempt;
  switch (id) {
    case PC__F_ERROR:
      if (v > UINT32_MAX) return PC_EPARSE;
      a->error = (uint32_t)v;
      a->error_known = true;
      a->error_is_errno = v < 10000;
      return PC_OK;
    case PC__F_NTSTATUS:
      if (v > UINT32_MAX) return PC_EPARSE;
      a->ntstatus = (uint32_t)v;
      a->ntstatus_known = true;
      return PC_OK;
    case PC__F_TCPIP_EVENT:
      if (v > UINT16_MAX) return PC_EPARSE;
      a->tcpip_event = (uint16_t)v;
      return PC_OK;
    case PC__F_PORT:
      if (v > UINT16_MAX) return PC_EPARSE;
      a->local.port = (uint16_t)v;
      a->addr_known = true;
      return PC_OK;
    case PC__F_PID:
      if (v > UINT32_MAX) return PC_EPARSE;
      a->pid = (uint32_t)v;
      a->pid_known = true;
      return PC_OK;
    case PC__F_OWNER_PID:
      if (v > UINT32_MAX) return PC_EPARSE;
      f->owner_pid = (uint32_t)v;
      f->owner_known = true;
      return PC_OK;
    case PC__F_EXCLUDED_START:
    case PC__F_EXCLUDED_END:
      if (v > UINT16_MAX) return PC_EPARSE;
      *(id == PC__F_EXCLUDED_START ? &f->excluded_start : &f->excluded_end) = (uint16_t)v;
      f->excluded = true;
      return PC_OK;
    case PC__F_DYNAMIC_START:
    case PC__F_DYNAMIC_END:
      if (v > UINT16_MAX) return PC_EPARSE;
      *(id == PC__F_DYNAMIC_START ? &f->dynamic_start : &f->dynamic_end) = (uint16_t)v;
      f->dynamic_known = true;
      return PC_OK;
    case PC__F_UNPRIVILEGED_PORT_START:
      if (v > UINT16_MAX) return PC_EPARSE;
      f->unprivileged_start = (uint16_t)v;
      f->unprivileged_start_known = true;
      return PC_OK;
    case PC__F_OS_BUILD:
      if (v > UINT32_MAX) return PC_EPARSE;
      f->os_build = (uint32_t)v;
      return PC_OK;
    case PC__F_REPEAT_COUNT:
      f->repeat_count = v;
      return PC_OK;
    case PC__F_PREVIOUS_PID:
      if (v > UINT32_MAX) return PC_EPARSE;
      f->previous_pid = (uint32_t)v;
      f->previous_known = true;
      return PC_OK;
    default:
      return PC_EINVAL;
  }
}

static int set_bool(int id, pc_facts *f, const char *value) {
  pc_bind_attempt *a = &f->attempt;
  bool b;
  switch (id) {
    case PC__F_REUSEADDR:
      return set_opt(&a->sockopts, &a->sockopts_known, PC_SOCKOPT_REUSEADDR, value);
    case PC__F_EXCLUSIVEADDRUSE:
      return set_opt(&a->sockopts, &a->sockopts_known, PC_SOCKOPT_EXCLUSIVEADDRUSE, value);
    case PC__F_REUSEPORT:
      return set_opt(&a->sockopts, &a->sockopts_known, PC_SOCKOPT_REUSEPORT, value);
    case PC__F_V6ONLY:
      return set_opt(&a->sockopts, &a->sockopts_known, PC_SOCKOPT_V6ONLY, value);
    case PC__F_OWNER_REUSEADDR:
      f->owner_known = true;
      return set_opt(&f->owner_sockopts, &f->owner_sockopts_known, PC_SOCKOPT_REUSEADDR, value);
    case PC__F_OWNER_EXCLUSIVE:
      f->owner_known = true;
      return set_opt(&f->owner_sockopts, &f->owner_sockopts_known, PC_SOCKOPT_EXCLUSIVEADDRUSE, value);
    default:
      break;
  }
  if (parse_bool(value, &b) != PC_OK) return PC_EPARSE;
  switch (id) {
    case PC__F_FAILED:
      a->failed = b;
      return PC_OK;
    case PC__F_HYPOTHETICAL:
      f->hypothetical = b;
      return PC_OK;
    case PC__F_OWNER_KERNEL:
      f->owner_kernel = b;
      f->owner_known = true;
      return PC_OK;
    case PC__F_EXCLUDED:
      f->excluded = b;
      f->ranges_known = true;
      return PC_OK;
    case PC__F_OTHER_NETNS:
      f->other_netns = b;
      f->netns_known = true;
      return PC_OK;
    case PC__F_RANGES_KNOWN:
      f->ranges_known = b;
      return PC_OK;
    case PC__F_HOSTSTATE_STALE:
      f->hoststate_stale = b;
      return PC_OK;
    case PC__F_OWNERS_KNOWN:
      f->owners_known = b;
      return PC_OK;
    case PC__F_EXCLUDED_ADMINISTERED:
      f->excluded_administered = b;
      f->excluded = true;
      return PC_OK;
    case PC__F_IN_DYNAMIC:
      f->in_dynamic = b;
      f->dynamic_known = true;
      return PC_OK;
    case PC__F_WATCHED:
      f->watched = b;
      f->event_kind = PC_FACTS_PORT_AT_RISK;
      return PC_OK;
    default:
      return PC_EINVAL; /* derived: wildcard, owner_wildcard */
  }
}

/* Names come from pc_core's one table, WSA and Linux errno alike. */
static int set_error_name(pc_facts *f, const char *value) {
  uint32_t num;
  bool is_errno;
  if (!pc_os_error_from_name(value, &num, &is_errno)) return PC_EPARSE;
  f->attempt.error = num;
  f->attempt.error_known = true;
  f->attempt.error_is_errno = is_errno;
  return PC_OK;
}

static int set_str(int id, pc_facts *f, const char *value) {
  pc_bind_attempt *a = &f->attempt;
  switch (id) {
    case PC__F_ERROR_NAME:
      return set_error_name(f, value);
    case PC__F_STAGE:
      if (strcmp(value, "bind") == 0)
        a->stage = PC_STAGE_BIND;
      else if (strcmp(value, "listen") == 0)
        a->stage = PC_STAGE_LISTEN;
      else if (strcmp(value, "create") == 0)
        a->stage = PC_STAGE_CREATE;
      else
        return PC_EPARSE;
      return PC_OK;
    case PC__F_PROTO:
      if (strcmp(value, "tcp") == 0)
        a->proto = PC_PROTO_TCP;
      else if (strcmp(value, "udp") == 0)
        a->proto = PC_PROTO_UDP;
      else
        return PC_EPARSE;
      return PC_OK;
    case PC__F_FAMILY:
      return parse_family(value, &a->local.family);
    case PC__F_ADDRESS: {
      pc_addr ad = a->local;
      if (pc_addr_parse_ip(value, &ad) != PC_OK) return PC_EPARSE;
      a->local = ad;
      a->addr_known = true;
      return PC_OK;
    }
    case PC__F_PROCESS:
      return set_text(f->process_name, sizeof f->process_name, value);
    case PC__F_PROCESS_PATH:
      return set_text(f->process_path, sizeof f->process_path, value);
    case PC__F_PROCESS_USER:
      return set_text(f->process_user, sizeof f->process_user, value);
    case PC__F_PROCESS_SERVICE:
      return set_text(f->process_service, sizeof f->process_service, value);
    case PC__F_OWNER_PROCESS:
      f->owner_known = true;
      return set_text(f->owner_name, sizeof f->owner_name, value);
    case PC__F_OWNER_PATH:
      f->owner_known = true;
      return set_text(f->owner_path, sizeof f->owner_path, value);
    case PC__F_OWNER_SERVICE:
      f->owner_known = true;
      return set_text(f->owner_service, sizeof f->owner_service, value);
    case PC__F_OWNER_USER:
      f->owner_known = true;
      return set_text(f->owner_user, sizeof f->owner_user, value);
    case PC__F_OWNER_URL:
      f->owner_known = true;
      return set_text(f->owner_url, sizeof f->owner_url, value);
    case PC__F_OWNER_QUEUE:
      f->owner_known = true;
      return set_text(f->owner_queue, sizeof f->owner_queue, value);
    case PC__F_OWNER_STATE:
      f->owner_known = true;
      for (uint8_t s = PC_OWNER_STATE_LISTEN; s <= PC_OWNER_STATE_OTHER; s++) {
        if (strcmp(owner_state_name(s), value) == 0) {
          f->owner_state = s;
          return PC_OK;
        }
      }
      return PC_EPARSE;
    case PC__F_OWNER_ADDRESS: {
      pc_addr ad = f->owner_addr;
      if (pc_addr_parse_ip(value, &ad) != PC_OK) return PC_EPARSE;
      f->owner_addr = ad;
      f->owner_known = true;
      return PC_OK;
    }
    case PC__F_OS:
      if (strcmp(value, "windows") == 0)
        f->os = PC_OS_WINDOWS;
      else if (strcmp(value, "linux") == 0)
        f->os = PC_OS_LINUX;
      else
        return PC_EPARSE;
      return PC_OK;
    case PC__F_EVENT:
      for (uint8_t k = PC_FACTS_BIND_FAILURE; k <= PC_FACTS_PORT_AT_RISK; k++) {
        if (strcmp(event_name(k), value) == 0) {
          f->event_kind = k;
          return PC_OK;
        }
      }
      return PC_EPARSE;
    case PC__F_RISK_REASON:
      for (uint8_t r = PC_RISK_RESERVATION_EVENT; r <= PC_RISK_NEW_HOLDER; r++) {
        if (strcmp(risk_reason_name(r), value) == 0) {
          f->risk_reason = r;
          f->event_kind = PC_FACTS_PORT_AT_RISK;
          return PC_OK;
        }
      }
      return PC_EPARSE;
    case PC__F_PREVIOUS_PROCESS:
      f->previous_known = true;
      return set_text(f->previous_process, sizeof f->previous_process, value);
    default:
      return PC_EINVAL; /* derived: owner_family */
  }
}

int pc_rules_facts_set(pc_facts *f, const char *field, const char *value) {
  if (!f || !field || !value) return PC_EINVAL;
  int id = pc__field_lookup(field, strlen(field));
  if (id < 0) return PC_ENOENT;
  if (strcmp(value, "null") == 0) return PC_OK;
  switch (pc__fields[id].type) {
    case PC__FT_NUM: {
      uint64_t v;
      if (!pc_parse_uint(value, strlen(value), UINT64_MAX, true, &v)) return PC_EPARSE;
      return set_num(id, f, v);
    }
    case PC__FT_BOOL:
      return set_bool(id, f, value);
    default:
      return set_str(id, f, value);
  }
}
