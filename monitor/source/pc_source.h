/* pc_source.h - every event source behind one interface: a capture file (ETL or a record
 * fixture), the live ETW session (Windows) and the live eBPF program (Linux).
 *
 * A source hands out items. An item is either a pc_record (ETW-shaped: the file sources and
 * ETW; the pipeline decodes and correlates it) or a pc_bind_attempt that is already complete
 * (eBPF: Linux has no ETW payloads to decode). One contract for all of them:
 *
 *   pc_source_next(s, &item, timeout_ms)
 *     PC_OK        item filled; its borrowed parts (record user data, extra) stay valid
 *                  until the next call on s;
 *     PC_ETIMEOUT  nothing arrived within timeout_ms (live sources; 0 = do not wait);
 *     PC_EEND      there will be no more items: the end of the file, or a live source that
 *                  was stopped (pc_source_stop, Ctrl+C, the session stopped from outside)
 *                  and has handed out what it held when it saw the stop (what arrives later
 *                  is not taken in, so the end comes however busy the host); every later
 *                  call returns PC_EEND too;
 *     other        an error; pc_source_error says what (with the file and byte offset or
 *                  line), and later calls return the same error.
 *
 * Threading: next, stats and close from one thread; stop from any thread (a signal handler
 * may call it for the sources that say so). Ownership: the caller owns the source and
 * closes it with pc_source_close (NULL-safe). */
#ifndef PC_SOURCE_H
#define PC_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_attempt.h"
#include "pc_error.h"
#include "pc_record.h"
#include "pc_schema.h"

typedef enum pc_source_item_kind {
  PC_SOURCE_RECORD = 1, /* item.record: decode and correlate it */
  PC_SOURCE_ATTEMPT = 2 /* item.attempt: one complete bind attempt */
} pc_source_item_kind;

typedef struct pc_source_item {
  pc_source_item_kind kind;
  pc_record record;
  pc_bind_attempt attempt;
  /* Facts a source knows beyond the shared types (eBPF: pc_ebpf_extra), or NULL. Borrowed. */
  const void *extra;
} pc_source_item;

/* Counters for the status line and the exit summary. */
typedef struct pc_source_stats {
  uint64_t items; /* handed out by next */
  uint64_t lost;  /* lost before they reached us: kernel ring, ETW buffers, the source's queue */
  /* One line (no newline) with what this kind of source counts beyond that, e.g. "eBPF
   * source: 12 failures seen by the kernel, 0 lost in the kernel ring (full), …"; "" when
   * there is nothing more to say. */
  char detail[320];
} pc_source_stats;

/* What the source is: for the findings' "source", "os" and build fields. */
typedef struct pc_source_info {
  const char *name;     /* "etl", "fixture", "etw", "ebpf" (static) */
  const char *os;       /* "windows", "linux" (static) */
  uint32_t os_build;    /* Windows build of the machine the events come from; 0 unknown */
  uint64_t events_lost; /* what the producer itself reports as lost (ETL header); 0 live */
  /* Live: what is attached, for the "monitoring" line (the eBPF hooks, the ETW session's
   * name and mode); "" for files. Valid while the source is open. */
  const char *attached;
} pc_source_info;

/* The operations a source implements (for back ends; users call the functions below). */
typedef struct pc_source_ops {
  int (*next)(void *self, pc_source_item *item, unsigned timeout_ms);
  void (*stats)(void *self, pc_source_stats *st);
  void (*info)(void *self, pc_source_info *info);
  void (*stop)(void *self);               /* may be NULL: the source ends by itself */
  const char *(*error)(const void *self); /* the message of the sticky error, "" when none */
  void (*close)(void *self);
  /* May be NULL (only pc_source_stop stops it): true once the source was asked to stop
   * locally by a handler of its own (ETW: the console control handler on Ctrl+C). */
  bool (*stop_requested)(const void *self);
} pc_source_ops;

typedef struct pc_source pc_source;

/* For back ends: wraps self with ops. On PC_ENOMEM ops->close(self) has been called. */
int pc_source_new(const pc_source_ops *ops, void *self, pc_source **out);

int pc_source_next(pc_source *s, pc_source_item *item, unsigned timeout_ms);
void pc_source_get_stats(pc_source *s, pc_source_stats *st);
void pc_source_get_info(pc_source *s, pc_source_info *info);
/* Asks the source to end: intake stops, and next returns PC_EEND once what it holds (if
 * anything) has been handed out. Safe from a signal handler for the live sources. */
void pc_source_stop(pc_source *s);
/* True once a stop was asked locally: by pc_source_stop or by the source's own handler
 * (Ctrl+C on Windows reaches the ETW source's console handler, not a signal handler). A
 * session stopped from outside is not a local stop. Callable from the source's thread. */
bool pc_source_stop_requested(const pc_source *s);
const char *pc_source_error(const pc_source *s);
void pc_source_close(pc_source *s);

/* ---- the file sources (file.c; portable) ---- */

/* Opens a capture: an .etl file (XPRESS-compressed too), or else, when the file reads as
 * text, a record fixture (tests/FIXTURES.md) encoded with schemas (borrowed; must outlive
 * the source). On failure *out is NULL, err says why (naming the file), and the result is
 * PC_ENOENT / PC_EIO (cannot read it), PC_ENOMEM, or another pc_err for a file that is
 * neither a readable ETL file nor text (bad input). */
int pc_source_open_file(const char *path, const pc_schema_set *schemas, pc_source **out, char *err,
                        size_t errcap);

/* Opens the Linux recording of `portclash collect` (pc_recording.h; recording.c): its failed
 * attempts as complete attempts, in file order. Errors as pc_recording_read (err names the
 * file and line). */
int pc_source_open_recording(const char *path, pc_source **out, char *err, size_t errcap);

/* ---- the live sources (one per platform; see ebpf.h and etw.h for their options) ---- */

struct pc_ebpf_options;
/* Linux: loads and attaches the eBPF program (ebpf-linux.c). Items are complete attempts
 * whose extra is the pc_ebpf_item (ebpf.h). Errors as pc_ebpf_open; stop is signal-safe. */
int pc_source_open_ebpf(const struct pc_ebpf_options *o, pc_source **out, char *err, size_t errcap);

struct pc_etw_options;
struct pc_etw_plan;
struct pc_etw_api;
/* Windows: starts the real-time ETW session of plan (etw-win.c, pc_etw_session_start; api
 * NULL = the system's) and installs the console control handler that stops it on Ctrl+C,
 * console close, logoff and shutdown. Items are records. os_build is the findings' build.
 * Errors as pc_etw_session_start (PC_EPRIV, PC_EEXIST, PC_EIO, PC_ENOMEM); notes go to msg. */
int pc_source_open_etw(const struct pc_etw_options *o, const struct pc_etw_plan *plan,
                       const struct pc_etw_api *api, uint32_t os_build, FILE *msg, pc_source **out);

#endif
