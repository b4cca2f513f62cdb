/* The live Linux host-state back end, from /proc and sock_diag.
 *
 * Ranges: /proc/sys/net/ipv4/ip_local_port_range (the dynamic range, shared by TCP and UDP,
 * IPv4 and IPv6), ip_local_reserved_ports (shown as administered excluded ranges; they only
 * stop the kernel from choosing those ports, explicit binds still work) and
 * ip_unprivileged_port_start.
 *
 * Owners cost the same on a host with 20 000 sockets as on an idle one:
 *  - the sockets on one port come from NETLINK_SOCK_DIAG (inet_diag dumps filtered by the
 *    source port in the kernel, the way `ss sport = :PORT` asks), in the failing process's
 *    network namespace: a netlink socket opened there (by a short-lived thread that setns()
 *    into /proc/PID/ns/net) is kept per namespace. Without that (no CAP_SYS_ADMIN for
 *    setns, no sock_diag, or a fake /proc tree in tests) the rows come from
 *    /proc/PID/net/{tcp,udp}[6] as before, parsed only for lines on the port;
 *  - socket inode -> PID comes from an index of every process's socket fds, built by one
 *    walk of /proc/PID/fd on the first lookup and then kept current lazily: when an inode is
 *    not in it, only processes that are new or whose fd count changed (the size of
 *    /proc/PID/fd, Linux 6.2+) are walked again; a full walk happens only when that does
 *    not find it, at most once per ten times its own duration, and exited processes leave
 *    the index on each refresh;
 *  - process details are cached by (PID, start time from /proc/PID/stat): one small read
 *    checks an entry, a reused PID has another start time and is read afresh, an exited
 *    process has no stat and is dropped; execve() changes the name in stat, which also
 *    invalidates. Account names are cached by uid.
 * Neither source shows TCP sockets that are bound but not listening (before Linux 6.x's
 * bound-inactive dump), which the test bind in `explain` catches instead. Without root, fd
 * links of other users' processes cannot be read: such owners have PID 0.
 *
 * Caching of rows: a lookup is remembered for CACHE_TTL_MS of monotonic time, per (proto,
 * port, namespace), whatever the number of sockets on the port; pc_hoststate_refresh drops
 * it. */
#define _GNU_SOURCE /* setns */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pc_error.h"
#include "pc_hoststate.h"

#define CACHE_SLOTS 64
#define CACHE_TTL_MS 1000
#define PROC_NET_MAX_LINES 4000000 /* a bound on hostile or runaway /proc/net files */
#define DIAG_NS_MAX 8              /* netlink sockets kept for other network namespaces */
#define PROC_CACHE_MAX 4096        /* process details kept (a full table is emptied) */
#define USER_CACHE_MAX 64
#define USER_TTL_MS 60000
#define INDEX_MAX 4000000 /* socket inodes indexed: a bound on runaway hosts */
#define SNAP_TTL_MS 1000  /* the holder snapshot is rebuilt when older */
#define SNAP_MAX 4000000  /* holders in a snapshot at most */
#define NEG_TTL_MS 1000   /* an inode no walk found is not looked for again this long */
#define NEG_MAX 65536     /* such inodes remembered (then forgotten all at once) */

typedef struct cache_slot {
  bool used;
  uint8_t proto;
  uint16_t port;
  uint64_t netns; /* the namespace the rows were read in */
  int64_t at_ms;
  size_t n;    /* sockets on the port */
  size_t kept; /* rows stored (listeners first when there were more than the caller's cap) */
  size_t cap;  /* rows allocated */
  pc_owner_row *rows;
} cache_slot;

/* An open-addressing map of nonzero 64-bit keys (socket inodes, PIDs) to 64-bit values. */
typedef struct u64map {
  uint64_t *keys, *vals;
  size_t cap, n; /* cap is 0 or a power of two */
} u64map;

typedef struct diag_ns {
  uint64_t netns;
  int fd;       /* -1: cannot be opened (then /proc/PID/net is read instead) */
  int64_t used; /* for eviction */
} diag_ns;

typedef struct proc_entry {
  uint32_t pid;
  uint64_t start; /* start time in clock ticks since boot (field 22 of /proc/PID/stat) */
  char comm[20];  /* the name in /proc/PID/stat (16 bytes at most): execve() changes it */
  pc_process_info info;
} proc_entry;

typedef struct user_entry {
  uint32_t uid;
  int64_t at_ms;
  char name[PC_NAME_MAX];
} user_entry;

/* All holders of ports (TCP listeners, UDP sockets) of our namespace, by (proto, port). */
typedef struct snapshot {
  int64_t at_ms; /* 0: none */
  struct found *rows;
  size_t n, cap;
  uint32_t *off; /* 2 x 65537 + 1: rows of (p, port) are [off[b], off[b + 1]), b = p * 65537 + port */
} snapshot;

typedef struct linux_hs {
  const char *proc; /* "/proc", or a fake tree in tests (borrowed: must outlive the handle) */
  bool real_proc;   /* proc is this kernel's /proc: sock_diag and setns describe the same host */
  cache_slot cache[CACHE_SLOTS];
  unsigned next_slot;
  /* Our own namespace, read once (0 when unknown). */
  bool own_ns_read;
  int own_ns_rc;
  uint64_t own_ns;
  int own_diag; /* netlink socket in our namespace; -1 before first use, -2 unavailable */
  diag_ns diag[DIAG_NS_MAX];
  uint32_t diag_seq;
  /* The inode -> PID index and the processes it was built from (PID -> gen << 40 | fd count). */
  u64map index, procs;
  u64map unknown; /* inode -> when a refresh last failed to find it (ms) */
  bool index_built;
  bool fd_counts; /* the kernel reports fd counts as the size of /proc/PID/fd (6.2+) */
  uint32_t gen;
  int64_t last_refresh_us, refresh_cost_us;
  int64_t last_full_us, full_cost_us;
  /* Process details by PID, validated by start time. */
  u64map pcache; /* PID -> slot + 1 in pentries */
  proc_entry *pentries;
  size_t npentries;
  user_entry users[USER_CACHE_MAX];
  unsigned next_user;
  snapshot snap;
  /* For the tests and the benchmark. */
  pc_hoststate_linux_stats stats;
} linux_hs;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns bytes read or -1. */
static long read_small(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = 0;
  while (n < cap - 1) {
    ssize_t k = read(fd, buf + n, cap - 1 - n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    n += (size_t)k;
  }
  close(fd);
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

/* ---- u64map ------------------------------------------------------------------------------- */

static size_t map_hash(uint64_t k, size_t cap) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return (size_t)k & (cap - 1);
}

static uint64_t *map_get(const u64map *m, uint64_t key) {
  if (!m->cap || !key) return NULL;
  for (size_t i = map_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
    if (m->keys[i] == key) return &m->vals[i];
    if (!m->keys[i]) return NULL;
  }
}

static bool map_grow(u64map *m, size_t cap) {
  uint64_t *k = calloc(cap, sizeof *k), *v = calloc(cap, sizeof *v);
  if (!k || !v) {
    free(k);
    free(v);
    return false;
  }
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = map_hash(m->keys[i], cap);
    while (k[j]) j = (j + 1) & (cap - 1);
    k[j] = m->keys[i];
    v[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = k;
  m->vals = v;
  m->cap = cap;
  return true;
}

/* Sets key to val (replace = false keeps an existing value). False when out of memory. */
static bool map_put(u64map *m, uint64_t key, uint64_t val, bool replace) {
  if (!key) return true;
  if ((m->n + 1) * 2 > m->cap && !map_grow(m, m->cap ? m->cap * 2 : 1024)) return false;
  size_t i = map_hash(key, m->cap);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
  if (m->keys[i]) {
    if (replace) m->vals[i] = val;
    return true;
  }
  m->keys[i] = key;
  m->vals[i] = val;
  m->n++;
  return true;
}

/* Keeps only the entries for which keep() is true (rebuilds in place). */
static void map_filter(u64map *m, bool (*keep)(void *ud, uint64_t key, uint64_t val), void *ud) {
  if (!m->cap) return;
  uint64_t *k = m->keys, *v = m->vals;
  size_t cap = m->cap;
  m->keys = calloc(cap, sizeof *m->keys);
  m->vals = calloc(cap, sizeof *m->vals);
  if (!m->keys || !m->vals) { /* keep the old table: stale entries are harmless */
    free(m->keys);
    free(m->vals);
    m->keys = k;
    m->vals = v;
    return;
  }
  m->n = 0;
  for (size_t i = 0; i < cap; i++) {
    if (!k[i] || !keep(ud, k[i], v[i])) continue;
    size_t j = map_hash(k[i], cap);
    while (m->keys[j]) j = (j + 1) & (cap - 1);
    m->keys[j] = k[i];
    m->vals[j] = v[i];
    m->n++;
  }
  free(k);
  free(v);
}

static void map_free(u64map *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
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
  for (size_t i = 0; i < CACHE_SLOTS; i++) lx->cache[i].used = false; /* rows stay allocated */
  lx->snap.at_ms = 0;
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

/* Adds fr to rows[0..cap) of which *n are counted (listeners win over connections when
 * full, as pc__hoststate_keep_row does). */
static void keep_found(found *rows, size_t cap, size_t *n, const found *fr) {
  if (*n < cap) {
    rows[*n] = *fr;
  } else if (fr->row.state == PC_OWNER_STATE_LISTEN || fr->row.state == PC_OWNER_STATE_BOUND ||
             fr->row.state == PC_OWNER_STATE_UDP) {
    for (size_t i = cap; i > 0; i--)
      if (rows[i - 1].row.state != PC_OWNER_STATE_LISTEN && rows[i - 1].row.state != PC_OWNER_STATE_BOUND &&
          rows[i - 1].row.state != PC_OWNER_STATE_UDP) {
        rows[i - 1] = *fr;
        break;
      }
  }
  (*n)++;
}

/* Reads one /proc/net file, keeping the rows on port. Lines on other ports are rejected by
 * their local port field alone, before any conversion. */
static void scan_net(linux_hs *lx, const char *path, uint8_t proto, uint16_t port, found *rows, size_t cap,
                     size_t *n) {
  FILE *f = fopen(path, "r");
  if (!f) return; /* no IPv6, or no /proc/net in this namespace */
  lx->stats.proc_net_scans++;
  char line[512], want[8];
  snprintf(want, sizeof want, ":%04X ", (unsigned)port);
  unsigned long lines = 0;
  while (fgets(line, sizeof line, f) && ++lines < PROC_NET_MAX_LINES) {
    /* "  sl: LOCALHEX:PORT REMOTE..." - the first ':' after the slot number ends "sl:". */
    const char *colon = strchr(line, ':');
    const char *lp = colon ? strchr(colon + 1, ':') : NULL;
    if (!lp || strncmp(lp, want, 6) != 0) continue;
    char la[40], ra[40];
    unsigned lport, rp, st, uid;
    unsigned long inode;
    if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %u %*d %lu", la,
               &lport, ra, &rp, &st, &uid, &inode) != 7)
      continue; /* the header line */
    if (lport != port) continue;
    found fr = {.inode = inode};
    fr.row.proto = proto;
    if (!hex_addr(la, &fr.row.local) || !hex_addr(ra, &fr.row.remote)) continue;
    fr.row.local.port = (uint16_t)lport;
    fr.row.remote.port = (uint16_t)rp;
    fr.row.state = proto == PC_PROTO_UDP ? PC_OWNER_STATE_UDP : tcp_state(st);
    keep_found(rows, cap, n, &fr);
  }
  fclose(f);
}

/* ---- sock_diag ---------------------------------------------------------------------------- */

static int diag_socket(void) {
  return socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
}

typedef struct ns_open {
  int nsfd;
  int fd;
} ns_open;

/* Runs on a thread of its own: setns() changes the namespace of the calling thread only, so
 * the thread that asked never leaves its own, and a socket keeps the namespace it was made
 * in for its whole life. */
static void *open_in_ns(void *arg) {
  ns_open *o = arg;
  o->fd = setns(o->nsfd, CLONE_NEWNET) == 0 ? diag_socket() : -1;
  return NULL;
}

/* The sock_diag socket for namespace netns, the one pid is in; -1 when none can be had. */
static int diag_fd(linux_hs *lx, uint32_t pid, uint64_t netns) {
  if (!lx->real_proc) return -1;
  if (netns == lx->own_ns || !pid) {
    if (lx->own_diag == -1) {
      lx->own_diag = diag_socket();
      if (lx->own_diag < 0) lx->own_diag = -2;
    }
    return lx->own_diag >= 0 ? lx->own_diag : -1;
  }
  int64_t now = now_ms();
  diag_ns *victim = &lx->diag[0];
  for (size_t i = 0; i < DIAG_NS_MAX; i++) {
    diag_ns *d = &lx->diag[i];
    if (d->used && d->netns == netns) {
      d->used = now;
      return d->fd;
    }
    if (d->used < victim->used) victim = d;
  }
  /* A namespace lives as long as a socket in it: closing the least recently used one lets
   * a container's namespace go when it stops. */
  if (victim->used && victim->fd >= 0) close(victim->fd);
  char path[256];
  snprintf(path, sizeof path, "%s/%u/ns/net", lx->proc, (unsigned)pid);
  ns_open o = {.nsfd = open(path, O_RDONLY | O_CLOEXEC), .fd = -1};
  if (o.nsfd >= 0) {
    struct stat st;
    pthread_t t;
    /* The file must still be the namespace that was asked about (the PID may have moved). */
    if (fstat(o.nsfd, &st) == 0 && (uint64_t)st.st_ino == netns &&
        pthread_create(&t, NULL, open_in_ns, &o) == 0)
      pthread_join(t, NULL);
    close(o.nsfd);
  }
  *victim = (diag_ns){.netns = netns, .fd = o.fd, .used = now};
  return o.fd;
}

/* Where a dump puts its rows: at most cap of them (listeners kept first), or all of them in
 * a growing array (grow, up to SNAP_MAX). */
typedef struct row_sink {
  found *rows;
  size_t cap, n;
  bool grow;
} row_sink;

static bool sink_add(row_sink *k, const found *fr) {
  if (k->grow && k->n == k->cap) {
    if (k->cap >= SNAP_MAX) return false;
    size_t ncap = k->cap ? k->cap * 2 : 1024;
    found *r = realloc(k->rows, ncap * sizeof *r);
    if (!r) return false;
    k->rows = r;
    k->cap = ncap;
  }
  keep_found(k->rows, k->cap, &k->n, fr);
  return true;
}

/* Dumps the sockets of proto and family in states from the namespace of fd: those on port,
 * or on every port when port is 0. Returns false when the kernel did not answer (the caller
 * then reads /proc/net) or a growing sink ran out of room. */
static bool diag_dump(linux_hs *lx, int fd, uint8_t proto, int family, uint16_t port, uint32_t states,
                      row_sink *sink) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 r;
    struct rtattr rta;
    struct inet_diag_bc_op ops[4];
  } req;
  memset(&req, 0, sizeof req);
  uint32_t seq = ++lx->diag_seq;
  req.nlh.nlmsg_len = port ? sizeof req : NLMSG_LENGTH(sizeof req.r);
  req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nlh.nlmsg_seq = seq;
  req.r.sdiag_family = (uint8_t)family;
  req.r.sdiag_protocol = proto == PC_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
  req.r.idiag_states = states;
  /* The kernel skips other source ports by this field before anything else... */
  req.r.id.idiag_sport = htons(port);
  /* ...and the filter program says the same for kernels whose dumps ignore it:
   * sport >= port && sport <= port, each test jumping past the end (reject) on "no". */
  req.rta.rta_type = INET_DIAG_REQ_BYTECODE;
  req.rta.rta_len = (unsigned short)RTA_LENGTH(sizeof req.ops);
  req.ops[0] = (struct inet_diag_bc_op){INET_DIAG_BC_S_GE, 8, 16 + 4};
  req.ops[1] = (struct inet_diag_bc_op){0, 0, port};
  req.ops[2] = (struct inet_diag_bc_op){INET_DIAG_BC_S_LE, 8, 8 + 4};
  req.ops[3] = (struct inet_diag_bc_op){0, 0, port};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel, sizeof kernel) != (ssize_t)sizeof req)
    return false;
  lx->stats.diag_queries++;
  static __thread long buf[8192]; /* 64 KiB, aligned for nlmsghdr */
  for (;;) {
    ssize_t len = recv(fd, buf, sizeof buf, 0);
    if (len < 0 && errno == EINTR) continue;
    if (len <= 0) return false;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue; /* an answer to an earlier, abandoned request */
      if (h->nlmsg_type == NLMSG_DONE) return true;
      if (h->nlmsg_type == NLMSG_ERROR) return false;
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
        continue;
      const struct inet_diag_msg *m = NLMSG_DATA(h);
      if (port && ntohs(m->id.idiag_sport) != port) continue;
      found fr = {.inode = m->idiag_inode};
      fr.row.proto = proto;
      fr.row.local.family = fr.row.remote.family = m->idiag_family == AF_INET6 ? PC_AF_INET6 : PC_AF_INET;
      size_t alen = m->idiag_family == AF_INET6 ? 16 : 4;
      memcpy(fr.row.local.bytes, m->id.idiag_src, alen);
      memcpy(fr.row.remote.bytes, m->id.idiag_dst, alen);
      fr.row.local.port = ntohs(m->id.idiag_sport);
      fr.row.remote.port = ntohs(m->id.idiag_dport);
      fr.row.state = proto == PC_PROTO_UDP ? PC_OWNER_STATE_UDP : tcp_state(m->idiag_state);
      if (!sink_add(sink, &fr)) {
        /* Read the rest of the answer so that the socket stays usable. */
        while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
        return false;
      }
    }
  }
}

/* ---- socket inode -> PID ------------------------------------------------------------------ */

static bool all_digits(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return false;
  return true;
}

/* Adds the socket fds of pid to the index (an inode already there keeps its first PID, the
 * one that a walk in /proc order meets first, as before). */
static void index_process(linux_hs *lx, const char *pidname, uint32_t pid) {
  char path[640], link[64];
  snprintf(path, sizeof path, "%s/%s/fd", lx->proc, pidname);
  DIR *fd = opendir(path);
  if (!fd) return; /* another user's process without root, or it exited */
  struct dirent *fe;
  while ((fe = readdir(fd)) != NULL) {
    if (fe->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s/fd/%s", lx->proc, pidname, fe->d_name);
    lx->stats.fd_links_read++;
    ssize_t ll = readlink(path, link, sizeof link - 1);
    if (ll < 9) continue;
    link[ll] = '\0';
    if (strncmp(link, "socket:[", 8) != 0) continue;
    unsigned long long ino = strtoull(link + 8, NULL, 10);
    if (lx->index.n < INDEX_MAX) map_put(&lx->index, ino, pid, false);
  }
  closedir(fd);
}

static bool proc_seen(void *ud, uint64_t key, uint64_t val) {
  (void)key;
  return (uint32_t)(val >> 40) == ((linux_hs *)ud)->gen;
}

static bool owner_alive(void *ud, uint64_t key, uint64_t val) {
  (void)key;
  return map_get(&((linux_hs *)ud)->procs, val) != NULL;
}

/* Brings the index up to date. full = walk every process's fds; otherwise only those of
 * processes not seen before or whose fd count changed (the size of /proc/PID/fd; 0 where the
 * kernel does not report it, which always counts as changed). */
static void index_refresh(linux_hs *lx, bool full) {
  int64_t t0 = now_us();
  DIR *d = opendir(lx->proc);
  if (!d) return;
  lx->gen = (lx->gen + 1) & 0xFFFFFF;
  bool gone = false;
  size_t before = lx->procs.n, seen = 0;
  struct dirent *de;
  char path[640];
  while ((de = readdir(d)) != NULL) {
    if (!all_digits(de->d_name)) continue;
    uint32_t pid = (uint32_t)strtoul(de->d_name, NULL, 10);
    snprintf(path, sizeof path, "%s/%s/fd", lx->proc, de->d_name);
    struct stat st;
    if (stat(path, &st) != 0) continue;
    uint64_t fds = (uint64_t)st.st_size & ((UINT64_C(1) << 40) - 1);
    uint64_t *v = map_get(&lx->procs, pid);
    bool changed = !v || (*v & ((UINT64_C(1) << 40) - 1)) != fds || fds == 0 || !S_ISDIR(st.st_mode);
    if (fds) lx->fd_counts = true;
    if (full || changed) index_process(lx, de->d_name, pid);
    map_put(&lx->procs, pid, (uint64_t)lx->gen << 40 | fds, true);
    if (v) seen++;
  }
  closedir(d);
  gone = seen < before;
  if (gone) {
    /* Processes that exited leave, and so do the inodes they held. */
    map_filter(&lx->procs, proc_seen, lx);
    map_filter(&lx->index, owner_alive, lx);
  }
  lx->last_refresh_us = now_us();
  lx->refresh_cost_us = lx->last_refresh_us - t0;
  if (full) {
    lx->last_full_us = lx->last_refresh_us;
    lx->full_cost_us = lx->refresh_cost_us;
    lx->stats.index_full_walks++;
  } else {
    lx->stats.index_refreshes++;
  }
  lx->index_built = true;
}

/* Looks the unresolved rows up in the index; returns how many are still unresolved. */
static size_t lookup_pids(linux_hs *lx, found *rows, size_t n) {
  size_t missing = 0;
  for (size_t i = 0; i < n; i++) {
    if (rows[i].inode == 0 || rows[i].row.pid) continue;
    uint64_t *pid = map_get(&lx->index, rows[i].inode);
    if (pid)
      rows[i].row.pid = (uint32_t)*pid;
    else
      missing++;
  }
  return missing;
}

/* Fills the PIDs of rows[0..n) from the index, refreshing it for inodes it does not know.
 *
 * A new inode (one not looked for in the last NEG_TTL_MS) asks for a refresh at once: a
 * process that just started listening is found on the failure it causes. An inode still
 * unknown after a refresh (a socket of another user's process without root, or of a process
 * that is gone) is remembered, so a storm of failures on it costs a hash lookup each, not a
 * walk. A full walk (a process that closed an fd and opened a socket keeps its fd count) and,
 * on kernels that do not report fd counts, the refresh too, are also allowed only once per
 * ten times their own duration: walks never take more than a tenth of the time. */
static void resolve_pids(linux_hs *lx, found *rows, size_t n) {
  if (!lx->index_built) index_refresh(lx, true);
  if (lookup_pids(lx, rows, n) == 0) return;
  int64_t now = now_us(), now_m = now / 1000;
  bool fresh = false;
  for (size_t i = 0; i < n && !fresh; i++) {
    if (rows[i].inode == 0 || rows[i].row.pid) continue;
    uint64_t *at = map_get(&lx->unknown, rows[i].inode);
    fresh = !at || now_m - (int64_t)*at >= NEG_TTL_MS;
  }
  if (!fresh) return;
  size_t missing = 1;
  if (lx->fd_counts || now - lx->last_refresh_us >= 10 * lx->refresh_cost_us) {
    index_refresh(lx, false);
    missing = lookup_pids(lx, rows, n);
  }
  if (missing && now_us() - lx->last_full_us >= 10 * lx->full_cost_us) {
    index_refresh(lx, true);
    missing = lookup_pids(lx, rows, n);
  }
  if (!missing) return;
  if (lx->unknown.n >= NEG_MAX) map_free(&lx->unknown);
  for (size_t i = 0; i < n; i++)
    if (rows[i].inode != 0 && !rows[i].row.pid) map_put(&lx->unknown, rows[i].inode, (uint64_t)now_m, true);
}

/* The namespace inode of pid (0 = ours): /proc/PID/ns/net is a link to "net:[INODE]". */
static int lx_netns(void *impl, uint32_t pid, uint64_t *ino) {
  linux_hs *lx = impl;
  if (!pid && lx->own_ns_read) {
    *ino = lx->own_ns;
    return lx->own_ns_rc;
  }
  char path[256];
  if (pid)
    snprintf(path, sizeof path, "%s/%u/ns/net", lx->proc, (unsigned)pid);
  else
    snprintf(path, sizeof path, "%s/self/ns/net", lx->proc);
  struct stat st;
  int rc = stat(path, &st) == 0 ? PC_OK : PC_ENOENT;
  *ino = rc == PC_OK ? (uint64_t)st.st_ino : 0;
  if (!pid) {
    /* Ours does not change: this process never calls setns on its own threads. */
    lx->own_ns_read = true;
    lx->own_ns_rc = rc;
    lx->own_ns = *ino;
  }
  return rc;
}

static void cache_store(linux_hs *lx, uint8_t proto, uint16_t port, uint64_t netns, int64_t now,
                        const found *fr, size_t kept, size_t n) {
  cache_slot *c = &lx->cache[lx->next_slot++ % CACHE_SLOTS];
  pc_owner_row *rows = c->rows;
  size_t cap = c->cap;
  if (cap < kept) {
    pc_owner_row *r = realloc(rows, (kept ? kept : 1) * sizeof *r);
    if (!r) {
      c->used = false;
      return;
    }
    rows = r;
    cap = kept;
  }
  *c = (cache_slot){
      .used = true,
      .proto = proto,
      .port = port,
      .netns = netns,
      .at_ms = now,
      .n = n,
      .kept = kept,
      .cap = cap,
      .rows = rows,
  };
  for (size_t i = 0; i < kept; i++) rows[i] = fr[i].row;
}

/* ---- the holder snapshot ------------------------------------------------------------------ */

/* Rebuilds the snapshot of our namespace's port holders: TCP listeners and UDP sockets, IPv4
 * and IPv6, in one dump each, sorted by port (a counting sort). False when sock_diag failed. */
static bool snap_build(linux_hs *lx, int fd, int64_t now) {
  snapshot *sn = &lx->snap;
  row_sink k = {sn->rows, sn->cap, 0, true};
  static const struct {
    uint8_t proto;
    int family;
    uint32_t states;
  } dumps[4] = {{PC_PROTO_TCP, AF_INET, 1u << 10 /* TCP_LISTEN */},
                {PC_PROTO_TCP, AF_INET6, 1u << 10},
                {PC_PROTO_UDP, AF_INET, ~0u},
                {PC_PROTO_UDP, AF_INET6, ~0u}};
  bool ok = true;
  for (size_t i = 0; i < 4 && ok; i++)
    ok = diag_dump(lx, fd, dumps[i].proto, dumps[i].family, 0, dumps[i].states, &k);
  sn->rows = k.rows;
  sn->cap = k.cap;
  sn->at_ms = 0;
  if (!ok) return false;
  lx->stats.snapshot_builds++;
  found *sorted = malloc((k.n ? k.n : 1) * sizeof *sorted);
  if (!sorted) return false;
  if (!sn->off) {
    sn->off = malloc((2 * 65537 + 1) * sizeof *sn->off);
    if (!sn->off) {
      free(sorted);
      return false;
    }
  }
  memset(sn->off, 0, (2 * 65537 + 1) * sizeof *sn->off);
  for (size_t i = 0; i < k.n; i++)
    sn->off[(k.rows[i].row.proto == PC_PROTO_UDP) * 65537 + k.rows[i].row.local.port + 1]++;
  for (size_t i = 1; i <= 2 * 65537; i++) sn->off[i] += sn->off[i - 1];
  /* off[b] is now where bucket b starts (and off[b + 1] where it ends). */
  uint32_t *next = malloc((2 * 65537 + 1) * sizeof *next);
  if (!next) {
    free(sorted);
    return false;
  }
  memcpy(next, sn->off, (2 * 65537 + 1) * sizeof *next);
  for (size_t i = 0; i < k.n; i++) {
    size_t b = (size_t)(k.rows[i].row.proto == PC_PROTO_UDP) * 65537 + k.rows[i].row.local.port;
    sorted[next[b]++] = k.rows[i];
  }
  free(next);
  if (k.n) memcpy(sn->rows, sorted, k.n * sizeof *sorted); /* rows is NULL in an empty netns */
  free(sorted);
  sn->n = k.n;
  sn->at_ms = now;
  return true;
}

/* The holders of proto/port from the snapshot of our namespace (rebuilt when older than
 * SNAP_TTL_MS): their count in *n (rows in *first). False when the snapshot cannot be had. */
static bool snap_lookup(linux_hs *lx, uint8_t proto, uint16_t port, int64_t now, found **first, size_t *n) {
  snapshot *sn = &lx->snap;
  *n = 0;
  if (!sn->at_ms || now - sn->at_ms >= SNAP_TTL_MS) {
    int fd = diag_fd(lx, 0, lx->own_ns);
    if (fd < 0 || !snap_build(lx, fd, now)) return false;
  }
  size_t b = (size_t)(proto == PC_PROTO_UDP) * 65537 + port;
  *n = sn->off[b + 1] - sn->off[b];
  *first = *n ? sn->rows + sn->off[b] : NULL; /* an empty namespace has no rows at all */
  return true;
}

static int lx_sockets(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows,
                      size_t cap, size_t *n) {
  linux_hs *lx = impl;
  *n = 0;
  int64_t now = now_ms();
  uint64_t netns = 0, own = 0;
  uint32_t view = pc__hoststate_view_pid(hs);
  bool have_own = lx_netns(lx, 0, &own) == PC_OK;
  if (!(view && lx_netns(lx, view, &netns) == PC_OK)) {
    view = 0;
    netns = have_own ? own : 0;
  }
  /* The best owner in our namespace: one hash-free lookup in the holder snapshot, which one
   * dump of the whole host per second keeps (20 000 listeners cost one dump, not one walk
   * of the kernel's tables per failure). */
  found *held = NULL;
  size_t nh = 0;
  if (pc__hoststate_holders_first(hs) && lx->real_proc && have_own && netns == own &&
      snap_lookup(lx, proto, port, now, &held, &nh) && (nh > 0 || pc__hoststate_holders_only(hs))) {
    lx->stats.snapshot_hits++;
    resolve_pids(lx, held, nh);
    for (size_t i = 0; i < nh; i++) pc__hoststate_keep_row(rows, cap, n, &held[i].row);
    *n = nh;
    return PC_OK;
  }
  for (size_t s = 0; s < CACHE_SLOTS; s++) {
    cache_slot *c = &lx->cache[s];
    if (c->used && c->proto == proto && c->port == port && c->netns == netns &&
        now - c->at_ms < CACHE_TTL_MS) {
      lx->stats.row_cache_hits++;
      for (size_t i = 0; i < c->kept; i++) pc__hoststate_keep_row(rows, cap, n, &c->rows[i]);
      *n = c->n;
      return PC_OK;
    }
  }
  size_t fcap = cap < 4096 ? cap : 4096;
  found *fr = calloc(fcap ? fcap : 1, sizeof *fr);
  if (!fr) return pc__hoststate_fail(hs, PC_ENOMEM, "out of memory");
  size_t nf = 0;
  int fd = diag_fd(lx, view, netns);
  row_sink sink = {fr, fcap, 0, false};
  bool ok = fd >= 0 && diag_dump(lx, fd, proto, AF_INET, port, ~0u, &sink) &&
            diag_dump(lx, fd, proto, AF_INET6, port, ~0u, &sink);
  nf = sink.n;
  if (!ok) {
    /* /proc/PID/net shows the tables of PID's network namespace; ours when the process is
     * gone or not visible. */
    nf = 0;
    char netdir[128];
    if (view)
      snprintf(netdir, sizeof netdir, "%s/%u/net", lx->proc, (unsigned)view);
    else
      snprintf(netdir, sizeof netdir, "%s/net", lx->proc);
    const char *names[2] = {proto == PC_PROTO_UDP ? "udp" : "tcp", proto == PC_PROTO_UDP ? "udp6" : "tcp6"};
    char path[256];
    for (int i = 0; i < 2; i++) {
      snprintf(path, sizeof path, "%s/%s", netdir, names[i]);
      scan_net(lx, path, proto, port, fr, fcap, &nf);
    }
  }
  size_t kept = nf < fcap ? nf : fcap;
  resolve_pids(lx, fr, kept);
  for (size_t i = 0; i < kept; i++) pc__hoststate_keep_row(rows, cap, n, &fr[i].row);
  *n = nf;
  /* Busy ports are cached too: the rows kept put listeners first, so a partial answer never
   * hides a holder behind connections. */
  cache_store(lx, proto, port, netns, now, fr, kept, nf);
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
 * process and the holder so that rules can compare them. Names are kept a minute: NSS may
 * read files or ask a directory server. */
static int lx_user_name(void *impl, uint32_t uid, char *buf, size_t cap) {
  linux_hs *lx = impl;
  int64_t now = now_ms();
  for (size_t i = 0; i < USER_CACHE_MAX; i++) {
    user_entry *u = &lx->users[i];
    if (u->at_ms && u->uid == uid && now - u->at_ms < USER_TTL_MS) {
      snprintf(buf, cap, "%s", u->name);
      return PC_OK;
    }
  }
  struct passwd pw, *res = NULL;
  char pwbuf[1024];
  user_entry *u = &lx->users[lx->next_user++ % USER_CACHE_MAX];
  u->uid = uid;
  u->at_ms = now;
  if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res)
    copy_trunc(u->name, sizeof u->name, res->pw_name);
  else
    snprintf(u->name, sizeof u->name, "%u", (unsigned)uid);
  snprintf(buf, cap, "%s", u->name);
  return PC_OK;
}

/* The start time of pid (clock ticks after boot, field 22 of /proc/PID/stat) and its
 * command name (field 2); false when the process is gone or the tree has no stat file. The
 * name may hold spaces and parentheses: the fields after it start after the last ')'. */
static bool start_time(const linux_hs *lx, uint32_t pid, uint64_t *out, char comm[20]) {
  char path[128], buf[1024];
  snprintf(path, sizeof path, "%s/%u/stat", lx->proc, (unsigned)pid);
  if (read_small(path, buf, sizeof buf) <= 0) return false;
  const char *open_paren = strchr(buf, '(');
  const char *p = strrchr(buf, ')');
  if (!p || !open_paren || open_paren > p) return false;
  size_t cl = (size_t)(p - open_paren - 1);
  if (cl > 19) cl = 19;
  memcpy(comm, open_paren + 1, cl);
  comm[cl] = '\0';
  p++;
  /* Fields 3..21 are skipped: 19 blanks lead to field 22. */
  for (int field = 3; field <= 22; field++) {
    while (*p == ' ') p++;
    if (!*p) return false;
    if (field == 22) {
      char *end;
      unsigned long long v = strtoull(p, &end, 10);
      if (end == p) return false;
      *out = v;
      return true;
    }
    while (*p && *p != ' ') p++;
  }
  return false;
}

static int read_process(linux_hs *lx, uint32_t pid, pc_process_info *out) {
  char path[128], buf[4096];
  memset(out, 0, sizeof *out);
  out->pid = pid;
  lx->stats.process_reads++;
  snprintf(path, sizeof path, "%s/%u/comm", lx->proc, (unsigned)pid);
  long n = read_small(path, buf, sizeof buf);
  if (n < 0) return PC_ENOENT;
  buf[strcspn(buf, "\n")] = '\0';
  copy_trunc(out->name, sizeof out->name, buf);
  snprintf(path, sizeof path, "%s/%u/exe", lx->proc, (unsigned)pid);
  /* Read in full (PATH_MAX is 4096); a path longer than a fact holds is stored cut and
   * marked so, never shortened silently (a shortened path in a fix names another file). */
  ssize_t ll = readlink(path, buf, sizeof buf - 1);
  buf[ll > 0 ? ll : 0] = '\0';
  if (ll > 0 && (size_t)ll >= sizeof out->path) {
    static const char mark[] = "...[cut]";
    size_t keep = sizeof out->path - sizeof mark;
    memcpy(out->path, buf, keep);
    memcpy(out->path + keep, mark, sizeof mark);
  } else {
    memcpy(out->path, buf, (size_t)(ll > 0 ? ll : 0) + 1);
  }
  snprintf(path, sizeof path, "%s/%u/status", lx->proc, (unsigned)pid);
  if (read_small(path, buf, sizeof buf) > 0) {
    const char *u = strstr(buf, "\nUid:");
    unsigned uid;
    if (u && sscanf(u + 5, "%u", &uid) == 1) lx_user_name(lx, uid, out->user, sizeof out->user);
  }
  systemd_unit(lx->proc, pid, out->service, sizeof out->service);
  return PC_OK;
}

static int lx_process(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out) {
  (void)hs;
  linux_hs *lx = impl;
  uint64_t start;
  char comm[20];
  uint64_t *slot = map_get(&lx->pcache, pid);
  if (!start_time(lx, pid, &start, comm)) {
    /* Gone (its entry would only ever be wrong now), or a tree without stat files: read
     * what there is, uncached. */
    if (slot) *slot = 0;
    return read_process(lx, pid, out);
  }
  if (slot && *slot) {
    proc_entry *e = &lx->pentries[*slot - 1];
    /* The same process has the same start time; one that called execve() since has
     * another name, path and perhaps user. */
    if (e->pid == pid && e->start == start && strcmp(e->comm, comm) == 0) {
      lx->stats.process_hits++;
      *out = e->info;
      return PC_OK;
    }
  }
  /* Not seen, or the PID was reused by a process started later. */
  int rc = read_process(lx, pid, out);
  if (rc != PC_OK) return rc;
  size_t at;
  if (slot && *slot) {
    at = *slot - 1;
  } else {
    if (!lx->pentries) {
      lx->pentries = calloc(PROC_CACHE_MAX, sizeof *lx->pentries);
      if (!lx->pentries) return PC_OK;
    }
    if (lx->npentries == PROC_CACHE_MAX) {
      /* Full: start over rather than track ages; the entries come back on use. */
      map_free(&lx->pcache);
      lx->npentries = 0;
    }
    at = lx->npentries++;
    if (!map_put(&lx->pcache, pid, at + 1, true)) {
      lx->npentries--;
      return PC_OK;
    }
  }
  lx->pentries[at] = (proc_entry){.pid = pid, .start = start, .info = *out};
  memcpy(lx->pentries[at].comm, comm, sizeof lx->pentries[at].comm);
  return PC_OK;
}

bool pc_hoststate_linux_get_stats(const pc_hoststate *hs, pc_hoststate_linux_stats *out) {
  memset(out, 0, sizeof *out);
  if (!hs || strcmp(pc_hoststate_backend(hs), "linux") != 0) return false;
  const linux_hs *lx = pc__hoststate_impl(hs);
  *out = lx->stats;
  out->indexed_sockets = lx->index.n;
  out->indexed_processes = lx->procs.n;
  return true;
}

static void lx_destroy(void *impl) {
  linux_hs *lx = impl;
  if (!lx) return;
  for (size_t i = 0; i < CACHE_SLOTS; i++) free(lx->cache[i].rows);
  if (lx->own_diag >= 0) close(lx->own_diag);
  for (size_t i = 0; i < DIAG_NS_MAX; i++)
    if (lx->diag[i].used && lx->diag[i].fd >= 0) close(lx->diag[i].fd);
  map_free(&lx->index);
  map_free(&lx->procs);
  map_free(&lx->unknown);
  free(lx->snap.rows);
  free(lx->snap.off);
  map_free(&lx->pcache);
  free(lx->pentries);
  free(lx);
}

static const pc__hoststate_ops k_linux_ops = {
    .name = "linux",
    .live = true,
    .os = PC_OS_LINUX,
    .refresh = lx_refresh,
    .sockets = lx_sockets,
    .process = lx_process,
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
  /* Only the real /proc describes the namespaces sock_diag and setns see. */
  lx->real_proc = strcmp(proc_root, "/proc") == 0;
  lx->own_diag = -1;
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
