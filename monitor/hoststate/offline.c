/* The offline host-state back end: the raw text of netsh, netstat and tasklist saved on a
 * Windows machine, read on any OS. Everything is parsed once at open; lookups scan the rows
 * (netstat) or binary-search them (tasklist, merged by PID). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_file.h"
#include "pc_hoststate.h"
#include "pc_vec.h"

typedef struct offline {
  pc_port_range *excluded; /* handed to the handle on the first refresh */
  size_t n_excluded;
  pc_dynamic_range *dynamic;
  size_t n_dynamic;
  pc_owner_row *sockets;
  size_t n_sockets;
  pc_process_row *procs; /* sorted by pid, one row per pid */
  size_t n_procs;
  pc_http_reg *http; /* netsh http servicestate / urlacl registrations, in file order */
  size_t n_http;
} offline;

/* ---- the files given (their options are rows of the CLI's option table) ---------------- */

bool pc_hoststate_offline_empty(const pc_hoststate_offline_files *f) {
  return f->n_netsh_excluded + f->n_netsh_dynamic + f->n_netstat + f->n_tasklist + f->n_netsh_http == 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

/* Strips "tcp:", "udp:", "ipv4:", "ipv6:" hints from the front of spec. */
static const char *take_hints(const char *spec, uint8_t *proto, uint8_t *family) {
  static const struct {
    const char *word;
    uint8_t proto, family;
  } hints[] = {{"tcp:", PC_PROTO_TCP, 0},
               {"udp:", PC_PROTO_UDP, 0},
               {"ipv4:", 0, PC_AF_INET},
               {"ipv6:", 0, PC_AF_INET6}};
  *proto = 0;
  *family = 0;
  for (bool again = true; again;) {
    again = false;
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
      size_t n = strlen(hints[i].word);
      if (strncmp(spec, hints[i].word, n) == 0) {
        if (hints[i].proto) *proto = hints[i].proto;
        if (hints[i].family) *family = hints[i].family;
        spec += n;
        again = true;
      }
    }
  }
  return spec;
}

static int read_all(const char *path, char **out, size_t *len, char *err, size_t errcap) {
  *out = NULL;
  *len = 0;
  FILE *f;
  int orc = pc_file_open(path, &f);
  if (orc == PC_ENOTFILE) {
    snprintf(err, errcap, "%s: %s", path, pc_strerror(orc));
    return orc;
  }
  if (orc != PC_OK) {
    int e = errno;
    snprintf(err, errcap, "%s: cannot open: %s", path, strerror(e));
    return pc_err_from_errno(e);
  }
  /* One byte over the parsers' limit is enough for them to report it. */
  int rc = pc_file_read_stream(f, PC_HOSTTEXT_MAX_BYTES + 1, true, out, len);
  fclose(f);
  if (rc != PC_OK) snprintf(err, errcap, "%s: %s", path, pc_strerror(rc));
  return rc;
}

typedef struct proc_sort {
  pc_process_row row;
  size_t order; /* file and row order, so that merging is deterministic */
} proc_sort;

static int by_pid(const void *a, const void *b) {
  const proc_sort *x = a, *y = b;
  if (x->row.pid != y->row.pid) return x->row.pid < y->row.pid ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

/* Fills what dst lacks from src (plain + /svc + /v rows of one process). */
static void merge_row(pc_process_row *dst, const pc_process_row *src) {
  if (!dst->name[0]) memcpy(dst->name, src->name, sizeof dst->name);
  if (!dst->session_name[0]) memcpy(dst->session_name, src->session_name, sizeof dst->session_name);
  if (!dst->session_known && src->session_known) {
    dst->session = src->session;
    dst->session_known = true;
  }
  if (!dst->mem_known && src->mem_known) {
    dst->mem_kb = src->mem_kb;
    dst->mem_known = true;
  }
  if (!dst->services_known && src->services_known) {
    memcpy(dst->services, src->services, sizeof dst->services);
    dst->services_known = true;
  }
  if (!dst->user[0]) memcpy(dst->user, src->user, sizeof dst->user);
}

static int merge_processes(offline *o, pc_process_row *rows, size_t n) {
  if (n == 0) return PC_OK;
  proc_sort *ps = malloc(n * sizeof *ps);
  if (!ps) return PC_ENOMEM;
  for (size_t i = 0; i < n; i++) ps[i] = (proc_sort){rows[i], i};
  qsort(ps, n, sizeof *ps, by_pid);
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (m > 0 && rows[m - 1].pid == ps[i].row.pid)
      merge_row(&rows[m - 1], &ps[i].row);
    else
      rows[m++] = ps[i].row;
  }
  free(ps);
  o->procs = rows;
  o->n_procs = m;
  return PC_OK;
}

/* ---- back-end operations ----------------------------------------------------------------- */

static int off_refresh(pc_hoststate *hs, void *impl) {
  offline *o = impl;
  /* The files were parsed at open; hand the ranges over once, later refreshes keep them. */
  if (o->excluded || o->dynamic) {
    pc__hoststate_set_ranges(hs, o->excluded, o->n_excluded, o->dynamic, o->n_dynamic, false, 0);
    o->excluded = NULL;
    o->dynamic = NULL;
  }
  return PC_OK;
}

static int off_sockets(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows,
                       size_t cap, size_t *n) {
  (void)hs;
  offline *o = impl;
  *n = 0;
  for (size_t i = 0; i < o->n_sockets; i++)
    if (o->sockets[i].proto == proto && o->sockets[i].local.port == port)
      pc__hoststate_keep_row(rows, cap, n, &o->sockets[i]);
  return PC_OK;
}

static int off_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  offline *o = impl;
  size_t lo = 0, hi = o->n_procs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const pc_process_row *r = &o->procs[mid];
    if (r->pid == pid) {
      snprintf(out->name, sizeof out->name, "%s", r->name);
      snprintf(out->user, sizeof out->user, "%s", r->user);
      /* Several services can share a svchost; the list is cut to fit, at a comma. */
      size_t sl = strlen(r->services);
      if (sl >= sizeof out->service) {
        sl = sizeof out->service - 1;
        while (sl > 0 && r->services[sl] != ',') sl--;
      }
      memcpy(out->service, r->services, sl);
      out->service[sl] = '\0';
      return PC_OK;
    }
    if (r->pid < pid)
      lo = mid + 1;
    else
      hi = mid;
  }
  return PC_ENOENT;
}

static void off_destroy(void *impl) {
  offline *o = impl;
  if (!o) return;
  free(o->excluded);
  free(o->dynamic);
  free(o->sockets);
  free(o->procs);
  free(o->http);
  free(o);
}

static size_t off_http_regs(void *impl, const pc_http_reg **out) {
  offline *o = impl;
  *out = o->http;
  return o->n_http;
}

static const pc__hoststate_ops k_offline_ops = {
    .name = "offline",
    .live = false,
    .os = PC_OS_WINDOWS,
    .refresh = off_refresh,
    .sockets = off_sockets,
    .process = off_process,
    .destroy = off_destroy,
    .http_regs = off_http_regs,
};

int pc_hoststate_open_offline(const pc_hoststate_offline_files *files, pc_hoststate **out, char *err,
                              size_t errcap) {
  *out = NULL;
  char scratch[PC_HOSTSTATE_ERR_MAX];
  if (!err || errcap == 0) {
    err = scratch;
    errcap = sizeof scratch;
  }
  err[0] = '\0';
  offline *o = calloc(1, sizeof *o);
  if (!o) return PC_ENOMEM;
  pc_process_row *procs = NULL;
  size_t n_procs = 0;
  int rc = PC_OK;
  /* Each kind of file: the paths given, and where its rows go (the tasklist's are merged by
   * PID below). */
  enum { EXCLUDED, DYNAMIC, NETSTAT, TASKLIST, HTTP };
  const struct {
    const char *const *paths;
    size_t n_paths;
    void **rows;
    size_t *n_rows;
    size_t size;
  } kinds[] = {
      [EXCLUDED] = {files->netsh_excluded, files->n_netsh_excluded, (void **)&o->excluded, &o->n_excluded,
                    sizeof(pc_port_range)},
      [DYNAMIC] = {files->netsh_dynamic, files->n_netsh_dynamic, (void **)&o->dynamic, &o->n_dynamic,
                   sizeof(pc_dynamic_range)},
      [NETSTAT] = {files->netstat, files->n_netstat, (void **)&o->sockets, &o->n_sockets,
                   sizeof(pc_owner_row)},
      [TASKLIST] = {files->tasklist, files->n_tasklist, (void **)&procs, &n_procs, sizeof(pc_process_row)},
      [HTTP] = {files->netsh_http, files->n_netsh_http, (void **)&o->http, &o->n_http, sizeof(pc_http_reg)},
  };
  for (int kind = EXCLUDED; kind <= HTTP && rc == PC_OK; kind++) {
    for (size_t i = 0; i < kinds[kind].n_paths && rc == PC_OK; i++) {
      const char *spec = kinds[kind].paths[i];
      uint8_t proto = 0, family = 0;
      const char *path = kind == EXCLUDED || kind == DYNAMIC ? take_hints(spec, &proto, &family) : spec;
      char *data;
      size_t len;
      if ((rc = read_all(path, &data, &len, err, errcap)) != PC_OK) break;
      void *rows = NULL;
      size_t n = 0;
      switch (kind) {
        case EXCLUDED:
          rc = pc_netsh_parse_excluded(data, len, path, proto, family, (pc_port_range **)&rows, &n, err,
                                       errcap);
          break;
        case DYNAMIC:
          rc = pc_netsh_parse_dynamic(data, len, path, proto, family, (pc_dynamic_range **)&rows, &n, err,
                                      errcap);
          break;
        case NETSTAT:
          rc = pc_netstat_parse(data, len, path, (pc_owner_row **)&rows, &n, err, errcap);
          break;
        case TASKLIST:
          rc = pc_tasklist_parse(data, len, path, (pc_process_row **)&rows, &n, err, errcap);
          break;
        default:
          rc = pc_netsh_http_parse(data, len, path, (pc_http_reg **)&rows, &n, err, errcap);
          break;
      }
      if (rc == PC_OK) rc = pc_vec_append(kinds[kind].rows, kinds[kind].n_rows, rows, n, kinds[kind].size);
      free(data);
      if (rc == PC_ENOMEM && !err[0]) snprintf(err, errcap, "%s: %s", path, pc_strerror(rc));
    }
  }
  if (rc == PC_OK) {
    rc = merge_processes(o, procs, n_procs);
    if (rc == PC_OK)
      procs = NULL;
    else
      snprintf(err, errcap, "%s", pc_strerror(rc));
  }
  free(procs);
  if (rc != PC_OK) {
    off_destroy(o);
    return rc;
  }
  rc = pc__hoststate_create(&k_offline_ops, o, out, err, errcap);
  if (rc == PC_OK) pc__hoststate_set_known(*out, files->n_netsh_excluded > 0, files->n_netstat > 0);
  return rc;
}
