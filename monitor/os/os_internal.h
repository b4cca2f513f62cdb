/* os_internal.h - shared between the files of the OS layer only. */
#ifndef PC_OS_INTERNAL_H
#define PC_OS_INTERNAL_H

#include <stdio.h>

/* The platform halves of the state directory (state_dir-posix.c / state_dir-win.c). */

/* Creates dir and missing parents (owner-only permissions where the OS has them). PC_OK
 * when it exists afterwards; PC_EPRIV / PC_EIO otherwise. */
int pc__state_mkdirs(const char *dir);

/* Flushes f to stable storage and closes it, then renames tmp over dst (replacing it).
 * f is closed in every case. PC_OK, PC_EIO, PC_EPRIV. */
int pc__state_commit(FILE *f, const char *tmp, const char *dst);

/* The path separator of the platform ('/' or '\\'). */
char pc__state_sep(void);

#endif
