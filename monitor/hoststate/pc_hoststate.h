/* pc_hoststate.h - what the machine looks like around a bind: excluded and dynamic port ranges,
 * who owns a port, and who a process is.
 *
 * One interface, several back ends:
 *   offline  the raw text of netsh / netstat / tasklist saved on a (Windows) machine; any OS
 *   live     the running machine: sock_diag and /proc on Linux (linux.c), the IP Helper and
 *            process APIs on Windows (win.c); PC_ENOTSUP elsewhere (none.c)
 *
 * Ranges are read when the handle is opened and again on pc_hoststate_refresh() (call it when
 * the ranges change, e.g. on a TCPIP reservation event); owners and processes are looked up per
 * call (see each back end for its caching). A handle is not thread-safe: use one per thread.
 *
 * Protocol and family values are pc_proto / pc_family; 0 in a range means "every protocol" or
 * "every family" (netsh does not say which IP version it printed, Linux ranges are shared). */
#ifndef PC_HOSTSTATE_H
#define PC_HOSTSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_compiler.h"
#include "pc_facts.h"
#include "pc_hoststate_text.h"

typedef struct pc_hoststate pc_hoststate;

/* Capacity of the error buffers passed to the open functions. */
#define PC_HOSTSTATE_ERR_MAX 512
#define PC_HOSTSTATE_MAX_FILES 16

/* ---- opening ------------------------------------------------------------------------------ */

/* Paths of the raw text files for the offline back end (borrowed during open only). Each path
 * may start with hints, in any order, each ending in ':' - "tcp:", "udp:", "ipv4:", "ipv6:" -
 * e.g. "ipv6:udp:excluded6.txt". Hints matter for netsh files: the protocol is read from the
 * netsh title when it is there (a contradicting hint is an error), the IP version only ever
 * from the hint (without one a range applies to IPv4 and IPv6 alike). Write "./tcp:x" for a
 * file really named "tcp:x". tasklist files may be plain, /svc or /v output; rows of several
 * files are merged by PID. */
typedef struct pc_hoststate_offline_files {
  const char *netsh_excluded[PC_HOSTSTATE_MAX_FILES];
  size_t n_netsh_excluded;
  const char *netsh_dynamic[PC_HOSTSTATE_MAX_FILES];
  size_t n_netsh_dynamic;
  const char *netstat[PC_HOSTSTATE_MAX_FILES];
  size_t n_netstat;
  const char *tasklist[PC_HOSTSTATE_MAX_FILES];
  size_t n_tasklist;
  const char *netsh_http[PC_HOSTSTATE_MAX_FILES]; /* --netsh-http: servicestate / urlacl */
  size_t n_netsh_http;
} pc_hoststate_offline_files;

/* True when no offline file was given. */
bool pc_hoststate_offline_empty(const pc_hoststate_offline_files *files);

/* Opens the offline back end: reads and parses every file now. On failure *out is NULL and
 * err holds "file:line: message"; returns PC_EPARSE/PC_ELIMIT for bad content, PC_ENOENT/PC_EIO
 * when a file cannot be read, PC_ENOMEM. The OS of an offline state is Windows (the inputs are
 * Windows tools). */
int pc_hoststate_open_offline(const pc_hoststate_offline_files *files, pc_hoststate **out, char *err,
                              size_t errcap);

/* Opens the live back end of this platform (Linux: /proc). PC_ENOTSUP with a message on
 * platforms without one. */
int pc_hoststate_open_live(pc_hoststate **out, char *err, size_t errcap);

/* The Linux back end by name; PC_ENOTSUP when not built for Linux. */
int pc_hoststate_open_linux(pc_hoststate **out, char *err, size_t errcap);

/* The Linux back end reading proc_root instead of /proc (tests use a fake tree; the test bind
 * still uses real sockets). PC_ENOTSUP when not built for Linux. */
int pc_hoststate_open_linux_at(const char *proc_root, pc_hoststate **out, char *err, size_t errcap);

/* Frees everything; NULL is fine. */
void pc_hoststate_close(pc_hoststate *hs);

/* ---- queries ------------------------------------------------------------------------------ */

/* "offline", "linux", ... (static). */
const char *pc_hoststate_backend(const pc_hoststate *hs);
bool pc_hoststate_is_live(const pc_hoststate *hs);
uint8_t pc_hoststate_os(const pc_hoststate *hs); /* pc_os */

/* The message of the last failed call ("" when none). */
const char *pc_hoststate_error(const pc_hoststate *hs);

/* Re-reads the ranges (live back ends; the offline back end has nothing to re-read). */
int pc_hoststate_refresh(pc_hoststate *hs);

/* All excluded ranges / dynamic ranges known (borrowed until the next refresh or close). On
 * Linux, ip_local_reserved_ports appear as administered excluded ranges (proto and family 0):
 * note that they only keep the kernel from picking those ports automatically; an explicit
 * bind() to them succeeds. */
size_t pc_hoststate_excluded(const pc_hoststate *hs, const pc_port_range **out);
size_t pc_hoststate_dynamic(const pc_hoststate *hs, const pc_dynamic_range **out);

/* The excluded range containing port for proto/family (range fields 0 match anything). */
bool pc_hoststate_find_excluded(const pc_hoststate *hs, uint8_t proto, uint8_t family, uint16_t port,
                                pc_port_range *out);

/* The dynamic range for proto/family: an exact family match first, then one for every family,
 * then the other family's (Windows keeps them equal unless someone changed one). */
bool pc_hoststate_find_dynamic(const pc_hoststate *hs, uint8_t proto, uint8_t family, pc_dynamic_range *out);

/* Linux ip_unprivileged_port_start (false elsewhere). */
bool pc_hoststate_unprivileged_start(const pc_hoststate *hs, uint16_t *out);

/* Who a process is. Strings are "" when unknown. */
typedef struct pc_process_info {
  uint32_t pid;
  char name[PC_NAME_MAX];
  char path[PC_PATH_MAX];
  char user[PC_NAME_MAX];
  char service[PC_NAME_MAX]; /* Windows service(s) or Linux systemd unit */
} pc_process_info;

/* Looks up pid. PC_OK (some field known), PC_ENOENT (no such process / not in the inputs). */
int pc_hoststate_process(pc_hoststate *hs, uint32_t pid, pc_process_info *out);

/* How an owner's local address relates to the queried address, best first. */
typedef enum pc_owner_match {
  PC_OWNER_MATCH_NONE = 0,      /* does not conflict (e.g. another specific address) */
  PC_OWNER_MATCH_ANY = 1,       /* the query gave no address: every owner of the port */
  PC_OWNER_MATCH_DUALSTACK = 2, /* IPv6 [::] vs IPv4 (or the reverse): conflicts unless V6ONLY */
  PC_OWNER_MATCH_WILDCARD = 3,  /* one side is the wildcard of the same family */
  PC_OWNER_MATCH_EXACT = 4      /* the same address (IPv4-mapped IPv6 counts as IPv4) */
} pc_owner_match;

/* One socket owning a port, with its process when known. */
typedef struct pc_owner {
  uint8_t proto;
  pc_addr local;
  pc_addr remote;
  uint8_t state; /* pc_owner_state */
  uint32_t pid;  /* 0 = unknown (Linux: socket of another user or namespace; Windows TIME_WAIT) */
  bool kernel;   /* Windows PID 4 (System): HTTP.sys, SMB, WinNAT */
  uint8_t match; /* pc_owner_match against the query */
  pc_process_info process;
} pc_owner;

/* Finds the sockets on proto/port that conflict with addr (NULL: every socket on the port),
 * ranked best first: the state (LISTEN, BOUND, UDP before connections and TIME_WAIT), then the
 * address match. Up to cap owners go to out; *total receives how many were found. */
int pc_hoststate_owners(pc_hoststate *hs, uint8_t proto, uint16_t port, const pc_addr *addr, pc_owner *out,
                        size_t cap, size_t *total);

/* Fills the enrichment fields of facts from facts->attempt (proto, local address and port,
 * pid): the failing process, the best owner of the port (owner_pid may be the failing pid
 * itself when it holds the port twice), the excluded range, the dynamic range and in_dynamic,
 * the unprivileged port start and os. Fields that cannot be known are left as they are (the
 * caller zeroes facts first). Returns PC_OK even when little is known; an error only when a
 * back end failed outright (message in pc_hoststate_error). */
int pc_hoststate_enrich(pc_hoststate *hs, pc_facts *facts);

/* Live only: tries bind() of proto on addr (port included) and, for TCP, listen(); closes the
 * socket at once. reuseaddr sets SO_REUSEADDR first. *os_error receives 0 on success or the
 * errno; *stage "socket", "bind" or "listen". PC_ENOTSUP offline. */
int pc_hoststate_test_bind(pc_hoststate *hs, uint8_t proto, const pc_addr *addr, bool reuseaddr,
                           int *os_error, const char **stage);

/* Work done by the Linux back end since it was opened, for tests and benchmarks. */
typedef struct pc_hoststate_linux_stats {
  uint64_t diag_queries;      /* sock_diag dumps (one per address family) */
  uint64_t proc_net_scans;    /* /proc/net files read instead (fake trees, no sock_diag) */
  uint64_t row_cache_hits;    /* owner lookups answered from the per-port cache */
  uint64_t snapshot_builds;   /* dumps of every port holder (enrich's best-owner lookups) */
  uint64_t snapshot_hits;     /* best-owner lookups answered from that snapshot */
  uint64_t index_full_walks;  /* walks of every process's fds (the first lookup builds the index) */
  uint64_t index_refreshes;   /* walks of new processes and those whose fd count changed */
  uint64_t fd_links_read;     /* readlink() of /proc/PID/fd entries, all walks together */
  uint64_t process_reads;     /* process details read from /proc (cache misses) */
  uint64_t process_hits;      /* process details from the cache (same PID and start time) */
  uint64_t indexed_sockets;   /* socket inodes in the index now */
  uint64_t indexed_processes; /* processes in the index now */
} pc_hoststate_linux_stats;

/* Fills out for a handle of the Linux back end; false (out zeroed) for any other. Defined
 * on Linux only. */
bool pc_hoststate_linux_get_stats(const pc_hoststate *hs, pc_hoststate_linux_stats *out);

/* Text names. */
const char *pc_owner_state_name(uint8_t state); /* "LISTEN", "UDP", ... */
const char *pc_proto_name(uint8_t proto);       /* "tcp", "udp", "any" */

/* ---- recordings (recorded.c): the host state a live run saw, kept and replayed ---------- */

/* Called with the facts of every pc_hoststate_enrich, after the lookups (borrowed). */
typedef void (*pc_hoststate_facts_fn)(void *ud, const pc_facts *facts);

/* A handle that answers everything from inner (taken: closed with the handle, also on
 * failure) and hands the facts of each enrich to fn: `portclash collect` writes them to its
 * Linux recording (pc_recording.h). */
int pc_hoststate_open_tee(pc_hoststate *inner, pc_hoststate_facts_fn fn, void *ud, pc_hoststate **out,
                          char *err, size_t errcap);

/* Replays a recording (pc_recording.h): enrich fills the facts recorded for the same attempt
 * (event time, process, protocol, address, error), in file order; an attempt the recording
 * does not hold gets nothing (ranges_known and owners_known false). Processes are those the
 * recorded facts name. Errors as pc_recording_read, err saying which file and line. */
int pc_hoststate_open_recording(const char *path, pc_hoststate **out, char *err, size_t errcap);

/* ---- background refresh (live Windows) -------------------------------------------------- */

/* Where reading the state is slow (netsh runs for seconds on a busy Windows host), a worker
 * thread re-reads it on its own schedule, independent of how many events arrive, and the
 * calls above only ever install the newest snapshot it finished: the thread that consumes
 * events never waits for netsh or IP Helper. pc_hoststate_refresh then asks the worker for a
 * new snapshot at once (a reservation event) and installs one that is ready. */
typedef struct pc_hoststate_bg_options {
  uint32_t refresh_ms; /* re-read ranges, HTTP.sys and bound sockets this often; 0 = 30000 */
  uint32_t tick_ms;    /* look at the clock and re-read the socket tables this often; 0 = 1000 */
  /* The schedule's clock in milliseconds; NULL = the system's monotonic clock. Tests give a
   * simulated one. */
  uint64_t (*now_ms)(void *ctx);
  void *clock_ctx;
} pc_hoststate_bg_options;

/* Starts the worker (o NULL = defaults). PC_ENOTSUP for back ends that read fast enough on
 * the caller's thread (Linux /proc, offline files): then nothing changes. */
int pc_hoststate_start_background(pc_hoststate *hs, const pc_hoststate_bg_options *o);

/* True when the worker finished a snapshot that is not installed yet: the caller's periodic
 * work should run now (pc_hoststate_refresh installs it). Never blocks. */
bool pc_hoststate_update_pending(pc_hoststate *hs);

/* For tests: options merged into every pc_hoststate_start_background (NULL = none), and (Windows)
 * the function that runs netsh / netstat instead of the real tools; tool is "netsh" or
 * "netstat", args as on the command line; returns the output (malloc'ed) or NULL. */
void pc__hoststate_set_bg_override(const pc_hoststate_bg_options *o);
typedef char *(*pc_hoststate_tool_fn)(void *ctx, const char *tool, const char *args, size_t *len);
void pc__hoststate_set_tool_runner(pc_hoststate_tool_fn fn, void *ctx);

/* ---- for back ends only (module-internal) ---------------------------------------------- */

/* What a back end provides. impl is the back end's own state. */
typedef struct pc__hoststate_ops {
  const char *name;
  bool live;
  uint8_t os;
  /* Reads the ranges and hands them over with pc__hoststate_set_ranges. May be NULL. */
  int (*refresh)(pc_hoststate *hs, void *impl);
  /* Lists the sockets of proto on port: up to cap rows into rows (pid resolved, 0 when
   * unknown), *n = how many exist. */
  int (*sockets)(pc_hoststate *hs, void *impl, uint8_t proto, uint16_t port, pc_owner_row *rows, size_t cap,
                 size_t *n);
  /* Fills out for pid; PC_ENOENT when unknown. */
  int (*process)(pc_hoststate *hs, void *impl, uint32_t pid, pc_process_info *out);
  void (*destroy)(void *impl);
  /* The network namespace of pid (0 = this process) as an inode number; PC_ENOTSUP where the
   * OS has none. May be NULL. */
  int (*netns)(void *impl, uint32_t pid, uint64_t *ino);
  /* The account name of a numeric user id (Linux uid), for a process that is already gone
   * when only the live source saw its uid. May be NULL. */
  int (*user_name)(void *impl, uint32_t uid, char *buf, size_t cap);
  /* Windows: the HTTP.sys registrations known (netsh http show servicestate / urlacl),
   * borrowed until the next refresh. May be NULL (none). */
  size_t (*http_regs)(void *impl, const pc_http_reg **out);
  /* Background refresh (see above). May be NULL. */
  int (*start_background)(pc_hoststate *hs, void *impl, const pc_hoststate_bg_options *o);
  bool (*pending)(void *impl);
  /* Age of the installed ranges snapshot and the refresh interval, in ms; false when the back
   * end has no schedule. May be NULL. */
  bool (*snapshot_age)(void *impl, uint64_t *age_ms, uint64_t *interval_ms);
  /* A back end that answers whole facts instead of lookups (a recording, recorded.c):
   * pc_hoststate_enrich then only calls this. May be NULL. */
  int (*enrich)(pc_hoststate *hs, void *impl, pc_facts *facts);
} pc__hoststate_ops;

/* The process whose view of the network an owner lookup should take (its namespace), 0 for
 * this process's own. Set by pc_hoststate_enrich around its lookups. */
uint32_t pc__hoststate_view_pid(const pc_hoststate *hs);

/* True while pc_hoststate_enrich asks for the best owner: the sockets() call may then list
 * only sockets that hold the port for new binds (LISTEN, BOUND, UDP), e.g. from a snapshot
 * of them, when it has some on the port (enrich asks again without the hint when none of them
 * conflicts). Otherwise it lists every socket on the port. */
bool pc__hoststate_holders_first(const pc_hoststate *hs);

/* True, with holders_first, when the failure cannot have been caused by a socket on the port
 * (Linux EACCES/EPERM): the sockets() call may then answer from its snapshot of holders even
 * when that shows none on the port, and enrich does not ask again. */
bool pc__hoststate_holders_only(const pc_hoststate *hs);

/* The impl pointer given to pc__hoststate_create (the back end's own state). */
void *pc__hoststate_impl(const pc_hoststate *hs);

/* Wraps impl (ownership passes to the handle, freed by ops->destroy even on failure) and runs
 * the first refresh. On failure err holds the message. */
int pc__hoststate_create(const pc__hoststate_ops *ops, void *impl, pc_hoststate **out, char *err,
                         size_t errcap);

/* Replaces the ranges; takes ownership of both arrays (heap, may be NULL when empty). */
/* Says which kinds of data the back end really has (both true by default): the offline
 * back end knows ranges only when netsh output was given, owners only with netstat. */
void pc__hoststate_set_known(pc_hoststate *hs, bool excluded_known, bool owners_known);

void pc__hoststate_set_ranges(pc_hoststate *hs, pc_port_range *excluded, size_t n_excluded,
                              pc_dynamic_range *dynamic, size_t n_dynamic, bool unpriv_known,
                              uint16_t unpriv);

/* Adds row to rows[0..cap) of which *n are used (*n keeps counting past cap). When full, a
 * socket that holds the port for new binds (LISTEN, BOUND, UDP) replaces a connection or
 * TIME_WAIT row, so that a listener is never lost behind thousands of connections. */
void pc__hoststate_keep_row(pc_owner_row *rows, size_t cap, size_t *n, const pc_owner_row *row);

/* Records "message" as the handle's last error and returns code. */
int pc__hoststate_fail(pc_hoststate *hs, int code, const char *fmt, ...) PC_PRINTF(3, 4);

#endif
