/* state_dir-win.c - the Windows half of pc_os.h: %ProgramData%\portclash, recursive
 * CreateDirectory, _commit + MoveFileEx (rename() cannot replace an existing file here). */
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "pc_error.h"
#include "os_internal.h"
#include "pc_os.h"
#include "win_util.h"

int pc_state_dir_default(char *buf, size_t cap) {
  return pc_state_dir_resolve(getenv("PC_STATE_DIR"), NULL, NULL, getenv("ProgramData"), buf, cap);
}

char pc__state_sep(void) {
  return '\\';
}

static int err_code(DWORD e) {
  return pc_os_err_from_win32(e) == PC_EPRIV ? PC_EPRIV : PC_EIO;
}

int pc__state_mkdirs(const char *dir) {
  char path[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof path) return PC_EIO;
  memcpy(path, dir, n + 1);
  /* Skip the drive ("C:\") or UNC prefix: those components cannot be created. */
  size_t i = (n >= 2 && path[1] == ':') ? 3 : 1;
  for (; i <= n; i++) {
    if (path[i] != '\\' && path[i] != '/' && path[i] != '\0') continue;
    char saved = path[i];
    path[i] = '\0';
    if (!CreateDirectoryA(path, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) {
      DWORD e = GetLastError();
      DWORD attr = GetFileAttributesA(path);
      if (attr == INVALID_FILE_ATTRIBUTES) return err_code(e);
    }
    path[i] = saved;
  }
  DWORD attr = GetFileAttributesA(dir);
  if (attr == INVALID_FILE_ATTRIBUTES || !(attr & FILE_ATTRIBUTE_DIRECTORY)) return PC_EIO;
  return PC_OK;
}

int pc__state_create_temp(const char *dir, char *tmp, FILE **f, char *err, size_t errcap) {
  /* %ProgramData%\portclash is created and guarded by the service (its DACL admits only
   * administrators and SYSTEM to write; service-win.c). Here: a unique name from the process
   * and a counter, and "x" (C11: create, fail if it exists), so a planted file or link under
   * that name is never opened. */
  static unsigned counter;
  size_t n = strlen(tmp);
  if (n < 6) return PC_EIO;
  for (int tries = 0; tries < 100; tries++) {
    snprintf(tmp + n - 6, 7, "%03lx%03x", (unsigned long)(GetCurrentProcessId() & 0xfff), ++counter & 0xfff);
    *f = fopen(tmp, "wbx");
    if (*f) return PC_OK;
    if (GetLastError() != ERROR_FILE_EXISTS && GetLastError() != ERROR_ALREADY_EXISTS) break;
  }
  snprintf(err, errcap, "cannot write in %s (%s)", dir, strerror(errno));
  return err_code(GetLastError());
}

int pc__state_commit(FILE *f, const char *tmp, const char *dst) {
  int rc = PC_OK;
  if (fflush(f) != 0 || _commit(_fileno(f)) != 0) rc = PC_EIO;
  if (fclose(f) != 0 && rc == PC_OK) rc = PC_EIO;
  if (rc == PC_OK && !MoveFileExA(tmp, dst, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
    rc = err_code(GetLastError());
  return rc;
}
