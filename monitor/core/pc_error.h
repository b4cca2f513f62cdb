/* pc_error.h - the one error enum of portclash.
 *
 * Every function that can fail returns a pc_err (0 = PC_OK, negative = failure) so that
 * callers can propagate without translating. Numbers are never reused: a new error gets a
 * new number at the end. OS errors (errno, Win32, NTSTATUS) are translated in one place
 * per platform, never ad hoc. */
#ifndef PC_ERROR_H
#define PC_ERROR_H

/* X-macro: name, number, message. The message says what went wrong in words a user can
 * act on; call sites add the file/offset context. */
#define PC_ERR_MAP(X)                                          \
  X(PC_OK, 0, "success")                                       \
  X(PC_ENOMEM, -1, "out of memory")                            \
  X(PC_EINVAL, -2, "invalid argument")                         \
  X(PC_ETRUNC, -3, "input is truncated")                       \
  X(PC_EPARSE, -4, "malformed input")                          \
  X(PC_ENOTSUP, -5, "not supported here")                      \
  X(PC_EIO, -6, "input/output error")                          \
  X(PC_ENOENT, -7, "no such file or entry")                    \
  X(PC_ERULE, -8, "rule file has errors")                      \
  X(PC_ELIMIT, -9, "a size or match limit was reached")        \
  X(PC_EPRIV, -10, "missing privilege")                        \
  X(PC_ECORRUPT, -11, "corrupt file")                          \
  X(PC_EUNKNOWN, -12, "unknown event (provider, id, version)") \
  X(PC_EAGAIN, -13, "temporarily unavailable, try again")      \
  X(PC_EOVERFLOW, -14, "value does not fit")                   \
  X(PC_EFULL, -15, "queue or table is full")                   \
  X(PC_ENET, -16, "network error")                             \
  X(PC_EEXIST, -17, "already exists")                          \
  X(PC_ETIMEOUT, -18, "timed out")                             \
  X(PC_ETRAILING, -19, "payload is longer than its schema")    \
  X(PC_EEND, -20, "end of input")                              \
  X(PC_ENOTFILE, -21, "not a regular file (a directory, FIFO, socket or device)")

typedef enum pc_err {
#define PC__ERR_ENUM(name, num, msg) name = num,
  PC_ERR_MAP(PC__ERR_ENUM)
#undef PC__ERR_ENUM
} pc_err;

/* Returns a static, human-readable message for err; never NULL (unknown numbers give
 * "unknown error"). */
const char *pc_strerror(int err);

/* Returns the symbolic name ("PC_ETRUNC") for err; never NULL. */
const char *pc_errname(int err);

/* The one translation of a C runtime / POSIX errno value to a pc_err (ENOENT -> PC_ENOENT,
 * EACCES/EPERM -> PC_EPRIV, ENOMEM, EEXIST, EINTR/EAGAIN -> PC_EAGAIN, EMSGSIZE -> PC_ELIMIT,
 * ETIMEDOUT, ENOSYS/ENOTSUP -> PC_ENOTSUP, connection errors -> PC_ENET, anything else
 * PC_EIO). Win32 errors have theirs in the OS layer (pc_os_err_from_win32, os-win.c). */
pc_err pc_err_from_errno(int e);

/* Process exit codes (the DESIGN.md contract), for every command. */
#define PC_EXIT_OK 0
#define PC_EXIT_FAILURE 1
#define PC_EXIT_USAGE 2     /* bad usage or bad input: the message names file:line or offset */
#define PC_EXIT_PRIVILEGE 3 /* missing privilege: the message says what to do */

#endif
