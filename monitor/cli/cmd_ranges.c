/* portclash ranges: the excluded port ranges and the dynamic range, with who holds ports in
 * the excluded ranges when the host state knows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pc_error.h"
#include "pc_format.h"
#include "pc_hoststate.h"
#include "options.h"
#include "ranges_diff.h"

/* Owner lookups are per port; wide ranges (a Linux reserved block, a 100-port WinNAT range)
 * would make this slow on a live machine, so only this many ports are checked in total. */
#define OWNER_PORTS_BUDGET 2048
#define OWNERS_PER_RANGE 4

static const char *family_name(uint8_t f) {
  return f == PC_AF_INET ? "ipv4" : f == PC_AF_INET6 ? "ipv6" : "any";
}

typedef struct range_owners {
  pc_owner owners[OWNERS_PER_RANGE];
  size_t n;     /* stored */
  size_t total; /* found */
  bool checked;
} range_owners;

/* Collects the sockets holding ports in r (both protocols when the range is for both). */
static void find_owners(pc_hoststate *hs, const pc_port_range *r, size_t *budget, range_owners *ro) {
  memset(ro, 0, sizeof *ro);
  size_t width = (size_t)r->end - r->start + 1;
  uint8_t protos[2] = {r->proto ? r->proto : PC_PROTO_TCP, r->proto ? 0 : PC_PROTO_UDP};
  size_t cost = width * (protos[1] ? 2 : 1);
  if (cost > *budget) return;
  *budget -= cost;
  ro->checked = true;
  for (int p = 0; p < 2 && protos[p]; p++) {
    for (uint32_t port = r->start; port <= r->end; port++) {
      pc_owner found[OWNERS_PER_RANGE];
      size_t total = 0;
      if (pc_hoststate_owners(hs, protos[p], (uint16_t)port, NULL, found, OWNERS_PER_RANGE, &total) != PC_OK)
        continue;
      for (size_t i = 0; i < total && i < OWNERS_PER_RANGE; i++) {
        if (ro->n < OWNERS_PER_RANGE) ro->owners[ro->n++] = found[i];
      }
      ro->total += total;
    }
  }
}

static void text_owner(FILE *out, const pc_owner *o) {
  char ip[PC_ADDR_TEXT_MAX];
  pc_addr_format_ip(&o->local, ip, sizeof ip);
  fprintf(out, "      %s %s:%u held by ", pc_proto_name(o->proto), ip, o->local.port);
  pc__print_process(out, o->pid, &o->process);
  fprintf(out, "%s, %s\n", o->kernel ? " [kernel]" : "", pc_owner_state_name(o->state));
}

static void json_owner(pc_json_writer *w, const pc_owner *o) {
  char ip[PC_ADDR_TEXT_MAX];
  pc_addr_format_ip(&o->local, ip, sizeof ip);
  pc_json_begin_object(w);
  pc_json_key_str(w, "proto", pc_proto_name(o->proto));
  pc_json_key_str(w, "address", ip);
  pc_json_key_u64(w, "port", o->local.port);
  pc_json_key_u64_or_null(w, "pid", o->pid != 0, o->pid);
  pc_json_key_str(w, "process", o->process.name[0] ? o->process.name : NULL);
  pc_json_key_str(w, "state", pc_owner_state_name(o->state));
  pc_json_key_bool(w, "kernel", o->kernel);
  pc_json_end_object(w);
}

/* Opens a range's object with the members both kinds of range have. */
static void json_range_begin(pc_json_writer *w, uint8_t proto, uint8_t family, uint64_t start, uint64_t end) {
  pc_json_begin_object(w);
  pc_json_key_str(w, "proto", pc_proto_name(proto));
  pc_json_key_str(w, "family", family_name(family));
  pc_json_key_u64(w, "start", start);
  pc_json_key_u64(w, "end", end);
}

static void print_json(FILE *out, pc_hoststate *hs, const pc_port_range *ex, size_t n_ex,
                       const range_owners *ro, const pc_dynamic_range *dyn, size_t n_dyn, bool unpriv_known,
                       uint16_t unpriv) {
  pc_json_writer w;
  pc_json_init(&w, out);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "source", pc_hoststate_backend(hs));
  pc_json_key(&w, "excluded");
  pc_json_begin_array(&w);
  for (size_t i = 0; i < n_ex; i++) {
    json_range_begin(&w, ex[i].proto, ex[i].family, ex[i].start, ex[i].end);
    pc_json_key_bool(&w, "administered", ex[i].administered);
    pc_json_key(&w, "owners");
    if (!ro[i].checked) {
      pc_json_null(&w);
    } else {
      pc_json_begin_array(&w);
      for (size_t k = 0; k < ro[i].n; k++) json_owner(&w, &ro[i].owners[k]);
      pc_json_end_array(&w);
    }
    pc_json_end_object(&w);
  }
  pc_json_end_array(&w);
  pc_json_key(&w, "dynamic");
  pc_json_begin_array(&w);
  for (size_t i = 0; i < n_dyn; i++) {
    json_range_begin(&w, dyn[i].proto, dyn[i].family, dyn[i].start,
                     (unsigned)(dyn[i].start + dyn[i].count - 1));
    pc_json_key_u64(&w, "count", (unsigned)dyn[i].count);
    pc_json_end_object(&w);
  }
  pc_json_end_array(&w);
  pc_json_key_u64_or_null(&w, "unprivileged_start", unpriv_known, unpriv);
  pc_json_end_object(&w);
  pc_json_end_document(&w);
}

int pc_cmd_ranges_io(int argc, char **argv, FILE *out, FILE *errout) {
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_RANGES, argc, argv, out, errout);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  const pc_hoststate_offline_files files = o.run.offline;
  bool json = o.json, diff = o.diff;
  pc_hoststate *hs;
  int code = pc__cmd_open_hoststate("ranges", &files, &hs, errout);
  if (code != PC_EXIT_OK) return code;
  if (diff) {
    code = pc_ranges_diff(hs, NULL, json, out, errout);
    pc_hoststate_close(hs);
    return code;
  }

  const pc_port_range *ex;
  size_t n_ex = pc_hoststate_excluded(hs, &ex);
  const pc_dynamic_range *dyn;
  size_t n_dyn = pc_hoststate_dynamic(hs, &dyn);
  range_owners *ro = calloc(n_ex ? n_ex : 1, sizeof *ro);
  if (!ro) {
    fprintf(errout, "portclash ranges: out of memory\n");
    pc_hoststate_close(hs);
    return PC_EXIT_FAILURE;
  }
  size_t budget = OWNER_PORTS_BUDGET;
  for (size_t i = 0; i < n_ex; i++) find_owners(hs, &ex[i], &budget, &ro[i]);
  uint16_t unpriv = 0;
  bool unpriv_known = pc_hoststate_unprivileged_start(hs, &unpriv);
  bool linux_hs = pc_hoststate_os(hs) == PC_OS_LINUX;

  if (json) {
    print_json(out, hs, ex, n_ex, ro, dyn, n_dyn, unpriv_known, unpriv);
  } else {
    fprintf(
        out, "Excluded port ranges (host state: %s)%s\n",
        pc_hoststate_is_live(hs) ? "this machine" : "the given files",
        linux_hs ? " - ip_local_reserved_ports: never picked automatically, explicit binds still work" : "");
    if (n_ex == 0) fputs("  none\n", out);
    if (n_ex) fprintf(out, "  %-5s %-5s %5s %5s  %s\n", "proto", "ip", "start", "end", "administered");
    for (size_t i = 0; i < n_ex; i++) {
      fprintf(out, "  %-5s %-5s %5u %5u  %s\n", pc_proto_name(ex[i].proto), family_name(ex[i].family),
              ex[i].start, ex[i].end, ex[i].administered ? "*" : "");
      if (!ro[i].checked) {
        fputs("      (owners not checked: too many ports)\n", out);
        continue;
      }
      for (size_t k = 0; k < ro[i].n; k++) text_owner(out, &ro[i].owners[k]);
      if (ro[i].total > ro[i].n) fprintf(out, "      ... and %zu more socket(s)\n", ro[i].total - ro[i].n);
    }
    fputs("Dynamic port range\n", out);
    if (n_dyn == 0) fputs("  unknown\n", out);
    for (size_t i = 0; i < n_dyn; i++)
      fprintf(out, "  %-5s %-5s %5u %5u  (%u ports)\n", pc_proto_name(dyn[i].proto),
              family_name(dyn[i].family), dyn[i].start, (unsigned)(dyn[i].start + dyn[i].count - 1),
              (unsigned)dyn[i].count);
    if (unpriv_known)
      fprintf(out, "Unprivileged port start: %u (lower ports need CAP_NET_BIND_SERVICE)\n", unpriv);
  }
  free(ro);
  /* Every run leaves a baseline for a later --diff; failing to save is not this run's error. */
  (void)pc_ranges_snapshot_update(hs, NULL, pc_time_from_unix((int64_t)time(NULL), 0));
  pc_hoststate_close(hs);
  return PC_EXIT_OK;
}

int pc_cmd_ranges(int argc, char **argv) {
  return pc_cmd_ranges_io(argc, argv, stdout, stderr);
}
