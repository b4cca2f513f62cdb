/* The live Linux host-state back end, from /proc.
 *
 * Ranges: /proc/sys/net/ipv4/ip_local_port_range (the dynamic range, shared by TCP and UDP,
 * IPv4 and IPv6), ip_local_reserved_ports (shown as administered excluded ranges; they only
 * stop the kernel from choosing those ports, explicit binds still work) and
 * ip_unprivileged_port_start.
 *
 * Owners: /proc/net/{tcp,tcp6,udp,udp6}, then socket inode -> PID by reading the
 * /proc/PID/fd/ links ("socket:[inode]"). sock_diag netlink would be faster and could report
 * V6ONLY and bound-but-idle sockets on newer kernels; /proc/net is simpler and enough for a
 * lookup per failure. Neither shows TCP sockets that are bound but not listening (before
 * Linux 6.x's bound-inactive dump), which the test bind in `explain` catches instead. Without
 * root, fd links of other users' processes cannot be read: such owners have PID 0.
 *
 * Caching: a lookup is remembered for CACHE_TTL_MS of monotonic time, per (proto, port), so a
 * burst of failures on one port scans /proc once; pc_hoststate_refresh drops the cache. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pc_error.h"
#include "pc_hoststate.h"
#include "pc_os.h"

#define CACHE_SLOTS 16
#define CACHE_ROWS 64
#define CACHE_TTL_MS 1000
#define PROC_NET_MAX_LINES 4000000 /* a bound on hostile or runaway /proc/net files */

typedef struct cache_slot {
  bool used;
  uint8_t proto;
  uint16_t port;
  uint64_t netns; /* the namespace the rows were read in */
  int64_t at_ms;
  size_t n; /* rows stored (only ports with at most CACHE_ROWS sockets are cached) */
  pc_owner_row rows[CACHE_ROWS];
} cache_slot;

typedef struct linux_hs {
  const char *proc; /* "/proc", or a fake tree in tests (borrowed: must outlive the handle) */
  cache_slot cache[CACHE_SLOTS];
  unsigned next_slot;
} linux_hs;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns bytes read or -1. */
static long read_small(const char *path, char *buf, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return (long)n;
}

/* Copies src into dst, truncating (snprintf would warn that truncation is possible). */
static void copy_trunc(char *dst, size_t cap, const char *src) {
  size_t l = strlen(src);
  if (l >= cap) l = cap - 1;
  memcpy(dst, src, l);
  dst[l] = '\0';
}

/* ---- ranges ------------------------------------------------------------------------------- */

/* Parses "8080,9000-9010" (ip_local_reserved_ports). */
static int parse_reserved(const char *s, pc_port_range **out, size_t *n) {
  *out = NULL;
  *n = 0;
  size_t cap = 0;
  while (*s) {
    while (*s == ',' || *s == ' ' || *s == '\n' || *s == '\t') s++;
    if (!*s) break;
    char *end;
    unsigned long a = strtoul(s, &end, 10), b = a;
    if (end == s) break;
    s = end;
    if (*s == '-') {
      b = strtoul(s + 1, &end, 10);
      if (end == s + 1) break;
      s = end;
    }
    if (a > 65535 || b > 65535 || a > b) continue;
    if (*n == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      if (ncap > 65536) break;
      pc_port_range *p = realloc(*out, ncap * sizeof *p);
      if (!p) {
        free(*out);
        *out = NULL;
        *n = 0;
        return PC_ENOMEM;
      }
      *out = p;
      cap = ncap;
    }
    (*out)[(*n)++] = (pc_port_range){.start = (uint16_t)a, .end = (uint16_t)b, .administered = true};
  }
  return PC_OK;
}

static int lx_refresh(pc_hoststate *hs, void *impl) {
  linux_hs *lx = impl;
  memset(lx->cache, 0, sizeof lx->cache);
  char path[256], buf[65536];
  pc_dynamic_range *dyn = NULL;
  size_t n_dyn = 0;
  snprintf(path, sizeof path, "%s/sys/net/ipv4/ip_local_port_range", lx->proc);
  unsigned lo, hi;
  if (read_small(path, buf, sizeof buf) > 0 && sscanf(buf, "%u %u", &lo, &hi) == 2 && lo >= 1 && lo <= hi &&
      hi <= 65535) {
    dyn = malloc(sizeof *dyn);
    if (!dyn) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
    *dyn = (pc_dynamic_range){.start = (uint16_t)lo, .count = hi - lo + 1};
    n_dyn = 1;
  }
  pc_port_range *excl = NULL;
  size_t n_excl = 0;
  snprintf(path, sizeof path, "%s/sys/net/ipv4/ip_local_reserved_ports", lx->proc);
  if (read_small(path, buf, sizeof buf) > 0 && parse_reserved(buf, &excl, &n_excl) != PC_OK) {
    free(dyn);
    return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  }
  snprintf(path, sizeof path, "%s/sys/net/ipv4/ip_unprivileged_port_start", lx->proc);
  unsigned up = 0;
  bool up_known = read_small(path, buf, sizeof buf) > 0 && sscanf(buf, "%u", &up) == 1 && up <= 65536;
  /* 65536 would mean "every port is privileged"; it does not fit a port, so clamp. */
  pc__hoststate_set_ranges(hs, excl, n_excl, dyn, n_dyn, up_known, (uint16_t)(up > 65535 ? 65535 : up));
  return PC_OK;
}

/* ---- sockets ------------------------------------------------------------------------------ */

/* /proc/net prints addresses as 32-bit words in host byte order, each as %08X: copying the
 * words back as memory gives the network-order bytes. */
static bool hex_addr(const char *hex, pc_addr *out) {
  size_t len = strlen(hex);
  if (len != 8 && len != 32) return false;
  memset(out, 0, sizeof *out);
  out->family = len == 8 ? PC_AF_INET : PC_AF_INET6;
  for (size_t w = 0; w < len / 8; w++) {
    char word[9];
    memcpy(word, hex + w * 8, 8);
    word[8] = '\0';
    char *end;
    uint32_t v = (uint32_t)strtoul(word, &end, 16);
    if (*end) return false;
    memcpy(out->bytes + w * 4, &v, 4);
  }
  return true;
}

static uint8_t tcp_state(unsigned st) {
  switch (st) {
    case 0x01:
      return PC_OWNER_STATE_ESTABLISHED;
    case 0x06:
      return PC_OWNER_STATE_TIME_WAIT;
    case 0x07:
      return PC_OWNER_STATE_BOUND; /* TCP_CLOSE: created and bound, not listening */
    case 0x08:
      return PC_OWNER_STATE_CLOSE_WAIT;
    case 0x0A:
      return PC_OWNER_STATE_LISTEN;
    default:
      return PC_OWNER_STATE_OTHER;
  }
}

typedef struct found {
  pc_owner_row row;
  unsigned long inode;
} found;

/* Reads one /proc/net file, keeping the rows on port. */
static void scan_net(const char *path, uint8_t proto, uint16_t port, found *rows, size_t cap, size_t *n) {
  FILE *f = fopen(path, "r");
  if (!f) return; /* no IPv6, or no /proc/net in this namespace */
  char line[512];
  unsigned long lines = 0;
  while (fgets(line, sizeof line, f) && ++lines < PROC_NET_MAX_LINES) {
    char la[40], ra[40];
    unsigned lp, rp, st, uid;
    unsigned long inode;
    if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %u %*d %lu", la, &lp,
               ra, &rp, &st, &uid, &inode) != 7)
      continue; /* the header line */
    if (lp != port) continue;
    found fr = {.inode = inode};
    fr.row.proto = proto;
    if (!hex_addr(la, &fr.row.local) || !hex_addr(ra, &fr.row.remote)) continue;
    fr.row.local.port = (uint16_t)lp;
    fr.row.remote.port = (uint16_t)rp;
    fr.row.state = proto == PC_PROTO_UDP ? PC_OWNER_STATE_UDP : tcp_state(st);
    if (*n < cap) {
      rows[*n] = fr;
    } else if (fr.row.state == PC_OWNER_STATE_LISTEN || fr.row.state == PC_OWNER_STATE_BOUND ||
               fr.row.state == PC_OWNER_STATE_UDP) {
      /* Keep port holders over connections when the port is very busy. */
      for (size_t i = cap; i > 0; i--)
        if (rows[i - 1].row.state != PC_OWNER_STATE_LISTEN && rows[i - 1].row.state != PC_OWNER_STATE_BOUND &&
            rows[i - 1].row.state != PC_OWNER_STATE_UDP) {
          rows[i - 1] = fr;
          break;
        }
    }
    (*n)++;
  }
  fclose(f);
}

static bool all_digits(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

/* Finds the PIDs holding the inodes of rows[0..n) by reading every /proc/PID/fd. Stops as soon
 * as every inode is resolved. */
static void resolve_pids(const char *proc, found *rows, size_t n) {
  size_t missing = 0;
  for (size_t i = 0; i < n; i++)
    if (rows[i].inode != 0) missing++;
  if (missing == 0) return;
  DIR *d = opendir(proc);
  if (!d) return;
  struct dirent *de;
  char path[640], link[64];
  while (missing > 0 && (de = readdir(d)) != NULL) {
    if (!all_digits(de->d_name)) continue;
    snprintf(path, sizeof path, "%s/%s/fd", proc, de->d_name);
    DIR *fd = opendir(path);
    if (!fd) continue; /* another user's process without root, or it exited */
    uint32_t pid = (uint32_t)strtoul(de->d_name, NULL, 10);
    struct dirent *fe;
    while (missing > 0 && (fe = readdir(fd)) != NULL) {
      if (fe->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "%s/%s/fd/%s", proc, de->d_name, fe->d_name);
      ssize_t ll = readlink(path, link, sizeof link - 1);
      if (ll < 9) continue;
      link[ll] = '\0';
      if (strncmp(link, "socket:[", 8) != 0) continue;
      unsigned long ino = strtoul(link + 8, NULL, 10);
      for (size_t i = 0; i < n; i++)
        if (rows[i].inode == ino && rows[i].row.pid == 0) {
          rows[i].row.pid = pid;
          missing--;
        }
    }
    closedir(fd);
  }
  closedir(d);
}

/* The namespace inode of pid (0 = ours): /proc/PID/ns/net is a link to "net:[INODE]". */
static int lx_netns(void *impl, uint32_t pid, uint64_t *ino) {
  linux_hs *lx = impl;
  char path[256];
  if (pid)
    snprintf(path, sizeof path, "%s/%u/ns/net", lx->proc, (unsigned)pid);
  else
    snprintf(path, sizeof path, "%s/self/ns/net", lx->proc);
  struct stat st;
  if (stat(path, &st) != 0) return PC_ENOENT;
  *ino = (uint64_t)st.st_ino;
  return PC_OK;
}

static int lx_sockets(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows,
                      size_t cap, size_t *n) {
  linux_hs *lx = impl;
  *n = 0;
  int64_t now = now_ms();
  /* /proc/PID/net shows the tables of PID's network namespace; fall back to ours when the
   * process is gone or not visible. */
  char netdir[128];
  uint64_t netns = 0;
  uint32_t view = pc__hoststate_view_pid(hs);
  snprintf(netdir, sizeof netdir, "%s/net", lx->proc);
  if (view && lx_netns(lx, view, &netns) == PC_OK)
    snprintf(netdir, sizeof netdir, "%s/%u/net", lx->proc, (unsigned)view);
  else if (lx_netns(lx, 0, &netns) != PC_OK)
    netns = 0;
  for (size_t s = 0; s < CACHE_SLOTS; s++) {
    cache_slot *c = &lx->cache[s];
    if (c->used && c->proto == proto && c->port == port && c->netns == netns &&
        now - c->at_ms < CACHE_TTL_MS) {
      for (size_t i = 0; i < c->n; i++) pc__hoststate_keep_row(rows, cap, n, &c->rows[i]);
      return PC_OK;
    }
  }
  size_t fcap = cap < 4096 ? cap : 4096;
  found *fr = calloc(fcap ? fcap : 1, sizeof *fr);
  if (!fr) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  size_t nf = 0;
  const char *names[2] = {proto == PC_PROTO_UDP ? "udp" : "tcp", proto == PC_PROTO_UDP ? "udp6" : "tcp6"};
  char path[256];
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", netdir, names[i]);
    scan_net(path, proto, port, fr, fcap, &nf);
  }
  size_t kept = nf < fcap ? nf : fcap;
  resolve_pids(lx->proc, fr, kept);
  for (size_t i = 0; i < kept; i++) pc__hoststate_keep_row(rows, cap, n, &fr[i].row);
  *n = nf;
  /* Busy ports (more sockets than a slot holds) are not cached: a partial answer could hide
   * a listener that the next scan would keep. */
  if (nf <= CACHE_ROWS) {
    cache_slot *c = &lx->cache[lx->next_slot++ % CACHE_SLOTS];
    c->used = true;
    c->proto = proto;
    c->port = port;
    c->netns = netns;
    c->at_ms = now;
    c->n = nf;
    for (size_t i = 0; i < nf; i++) c->rows[i] = fr[i].row;
  }
  free(fr);
  return PC_OK;
}

/* ---- processes ---------------------------------------------------------------------------- */

/* The systemd unit from /proc/PID/cgroup ("0::/system.slice/nginx.service" -> nginx.service). */
static void systemd_unit(const char *proc, uint32_t pid, char *out, size_t cap) {
  char path[128], buf[4096];
  snprintf(path, sizeof path, "%s/%u/cgroup", proc, (unsigned)pid);
  if (read_small(path, buf, sizeof buf) <= 0) return;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    /* Walk the path components from the end: the innermost .service is the unit. */
    char *p = strrchr(line, ':');
    if (!p) continue;
    char *best = NULL, *save2 = NULL;
    for (char *tok = strtok_r(p + 1, "/", &save2); tok; tok = strtok_r(NULL, "/", &save2)) {
      size_t l = strlen(tok);
      if (l > 8 && strcmp(tok + l - 8, ".service") == 0) best = tok;
    }
    if (best) {
      copy_trunc(out, cap, best);
      return;
    }
  }
}

/* Account name of uid (its number when it has none), the same spelling for the failing
 * process and the holder so that rules can compare them. */
static int lx_user_name(void *impl, uint32_t uid, char *buf, size_t cap) {
  (void)impl;
  struct passwd pw, *res = NULL;
  char pwbuf[1024];
  if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
    snprintf(buf, cap, "%s", res->pw_name);
  else
    snprintf(buf, cap, "%u", (unsigned)uid);
  return PC_OK;
}

static int lx_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  linux_hs *lx = impl;
  char path[128], buf[4096];
  snprintf(path, sizeof path, "%s/%u/comm", lx->proc, (unsigned)pid);
  long n = read_small(path, buf, sizeof buf);
  if (n < 0) return PC_ENOENT;
  buf[strcspn(buf, "\n")] = '\0';
  copy_trunc(out->name, sizeof out->name, buf);
  snprintf(path, sizeof path, "%s/%u/exe", lx->proc, (unsigned)pid);
  ssize_t ll = readlink(path, out->path, sizeof out->path - 1);
  out->path[ll > 0 ? ll : 0] = '\0';
  snprintf(path, sizeof path, "%s/%u/status", lx->proc, (unsigned)pid);
  if (read_small(path, buf, sizeof buf) > 0) {
    const char *u = strstr(buf, "\nUid:");
    unsigned uid;
    if (u && sscanf(u + 5, "%u", &uid) == 1) lx_user_name(lx, uid, out->user, sizeof out->user);
  }
  systemd_unit(lx->proc, pid, out->service, sizeof out->service);
  return PC_OK;
}

/* ---- test bind ---------------------------------------------------------------------------- */

static int lx_test_bind(pc_hoststate *hs, void *impl, uint8_t proto, const pc_addr *addr, bool reuseaddr,
                        int *os_error, const char **stage) {
  (void)impl;
  if (pc_os_test_bind(proto, addr, reuseaddr, os_error, stage) != PC_OK)
    return pc__hoststate_fail(hs, PC_EINVAL, "test bind: no address family");
  return PC_OK;
}

static void lx_destroy(void *impl) {
  free(impl);
}

static const pc__hoststate_ops k_linux_ops = {
    .name = "linux",
    .live = true,
    .os = PC_OS_LINUX,
    .refresh = lx_refresh,
    .sockets = lx_sockets,
    .process = lx_process,
    .test_bind = lx_test_bind,
    .destroy = lx_destroy,
    .netns = lx_netns,
    .user_name = lx_user_name,
};

int pc_hoststate_open_linux_at(const char *proc_root, pc_hoststate **out, char *err, size_t errcap) {
  *out = NULL;
  struct stat st;
  if (stat(proc_root, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (err && errcap)
      snprintf(err, errcap, "%s is not mounted: the live Linux host state needs it", proc_root);
    return PC_ENOTSUP;
  }
  linux_hs *lx = calloc(1, sizeof *lx);
  if (!lx) return PC_ENOMEM;
  lx->proc = proc_root;
  return pc__hoststate_create(&k_linux_ops, lx, out, err, errcap);
}

int pc_hoststate_open_linux(pc_hoststate **out, char *err, size_t errcap) {
  if (access("/proc/self/stat", R_OK) != 0) {
    *out = NULL;
    if (err && errcap) snprintf(err, errcap, "/proc is not mounted: the live Linux host state needs it");
    return PC_ENOTSUP;
  }
  return pc_hoststate_open_linux_at("/proc", out, err, errcap);
}

int pc_hoststate_open_live(pc_hoststate **out, char *err, size_t errcap) {
  return pc_hoststate_open_linux(out, err, errcap);
}
