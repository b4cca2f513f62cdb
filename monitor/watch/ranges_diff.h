/* ranges_diff.h - range snapshots: the excluded and dynamic port ranges at one moment,
 * persisted in the state directory, compared with the ranges now (`portclash ranges --diff`,
 * "it worked yesterday") and by the watcher (a range that now covers a watched port).
 *
 * One snapshot file per host-state back end ("ranges-linux.state", "ranges-windows.state",
 * "ranges-offline.state"), so that reading a customer's netsh files never replaces the
 * baseline of the machine portclash runs on. */
#ifndef PC_RANGES_DIFF_H
#define PC_RANGES_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pc_hoststate.h"
#include "pc_time.h"

#define PC_SNAPSHOT_MAX_RANGES 65536

/* The ranges at one moment. Arrays are heap-owned by the snapshot and sorted (excluded by
 * proto, family, start, end; dynamic by proto, family), so equal snapshots compare equal. */
typedef struct pc_range_snapshot {
  pc_time taken;       /* wall-clock time it was taken; PC_TIME_UNKNOWN when not known */
  char source[32];     /* pc_hoststate_backend() of the host state it came from */
  bool excluded_known; /* the excluded ranges were read (ranges_known of the host state) */
  pc_port_range *excluded;
  size_t n_excluded;
  pc_dynamic_range *dynamic;
  size_t n_dynamic;
} pc_range_snapshot;

/* Takes a snapshot of hs's current ranges (no refresh: the caller decides when to re-read).
 * *out is overwritten (clear it first if it held one). PC_OK or PC_ENOMEM. */
int pc_range_snapshot_take(pc_hoststate *hs, pc_time taken, pc_range_snapshot *out);

/* Frees the arrays and zeroes s. NULL-safe. */
void pc_range_snapshot_clear(pc_range_snapshot *s);

/* Same ranges (taken and source are not compared). */
bool pc_range_snapshot_equal(const pc_range_snapshot *a, const pc_range_snapshot *b);

/* The text form: a version line, "source NAME", "taken TICKS", then one line per range:
 * "excluded START END administered|dynamic PROTO FAMILY" and "dynamic START COUNT PROTO FAMILY"
 * (PROTO tcp|udp|any, FAMILY ipv4|ipv6|any). Formatting: *out heap, caller frees. Parsing:
 * PC_ECORRUPT with err "origin:line: what" on bad content (out left empty). */
int pc_range_snapshot_format(const pc_range_snapshot *s, char **out, size_t *len);
int pc_range_snapshot_parse(const char *text, size_t len, const char *origin, pc_range_snapshot *out,
                            char *err, size_t errcap);

/* The snapshot file name for a back end ("ranges-linux.state"), into buf. */
void pc_range_snapshot_file(const char *source, char *buf, size_t cap);

/* Loads the last snapshot of back end source from dir. PC_OK, PC_ENOENT (none yet), or
 * PC_ECORRUPT / PC_EIO with err set ("...; ignoring it"). */
int pc_range_snapshot_load(const char *dir, const char *source, pc_range_snapshot *out, char *err,
                           size_t errcap);

/* Saves s as the last snapshot of its source (atomically). */
int pc_range_snapshot_save(const char *dir, const pc_range_snapshot *s, char *err, size_t errcap);

/* `portclash ranges --diff`: compares hs's ranges with the last snapshot saved in state_dir
 * (NULL = pc_state_dir_default), prints what changed since (added, removed, changed ranges,
 * the administered flag, the dynamic range) with the snapshot's time, as text or one JSON
 * object ({"source","since","now","first_run","excluded_added","excluded_removed",
 * "excluded_changed","dynamic_changed","changes"}; ranges as {"start","end","administered",
 * "proto","family"}, dynamic changes as {"proto","family","before","after"}), then saves the current ranges
 * as the new snapshot. Returns an exit code (0 ok, 1 runtime failure) after printing "portclash ranges:
 * message" to err on failure; a damaged snapshot is a warning on err, and the diff is then against nothing.
 */
int pc_ranges_diff(pc_hoststate *hs, const char *state_dir, bool json, FILE *out, FILE *err);

/* The same at a given wall-clock time (tests). */
int pc_ranges_diff_at(pc_hoststate *hs, const char *state_dir, bool json, pc_time now, FILE *out, FILE *err);

/* Saves hs's ranges as the last snapshot without printing anything (every plain `ranges` run
 * may call it so that a later --diff has a baseline). Errors are silent: returns the pc_err. */
int pc_ranges_snapshot_update(pc_hoststate *hs, const char *state_dir, pc_time now);

#endif
