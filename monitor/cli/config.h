/* config.h - the configuration file: the options of the option table (options.h) that are
 * marked as keys, written as `key = value` lines, for a service (portclash service on Windows reads
 * %ProgramData%\portclash\portclash.conf; the systemd unit can pass --config) and for the
 * watch list (`watch = ...`).
 *
 * Format (packaging/portclash.conf.example documents every key):
 *   # a comment (a line whose first non-blank character is '#')
 *   format = json
 *   log = C:\ProgramData\portclash\findings.log
 *   watch = tcp 8080
 * One key per line; the key is a long command-line option without its dashes and takes the
 * values of that option (`portclash help-options --keys` lists them); switches take
 * true/false (yes/no, on/off, 1/0); watch is repeatable (kept as written, in order, for the
 * watch list). Blanks around key and value are ignored; a value may be put in double
 * quotes to keep blanks at its ends. A UTF-8 byte order mark is skipped; LF or CRLF lines.
 *
 * Refused, each with "FILE:LINE: message": an unknown key, a key given twice (watch
 * excepted), a line without '=', an empty value, a bad value, a [section], a line longer than
 * PC_CONFIG_MAX_LINE bytes, a NUL byte, more than PC_CONFIG_MAX_WATCH watch lines; and for
 * the whole file ("FILE: message"): larger than PC_CONFIG_MAX_BYTES, UTF-16 (save it as
 * UTF-8), unreadable. A file with errors changes nothing the caller can rely on: the caller
 * exits 2. */
#ifndef PC_CONFIG_H
#define PC_CONFIG_H

#include <stddef.h>

#include "options.h"

#define PC_CONFIG_MAX_BYTES ((size_t)256 * 1024)
#define PC_CONFIG_MAX_LINE 4096
#define PC_CONFIG_MAX_WATCH 1024
#define PC_CONFIG_ERR_MAX 1024
#define PC_CONFIG_MAX_ROWS 128 /* rows of the option table */

/* The storage behind the options a file set: its text (values point into it) and the watch
 * list. Owned by the caller; free with pc_config_free (NULL-safe) only when o is no longer
 * used. */
typedef struct pc_config pc_config;

/* Applies the len bytes of text (need not be NUL-terminated) to o; origin names the file in
 * messages. On success *storage holds what o now points into. Returns PC_OK; PC_EPARSE or
 * PC_ELIMIT with "origin:line: message" (or "origin: message") in err; PC_ENOMEM. On failure
 * *storage is NULL and o may have been changed by the lines before the error. */
int pc_config_apply_text(pc_options *o, const char *text, size_t len, const char *origin, pc_config **storage,
                         char *err, size_t errcap);

/* Reads path and applies it (pc_config_apply_text). Also PC_ENOENT / PC_EIO ("path: cannot
 * read: ...") and PC_ELIMIT for a file larger than PC_CONFIG_MAX_BYTES. */
int pc_config_apply_file(pc_options *o, const char *path, pc_config **storage, char *err, size_t errcap);

void pc_config_free(pc_config *c);

#endif
