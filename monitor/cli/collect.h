/* collect.h - the folder of `portclash collect` and `selftest --collect` (cmd_collect.c):
 * where files go, the tool runs that fill them, the Linux recording, and manifest.json,
 * which `portclash analyze DIR` reads back (cmd_collect_manifest.c). The platform files
 * (cmd_collect-linux.c, cmd_collect-win.c) decide what to collect. Private to the cli
 * library. */
#ifndef PC_CLI_COLLECT_H
#define PC_CLI_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_facts.h"
#include "pc_hoststate.h"
#include "pc_os.h"
#include "pc_time.h"

#define PC_COLLECT_FORMAT "portclash-collect/1"
#define PC_COLLECT_MANIFEST "manifest.json"
/* Largest manifest read back (a real one is a few KB). */
#define PC_COLLECT_MANIFEST_MAX ((size_t)1 << 20)
#define PC_COLLECT_MAX_FILES 64
/* A tool gets this long and may print this much (netstat -ano on a busy server: a few MB). */
#define PC_COLLECT_TOOL_TIMEOUT_MS 60000u
#define PC_COLLECT_TOOL_MAX_BYTES ((size_t)64 << 20)

/* The kinds of file analyze understands; any other kind is kept for people (uname, ss, ...). */
#define PC_COLLECT_KIND_CAPTURE "capture"     /* Windows .etl of the monitor's session */
#define PC_COLLECT_KIND_RECORDING "recording" /* Linux attempts.jsonl (pc_recording.h) */
#define PC_COLLECT_KIND_FINDINGS "findings"   /* JSON lines, as the live run wrote them */
#define PC_COLLECT_KIND_EXCLUDED "netsh-excluded"
#define PC_COLLECT_KIND_DYNAMIC "netsh-dynamic"
#define PC_COLLECT_KIND_NETSTAT "netstat"
#define PC_COLLECT_KIND_TASKLIST "tasklist"
#define PC_COLLECT_KIND_HTTP "netsh-http"

/* Runs a tool as pc_os_run does; tests put a fake in its place (pc__collect_set_runner). */
typedef pc_err (*pc_collect_run_fn)(void *ctx, const char *const *argv, uint32_t timeout_ms, size_t max_bytes,
                                    pc_os_run_result *res);
void pc__collect_set_runner(pc_collect_run_fn fn, void *ctx);

typedef struct pc_collect pc_collect;

/* Ctrl+C and SIGTERM set a flag instead of ending the process, so that what was collected is
 * kept and the manifest written (call it again after anything that restores the defaults,
 * such as the monitor's loop); tool runs are skipped once it is set. */
void pc__collect_catch_signals(void);
bool pc__collect_stopped(void);

/* Creates dir (it must not exist, or be an empty folder) and starts the manifest of command
 * ("collect", "selftest"). Returns an exit code (0 ok) after printing why on stderr. */
int pc__collect_open(const char *dir, const char *command, pc_collect **out);

/* dir/name into buf (for files the caller writes itself). Returns buf. */
const char *pc__collect_path(const pc_collect *c, const char *name, char *buf, size_t cap);

/* What the live run was: the OS ("linux", "windows"), its build (Windows), the version text
 * (uname -r, "10.0.22631") and the findings' source ("ebpf", "etw"). Strings are copied;
 * NULL = unknown. The host name is this machine's. */
void pc__collect_set_system(pc_collect *c, const char *os, uint32_t os_build, const char *os_version,
                            const char *source);

/* Adds a manifest entry for a file the caller wrote (ok false: it is missing or incomplete,
 * note says why). hints are the netsh hints analyze puts before the path ("ipv4:tcp:"), or
 * NULL. command is how it was made, for people. */
void pc__collect_add(pc_collect *c, const char *name, const char *kind, const char *hints, const char *what,
                     const char *command, int exit_status, bool ok, const char *note);

/* Runs argv through the runner and writes its output (even when the tool failed: its message
 * is what the engineer needs) to dir/name, with a manifest entry; says on stderr what it runs.
 * false when the tool could not be run or failed (the entry says so; collect goes on). */
bool pc__collect_tool(pc_collect *c, const char *name, const char *kind, const char *hints, const char *what,
                      const char *const *argv);

/* The manifest entry of findings.jsonl, written by the monitor (exit code rc) of a collect
 * run. */
void pc__collect_add_findings(pc_collect *c, int rc);

/* Copies the file src (a /proc/sys value) to dir/name, with a manifest entry. */
bool pc__collect_copy(pc_collect *c, const char *name, const char *kind, const char *what, const char *src);

/* The Linux recording: opens dir/attempts.jsonl with its header. Every failed attempt the
 * source delivers goes to pc__collect_record_attempt; pc__collect_record_facts (given to
 * pc_hoststate_open_tee) adds the facts of those that were explained. One line per attempt,
 * in delivery order; an attempt the window counted without explaining has "facts":{}. */
int pc__collect_recording_open(pc_collect *c);
void pc__collect_record_attempt(pc_collect *c, const pc_bind_attempt *a);
void pc__collect_record_facts(void *ud, const pc_facts *facts);

/* A source that hands on src's items (taking it) and gives every failed attempt to
 * pc__collect_record_attempt first. On PC_ENOMEM src is closed. */
struct pc_source;
int pc__collect_source_wrap(pc_collect *c, struct pc_source *src, struct pc_source **out);

/* Writes manifest.json (the time span from open to now; interrupted: cut short by Ctrl+C),
 * closes the recording and frees c. Returns an exit code after printing why on failure. */
int pc__collect_finish(pc_collect *c, bool interrupted);

/* ---- reading a folder back (cmd_collect_manifest.c) ---- */

typedef struct pc_collect_file {
  char name[128];
  char kind[32];
  char hints[32];
  bool ok;
} pc_collect_file;

typedef struct pc_collect_manifest {
  char command[32];
  char os[16];
  uint32_t os_build;
  char source[16];
  char host[256];
  bool complete;
  pc_collect_file files[PC_COLLECT_MAX_FILES];
  size_t n_files;
} pc_collect_manifest;

/* Parses a manifest's text (origin names it in messages). PC_OK; PC_EPARSE / PC_ELIMIT with
 * err saying what is wrong (not a collect manifest, a bad member, a file name with a path in
 * it); PC_ENOMEM. */
int pc_collect_manifest_parse(const char *text, size_t len, const char *origin, pc_collect_manifest *out,
                              char *err, size_t errcap);

/* True when path is a folder. */
bool pc__collect_is_dir(const char *path);

/* `portclash analyze DIR`: the manifest, every file it names checked to be there, the
 * capture or recording opened as the source and the host-state files set in run->offline
 * (paths kept in storage, which must outlive their use). Returns an exit code (0 ok) after
 * printing why on errout. */
typedef struct pc_collect_inputs {
  pc_collect_manifest m;
  char source_path[4096];
  bool recording; /* the source is a Linux recording (else an ETL capture) */
  char storage[PC_COLLECT_MAX_FILES][4200];
} pc_collect_inputs;
int pc__collect_inputs(const char *dir, pc_collect_inputs *in, pc_hoststate_offline_files *offline,
                       FILE *errout);

/* Before anything is created: PC_EXIT_OK when this build and this process can collect
 * (Linux: the eBPF privileges), else the exit code after saying why. */
int pc__collect_preflight(const char *command);

/* A host-state file of a collect folder that cannot be parsed (err, as the offline back end
 * says it: "PATH:LINE: ...") is dropped from off, so that analyze DIR goes on with the rest
 * (a tool's output on a Windows build portclash has not seen must not cost the whole
 * analysis). True when a file was dropped. */
bool pc__collect_drop_failed(pc_hoststate_offline_files *off, const char *err);

/* The platform part (cmd_collect-linux.c / -win.c / -none.c): collects into c for
 * duration_ms (0 = until Ctrl+C) with the live source; all holds the parsed options. Sets
 * *interrupted when Ctrl+C cut it short. Returns an exit code. */
struct pc_options;
int pc__collect_platform(pc_collect *c, const struct pc_options *all, bool *interrupted);

/* The host-state files of this platform, without the live source (selftest --collect calls
 * it before its checks). */
void pc__collect_host_files(pc_collect *c, const char *suffix);

#endif
