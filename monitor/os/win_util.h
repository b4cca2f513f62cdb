/* win_util.h - Windows helpers shared by the Windows-only files of several libraries (host
 * state, the syslog sink, the service): Winsock start-up and starting a child process that
 * inherits only its standard handles. Windows only (win_util-win.c). */
#ifndef PC_WIN_UTIL_H
#define PC_WIN_UTIL_H

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <stdbool.h>
#include <windows.h>

#include "pc_error.h"

/* Starts Winsock once per process (thread-safe) and never undoes it: the sinks may be opened
 * and closed many times, and WSACleanup while another part of the program (host state, the
 * syslog sink, tests) uses Winsock would break it. Returns 0 when Winsock is usable, else the
 * WSAStartup error. */
int pc_win_wsa_ready(void);

/* Starts app with the command line cmd (which CreateProcessW may modify) and the creation
 * flags CREATE_NO_WINDOW | flags. The child's standard output and error are out, its standard
 * input is in (INVALID_HANDLE_VALUE: none); both must be inheritable, and they are the only
 * handles the child inherits (PROC_THREAD_ATTRIBUTE_HANDLE_LIST, UpdateProcThreadAttribute,
 * Microsoft docs), so that a service or a program with other inheritable handles open does
 * not leak them into the child. Returns false with GetLastError() set; on success the caller
 * closes pi->hProcess and pi->hThread. */
bool pc_win_spawn(const wchar_t *app, wchar_t *cmd, DWORD flags, HANDLE in, HANDLE out,
                  PROCESS_INFORMATION *pi);

/* The one translation of a Win32 error (GetLastError, ControlTrace's result, ...) to a
 * pc_err (os-win.c): not found -> PC_ENOENT, access denied / privilege not held -> PC_EPRIV,
 * out of memory, exists, not supported, timeout; anything else PC_EIO. C runtime errno
 * values have theirs in core (pc_err_from_errno). */
pc_err pc_os_err_from_win32(unsigned long e);

#endif
