/* os_internal.h - shared between the files of the OS layer only. */
#ifndef PC_OS_INTERNAL_H
#define PC_OS_INTERNAL_H

#include <stdio.h>

/* The platform halves of the state directory (state_dir-posix.c / state_dir-win.c). */

/* Creates dir and missing parents (owner-only permissions where the OS has them). PC_OK
 * when it exists afterwards; PC_EPRIV / PC_EIO otherwise. */
int pc__state_mkdirs(const char *dir);

/* Creates a new temporary file tmp (a path ending in "XXXXXX", replaced by a unique name) in
 * dir for writing, without following a link and never reusing an existing file, after checking
 * that dir is safe to replace files in: on POSIX a directory owned by us (or root) that no
 * one else can write to, unless it is sticky and ours. PC_OK with *f open; PC_EPRIV with err
 * naming the directory and what is wrong with it; PC_EIO. */
int pc__state_create_temp(const char *dir, char *tmp, FILE **f, char *err, size_t errcap);

/* Flushes f to stable storage and closes it, then renames tmp over dst (replacing it).
 * f is closed in every case. PC_OK, PC_EIO, PC_EPRIV. */
int pc__state_commit(FILE *f, const char *tmp, const char *dst);

/* The path separator of the platform ('/' or '\\'). */
char pc__state_sep(void);

#endif
