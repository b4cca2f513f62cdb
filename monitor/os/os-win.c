/* os-win.c - threads, clocks and files for the sinks on Windows: the same contracts as
 * os-posix.c (declared at the end of pc_sinks.h), built on Win32.
 *
 * Strings crossing this file are UTF-8 on our side: paths are converted to UTF-16 for the
 * W functions, host names and system messages are converted back to UTF-8, so nothing
 * depends on the process's ANSI code page.
 *
 * Errors: every function that fails leaves its Win32 error in GetLastError(), and
 * pc_os_error_text() formats GetLastError() (the POSIX file formats errno at the same places).
 * Winsock error codes are Win32 error codes too, so the syslog transport sets the code with
 * SetLastError() before asking for the text. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <io.h>
#include <limits.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "pc_os.h"
#include "win_util.h"

struct pc_os_mutex {
  CRITICAL_SECTION cs;
};
struct pc_os_cond {
  CONDITION_VARIABLE cv;
};
struct pc_os_thread {
  HANDLE h;
  void (*fn)(void *);
  void *arg;
};

pc_os_mutex *pc_os_mutex_new(void) {
  pc_os_mutex *m = malloc(sizeof *m);
  /* InitializeCriticalSection cannot fail on Vista and later (Microsoft's documentation of
   * InitializeCriticalSection, "Return value"). */
  if (m) InitializeCriticalSection(&m->cs);
  return m;
}

void pc_os_mutex_free(pc_os_mutex *m) {
  if (!m) return;
  DeleteCriticalSection(&m->cs);
  free(m);
}

void pc_os_mutex_lock(pc_os_mutex *m) {
  EnterCriticalSection(&m->cs);
}
void pc_os_mutex_unlock(pc_os_mutex *m) {
  LeaveCriticalSection(&m->cs);
}

/* Condition variables need no cleanup ("there is no explicit function for deleting a
 * condition variable", Condition Variables, Microsoft docs). Their timeouts are relative,
 * so a wall-clock jump cannot stretch a back-off, as with CLOCK_MONOTONIC on POSIX. */
pc_os_cond *pc_os_cond_new(void) {
  pc_os_cond *c = malloc(sizeof *c);
  if (c) InitializeConditionVariable(&c->cv);
  return c;
}

void pc_os_cond_free(pc_os_cond *c) {
  free(c);
}

void pc_os_cond_wait_ms(pc_os_cond *c, pc_os_mutex *m, uint64_t ms) {
  /* INFINITE is 0xFFFFFFFF: longer waits are cut just below it, which the contract allows
   * ("may wake early"). A timeout returns FALSE with ERROR_TIMEOUT; either way the caller
   * re-checks its predicate. */
  DWORD d = ms >= INFINITE ? INFINITE - 1 : (DWORD)ms;
  SleepConditionVariableCS(&c->cv, &m->cs, d);
}

void pc_os_cond_broadcast(pc_os_cond *c) {
  WakeAllConditionVariable(&c->cv);
}

/* _beginthreadex rather than CreateThread: the writer threads call the C runtime (malloc,
 * snprintf), and msvcrt sets up its per-thread data for threads it started itself
 * (_beginthread, _beginthreadex, Microsoft C runtime reference). */
static unsigned __stdcall thread_main(void *p) {
  pc_os_thread *t = p;
  t->fn(t->arg);
  return 0;
}

pc_err pc_os_thread_start(pc_os_thread **out, void (*fn)(void *), void *arg) {
  pc_os_thread *t = malloc(sizeof *t);
  if (!t) return PC_ENOMEM;
  t->fn = fn;
  t->arg = arg;
  uintptr_t h = _beginthreadex(NULL, 0, thread_main, t, 0, NULL);
  if (h == 0) {
    free(t);
    return PC_ENOMEM;
  }
  t->h = (HANDLE)h;
  *out = t;
  return PC_OK;
}

void pc_os_thread_join(pc_os_thread *t) {
  if (!t) return;
  WaitForSingleObject(t->h, INFINITE);
  CloseHandle(t->h);
  free(t);
}

/* QueryPerformanceCounter is monotonic and "always succeeds" on XP and later (Acquiring
 * high-resolution time stamps, Microsoft docs); GetTickCount64 would do for milliseconds
 * too but ticks in 10-16 ms steps, which makes short back-offs coarse. */
uint64_t pc_os_clock_ms(void) {
  static LARGE_INTEGER freq; /* the same for the life of the system: reading it twice is harmless */
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  LARGE_INTEGER c;
  QueryPerformanceCounter(&c);
  uint64_t f = (uint64_t)freq.QuadPart, v = (uint64_t)c.QuadPart;
  return v / f * 1000u + v % f * 1000u / f; /* split: v * 1000 could overflow after months */
}

/* pc_time is FILETIME (100 ns since 1601, UTC), so the system time needs no conversion.
 * The precise variant exists since Windows 8; portclash targets Windows 10. */
pc_time pc_os_clock_now(void) {
  FILETIME ft;
  GetSystemTimePreciseAsFileTime(&ft);
  return (pc_time)(((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime);
}

uint32_t pc_os_self_pid(void) {
  return (uint32_t)GetCurrentProcessId();
}

/* The DNS host name (not the NetBIOS name, which is upper-cased and cut to 15 characters),
 * as syslog's HOSTNAME wants it. GetComputerNameExW needs no WSAStartup, unlike
 * gethostname. */
void pc_host_name(char *buf, size_t cap) {
  if (cap == 0) return;
  buf[0] = '\0';
  wchar_t w[256];
  DWORD n = sizeof w / sizeof w[0];
  if (!GetComputerNameExW(ComputerNameDnsHostname, w, &n)) return;
  int len =
      WideCharToMultiByte(CP_UTF8, 0, w, (int)n, buf, cap > INT_MAX ? INT_MAX : (int)(cap - 1), NULL, NULL);
  buf[len > 0 ? len : 0] = '\0';
}

/* A console that understands ANSI colour sequences. A console handle alone is not enough:
 * consoles before Windows 10 print the escape bytes, so the answer is yes only when virtual
 * terminal processing is (or can be switched) on (Console Virtual Terminal Sequences,
 * Microsoft docs). Pipes and files (GetConsoleMode fails) are never terminals. */
bool pc_os_is_terminal(FILE *f) {
  int fd = _fileno(f);
  if (fd < 0) return false;
  HANDLE h = (HANDLE)_get_osfhandle(fd);
  DWORD mode;
  if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode)) return false;
  if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) return true;
  return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

/* The system's message for GetLastError(), in UTF-8, without the ".\r\n" it ends with. */
void pc_os_error_text(char *buf, size_t cap) {
  DWORD e = GetLastError();
  if (cap == 0) return;
  wchar_t w[512];
  DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, w,
                           sizeof w / sizeof w[0], NULL);
  while (n > 0 && (w[n - 1] == L'\r' || w[n - 1] == L'\n' || w[n - 1] == L' ' || w[n - 1] == L'.')) n--;
  int len = n ? WideCharToMultiByte(CP_UTF8, 0, w, (int)n, buf, cap > INT_MAX ? INT_MAX : (int)(cap - 1),
                                    NULL, NULL)
              : 0;
  if (len <= 0)
    snprintf(buf, cap, "error %lu", (unsigned long)e);
  else
    buf[len] = '\0';
  SetLastError(e);
}

/* UTF-8 -> new UTF-16 string; NULL with the error set (bad UTF-8, out of memory). */
static wchar_t *widen(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (!w) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
  return w;
}

/* free() that keeps GetLastError() for the caller's report. */
static void free_keep_error(void *p) {
  DWORD e = GetLastError();
  free(p);
  SetLastError(e);
}

pc_err pc_os_err_from_win32(unsigned long e) {
  switch (e) {
    case ERROR_SUCCESS:
      return PC_OK;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return PC_ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD:
      return PC_EPRIV;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
      return PC_ENOMEM;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
      return PC_EEXIST;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
      return PC_ENOTSUP;
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT:
      return PC_ETIMEOUT;
    case ERROR_DISK_FULL:
    default:
      return PC_EIO;
  }
}

struct pc_os_file {
  HANDLE h;
  uint64_t size;
};

/* FILE_APPEND_DATA gives the append semantics of O_APPEND; FILE_WRITE_DATA is added only
 * because cutting a torn line off again (SetFileInformationByHandle with FileEndOfFileInfo)
 * needs it. With FILE_WRITE_DATA present, plain writes would go to the file pointer, so
 * every write passes the "end of file" offset 0xFFFFFFFF:0xFFFFFFFF instead (WriteFile,
 * Microsoft docs: "functionally equivalent to previously calling the CreateFile function to
 * open hFile using FILE_APPEND_DATA access").
 *
 * Sharing: readers (tail, log shippers) may open the file, and FILE_SHARE_DELETE lets them
 * or an operator rename or delete it while we hold it, like on POSIX; pc_os_file_is_current
 * then notices and the file is created again. The file gets the inherited ACL of its
 * directory (%ProgramData%\portclash for the service), the Windows counterpart of 0640
 * under a private directory. The handle is not inheritable (NULL security attributes). */
pc_err pc_os_file_open(const char *path, pc_os_file **out, uint64_t *size) {
  pc_os_file *f = malloc(sizeof *f);
  if (!f) return PC_ENOMEM;
  wchar_t *w = widen(path);
  if (!w) {
    free_keep_error(f);
    return PC_EIO;
  }
  f->h = CreateFileW(w, FILE_APPEND_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_ALWAYS,
                     FILE_ATTRIBUTE_NORMAL, NULL);
  free_keep_error(w);
  if (f->h == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    free_keep_error(f);
    return pc_os_err_from_win32(e) == PC_ENOENT ? PC_ENOENT : PC_EIO;
  }
  LARGE_INTEGER sz;
  f->size = GetFileType(f->h) == FILE_TYPE_DISK && GetFileSizeEx(f->h, &sz) ? (uint64_t)sz.QuadPart : 0;
  *size = f->size;
  *out = f;
  return PC_OK;
}

pc_err pc_os_file_append(pc_os_file *f, const void *p, size_t n) {
  if (n > 0xFFFFFFFFu) {
    SetLastError(ERROR_INVALID_PARAMETER);
    return PC_EIO;
  }
  OVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.Offset = 0xFFFFFFFFu;
  ov.OffsetHigh = 0xFFFFFFFFu;
  DWORD w = 0;
  /* The handle is synchronous (no FILE_FLAG_OVERLAPPED): WriteFile returns when done, and
   * the OVERLAPPED only carries the offset. */
  BOOL ok = WriteFile(f->h, p, (DWORD)n, &w, GetFileType(f->h) == FILE_TYPE_DISK ? &ov : NULL);
  if (ok && w == n) {
    f->size += n;
    return PC_OK;
  }
  DWORD e = ok ? ERROR_DISK_FULL : GetLastError();
  if (w > 0) {
    /* Half a line is worse than none: cut it off again (we are the only writer). */
    FILE_END_OF_FILE_INFO eof;
    eof.EndOfFile.QuadPart = (LONGLONG)f->size;
    if (!SetFileInformationByHandle(f->h, FileEndOfFileInfo, &eof, sizeof eof)) f->size += w;
  }
  SetLastError(e);
  return PC_EIO;
}

/* Same file = same volume serial number and file index (BY_HANDLE_FILE_INFORMATION,
 * Microsoft docs: together they identify a file on one computer). A file deleted while we
 * hold it stays "delete pending" until closed, and opening its name fails: also "not
 * current", which is what the POSIX inode check says for a deleted file. */
bool pc_os_file_is_current(pc_os_file *f, const char *path) {
  wchar_t *w = widen(path);
  if (!w) return false;
  HANDLE h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return false;
  BY_HANDLE_FILE_INFORMATION a, b;
  bool same = GetFileInformationByHandle(f->h, &a) && GetFileInformationByHandle(h, &b) &&
              a.dwVolumeSerialNumber == b.dwVolumeSerialNumber && a.nFileIndexHigh == b.nFileIndexHigh &&
              a.nFileIndexLow == b.nFileIndexLow;
  CloseHandle(h);
  return same;
}

/* A disk file (not NUL, CON, a pipe or a directory): only those are rotated. */
bool pc_os_file_is_regular(pc_os_file *f) {
  if (GetFileType(f->h) != FILE_TYPE_DISK) return false;
  BY_HANDLE_FILE_INFORMATION i;
  return GetFileInformationByHandle(f->h, &i) && !(i.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
}

void pc_os_file_close(pc_os_file *f) {
  if (!f) return;
  CloseHandle(f->h);
  free(f);
}

/* MOVEFILE_REPLACE_EXISTING gives rename()'s POSIX meaning (the target is replaced). A
 * reader that opened the file without FILE_SHARE_DELETE makes this fail with
 * ERROR_SHARING_VIOLATION: reported as "cannot rotate", and the file keeps growing until
 * the reader lets go. */
pc_err pc_os_file_rename(const char *from, const char *to) {
  wchar_t *wf = widen(from), *wt = widen(to);
  BOOL ok = wf && wt && MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING);
  DWORD e = ok ? 0 : GetLastError();
  free(wf);
  free(wt);
  if (ok) return PC_OK;
  SetLastError(e);
  return pc_os_err_from_win32(e) == PC_ENOENT ? PC_ENOENT : PC_EIO;
}
