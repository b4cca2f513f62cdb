/* spawn-win.c - pc_os_run on Windows: CreateProcessW (pc_win_spawn: only the standard handles
 * are inherited) with one pipe for standard output and error, polled with a deadline, since
 * anonymous pipes have no timeouts; the program is terminated on timeout or when its output
 * grows past the cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pc_os.h"
#include "pc_vec.h"
#include "win_util.h"

#define CMDLINE_MAX 8192

/* Appends s as one argument the way CommandLineToArgvW and the C runtime split it: quoted
 * when it has blanks or quotes, backslashes doubled before a quote. */
static bool append_arg(wchar_t *cmd, size_t cap, size_t *n, const wchar_t *s) {
  bool quote = s[0] == L'\0' || wcspbrk(s, L" \t\"") != NULL;
  size_t i = *n;
  if (i && i < cap) cmd[i++] = L' ';
  if (quote && i < cap) cmd[i++] = L'"';
  for (const wchar_t *p = s;; p++) {
    size_t bs = 0;
    while (*p == L'\\') {
      p++;
      bs++;
    }
    size_t reps = *p == L'\0' ? (quote ? bs * 2 : bs) : *p == L'"' ? bs * 2 + 1 : bs;
    for (size_t k = 0; k < reps && i < cap; k++) cmd[i++] = L'\\';
    if (*p == L'\0') break;
    if (i < cap) cmd[i++] = *p;
  }
  if (quote && i < cap) cmd[i++] = L'"';
  if (i >= cap) return false;
  cmd[i] = L'\0';
  *n = i;
  return true;
}

static bool widen(const char *s, wchar_t *out, int cap) {
  return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, out, cap) > 0 ||
         MultiByteToWideChar(CP_ACP, 0, s, -1, out, cap) > 0;
}

pc_err pc_os_run(const char *const *argv, uint32_t timeout_ms, size_t max_bytes, pc_os_run_result *res) {
  memset(res, 0, sizeof *res);
  res->exit_code = -1;
  if (!argv || !argv[0]) return PC_EINVAL;
  /* A bare name is a system tool: System32 only, never PATH or the current directory. */
  wchar_t app[MAX_PATH + 64], w[1024];
  if (!widen(argv[0], w, 1024)) return PC_EINVAL;
  if (!wcspbrk(w, L"\\/:")) {
    wchar_t sysdir[MAX_PATH];
    UINT sl = GetSystemDirectoryW(sysdir, MAX_PATH);
    if (sl == 0 || sl >= MAX_PATH) return PC_EIO;
    const wchar_t *ext = wcschr(w, L'.') ? L"" : L".exe";
    _snwprintf(app, sizeof app / sizeof app[0], L"%ls\\%ls%ls", sysdir, w, ext);
  } else {
    _snwprintf(app, sizeof app / sizeof app[0], L"%ls", w);
  }
  app[sizeof app / sizeof app[0] - 1] = L'\0';
  if (GetFileAttributesW(app) == INVALID_FILE_ATTRIBUTES) return PC_ENOENT;
  wchar_t *cmd = malloc(CMDLINE_MAX * sizeof *cmd);
  if (!cmd) return PC_ENOMEM;
  size_t n = 0;
  cmd[0] = L'\0';
  bool ok = append_arg(cmd, CMDLINE_MAX, &n, app);
  for (size_t i = 1; ok && argv[i]; i++) ok = widen(argv[i], w, 1024) && append_arg(cmd, CMDLINE_MAX, &n, w);
  if (!ok) {
    free(cmd);
    return PC_EINVAL;
  }

  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  HANDLE rd = NULL, wr = NULL;
  if (!CreatePipe(&rd, &wr, &sa, 0)) {
    free(cmd);
    return pc_os_err_from_win32(GetLastError());
  }
  SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0); /* only the child's end is inherited */
  HANDLE nul =
      CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, OPEN_EXISTING, 0, NULL);
  PROCESS_INFORMATION pi;
  bool started = pc_win_spawn(app, cmd, 0, nul, wr, &pi);
  DWORD spawn_err = GetLastError();
  free(cmd);
  CloseHandle(wr); /* else the pipe never reports the end of the output */
  if (nul != INVALID_HANDLE_VALUE) CloseHandle(nul);
  if (!started) {
    CloseHandle(rd);
    SetLastError(spawn_err);
    return pc_os_err_from_win32(spawn_err);
  }
  CloseHandle(pi.hThread);

  size_t cap = 0, len = 0;
  char *buf = NULL;
  (void)pc_vec_reserve((void **)&buf, &cap, 4096, 1, 0);
  ULONGLONG deadline = GetTickCount64() + timeout_ms;
  bool stop = buf == NULL;
  while (!stop) {
    DWORD avail = 0;
    if (!PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL)) break; /* broken pipe: the end */
    if (avail == 0) {
      if (GetTickCount64() >= deadline) {
        res->timed_out = true;
        break;
      }
      /* Wakes when the program exits; the pipe is checked once more for what it wrote last. */
      if (WaitForSingleObject(pi.hProcess, 10) == WAIT_OBJECT_0) {
        if (PeekNamedPipe(rd, NULL, 0, NULL, &avail, NULL) && avail > 0) continue;
        break;
      }
      continue;
    }
    if (len + avail > max_bytes) {
      avail = (DWORD)(max_bytes - len);
      res->truncated = true;
      stop = true;
    }
    /* Room for what is there and the final NUL, within the cap. */
    if (pc_vec_reserve((void **)&buf, &cap, len + avail + 1, 1, max_bytes + 1) != PC_OK) {
      res->truncated = true;
      break;
    }
    DWORD got = 0;
    if (avail && !ReadFile(rd, buf + len, avail, &got, NULL)) break;
    len += got;
  }
  if (res->timed_out || res->truncated || WaitForSingleObject(pi.hProcess, 2000) != WAIT_OBJECT_0) {
    if (!res->truncated) res->timed_out = true;
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, 2000);
  } else {
    DWORD code = 0;
    if (GetExitCodeProcess(pi.hProcess, &code)) res->exit_code = (int)code;
  }
  CloseHandle(pi.hProcess);
  CloseHandle(rd);
  if (!buf) return PC_ENOMEM;
  buf[len] = '\0';
  res->output = buf;
  res->len = len;
  return PC_OK;
}

pc_err pc_os_dir_create(const char *path) {
  wchar_t w[MAX_PATH];
  if (!widen(path, w, MAX_PATH)) return PC_EINVAL;
  if (CreateDirectoryW(w, NULL)) return PC_OK;
  DWORD e = GetLastError();
  if (e != ERROR_ALREADY_EXISTS) return pc_os_err_from_win32(e);
  DWORD attr = GetFileAttributesW(w);
  if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) return PC_ENOTFILE;
  wchar_t pattern[MAX_PATH + 4];
  _snwprintf(pattern, sizeof pattern / sizeof pattern[0], L"%ls\\*", w);
  pattern[sizeof pattern / sizeof pattern[0] - 1] = L'\0';
  WIN32_FIND_DATAW fd;
  HANDLE h = FindFirstFileW(pattern, &fd);
  if (h == INVALID_HANDLE_VALUE) return PC_OK;
  bool empty = true;
  do {
    if (wcscmp(fd.cFileName, L".") != 0 && wcscmp(fd.cFileName, L"..") != 0) empty = false;
  } while (empty && FindNextFileW(h, &fd));
  FindClose(h);
  return empty ? PC_OK : PC_EEXIST;
}

bool pc_os_is_dir(const char *path) {
  wchar_t w[MAX_PATH];
  if (!widen(path, w, MAX_PATH)) return false;
  DWORD attr = GetFileAttributesW(w);
  return attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY);
}
