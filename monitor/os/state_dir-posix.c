/* state_dir-posix.c - the POSIX half of pc_os.h: systemd's $STATE_DIRECTORY and the XDG
 * default, mkdir -p, fsync + rename (rename(2) replaces the target atomically on POSIX file
 * systems). */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc_error.h"
#include "os_internal.h"
#include "pc_os.h"

int pc_state_dir_default(char *buf, size_t cap) {
  /* Under systemd (StateDirectory=portclash) the unit's directory comes before the XDG
   * defaults: a DynamicUser's HOME is "/", where nothing can be written. $STATE_DIRECTORY may
   * list several colon-separated paths; the first is the unit's first StateDirectory=. */
  const char *dir = getenv("PC_STATE_DIR");
  char first[4096] = "";
  if (!dir || !dir[0]) {
    const char *sd = getenv("STATE_DIRECTORY");
    size_t n = sd ? strcspn(sd, ":") : 0;
    if (n >= sizeof first) return PC_EOVERFLOW;
    if (n) memcpy(first, sd, n);
    first[n] = '\0';
    dir = first;
  }
  return pc_state_dir_resolve(dir, getenv("XDG_STATE_HOME"), getenv("HOME"), NULL, buf, cap);
}

char pc__state_sep(void) {
  return '/';
}

static int err_code(int e) {
  return e == EACCES || e == EPERM || e == EROFS ? PC_EPRIV : PC_EIO;
}

int pc__state_mkdirs(const char *dir) {
  char path[4096];
  size_t n = strlen(dir);
  if (n == 0 || n >= sizeof path) return PC_EIO;
  memcpy(path, dir, n + 1);
  /* Create each missing component in turn; an existing one (EEXIST) is fine. */
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return err_code(errno);
    path[i] = saved;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return PC_EIO;
  return PC_OK;
}

int pc__state_commit(FILE *f, const char *tmp, const char *dst) {
  int rc = PC_OK;
  if (fflush(f) != 0 || fsync(fileno(f)) != 0) rc = err_code(errno);
  if (fclose(f) != 0 && rc == PC_OK) rc = err_code(errno);
  if (rc == PC_OK && rename(tmp, dst) != 0) rc = err_code(errno);
  return rc;
}
