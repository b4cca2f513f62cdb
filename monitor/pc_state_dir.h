/* pc_state_dir.h - where portclash keeps what it remembers between runs (learned ports, the
 * last range snapshot), and how a state file is read and replaced.
 *
 * The directory is $PC_STATE_DIR when set, else the platform default: on Linux and other
 * POSIX systems the first path of $STATE_DIRECTORY (set by systemd for StateDirectory=; it
 * may list several, separated by ':'), else $XDG_STATE_HOME/portclash, else
 * ~/.local/state/portclash (state_dir-posix.c);
 * on Windows %ProgramData%\portclash (state_dir-win.c). State files are small text files
 * written whole: a temporary file next to the target, flushed to disk, then renamed over it,
 * so a crash leaves either the old or the new file, never half of one. */
#ifndef PC_STATE_DIR_H
#define PC_STATE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Largest state file read back (a bound on hostile or runaway files). */
#define PC_STATE_FILE_MAX ((size_t)4 * 1024 * 1024)

/* Writes the default state directory into buf. PC_OK, PC_ENOENT when no variable the
 * platform relies on is set (buf ""), PC_EOVERFLOW when it does not fit cap. */
int pc_state_dir_default(char *buf, size_t cap);

/* The policy above with the environment passed in (NULL = unset; "" counts as unset), for
 * tests and for callers with their own environment: pc_state_dir, then xdg_state_home +
 * "/portclash", then home + "/.local/state/portclash" (POSIX); pc_state_dir, then
 * program_data + "\portclash" (Windows: program_data given, xdg/home ignored). */
int pc_state_dir_resolve(const char *pc_state_dir, const char *xdg_state_home, const char *home,
                         const char *program_data, char *buf, size_t cap);

/* Reads dir/name whole into a NUL-terminated heap buffer (*out, caller frees). PC_OK,
 * PC_ENOENT (no such file: the normal first run), PC_ELIMIT (larger than PC_STATE_FILE_MAX),
 * PC_EIO, PC_ENOMEM. */
int pc_state_read(const char *dir, const char *name, char **out, size_t *len);

/* Replaces dir/name with data[0..len) atomically (see above), creating dir (and its parents)
 * when missing. PC_OK, or PC_EIO / PC_EPRIV / PC_ENOMEM with err set to a sentence naming the
 * path. */
int pc_state_write(const char *dir, const char *name, const char *data, size_t len, char *err, size_t errcap);

/* For loaders: pc_state_read, with origin (origin_cap bytes) set to the path "dir<sep>name"
 * for the parser's messages. PC_ENOENT as pc_state_read, err untouched; any other failure
 * sets err to "cannot read ORIGIN (REASON); THEN" and is returned, PC_ELIMIT as PC_ECORRUPT
 * (the file is damaged, not the program). */
int pc_state_load(const char *dir, const char *name, const char *then, char *origin, size_t origin_cap,
                  char **text, size_t *len, char *err, size_t errcap);

/* For savers: writes text[0..len), made by a formatter that returned format_rc, to dir/name
 * (pc_state_write) and frees it. When the formatter failed (text not set) err says "out of
 * memory" and format_rc is returned. */
int pc_state_save(const char *dir, const char *name, int format_rc, char *text, size_t len, char *err,
                  size_t errcap);

/* ---- platform layer (state_dir-posix.c / state_dir-win.c) ---- */

/* Creates dir and missing parents (owner-only permissions where the OS has them). PC_OK
 * when it exists afterwards; PC_EPRIV / PC_EIO otherwise. */
int pc__state_mkdirs(const char *dir);

/* Flushes f to stable storage and closes it, then renames tmp over dst (replacing it).
 * f is closed in every case. PC_OK, PC_EIO, PC_EPRIV. */
int pc__state_commit(FILE *f, const char *tmp, const char *dst);

/* The path separator of the platform ('/' or '\\'). */
char pc__state_sep(void);

#endif
