/* state_dir-posix.c - the POSIX half of pc_os.h: systemd's $STATE_DIRECTORY and the XDG
 * default, mkdir -p, fsync + rename (rename(2) replaces the target atomically on POSIX file
 * systems). */
#define _DEFAULT_SOURCE /* mkstemp, S_ISVTX */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
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
  /* Root never takes its state directory from the environment of whoever called it (sudo -E
   * keeps the invoking user's HOME and XDG_STATE_HOME, a directory that user controls). */
  if (!dir[0] && geteuid() == 0) dir = "/var/lib/portclash";
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

int pc__state_create_temp(const char *dir, char *tmp, FILE **f, char *err, size_t errcap) {
  *f = NULL;
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    snprintf(err, errcap, "state directory %s is not a directory", dir);
    return PC_EIO;
  }
  /* Root writing into a directory another user controls (sudo -E and a $HOME, a world-
   * writable /tmp path) lets that user swap files under us: refuse, and say what to do. */
  bool ours = st.st_uid == geteuid() || st.st_uid == 0;
  bool others_write = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
  if (!ours || (others_write && !((st.st_mode & S_ISVTX) && st.st_uid == geteuid()))) {
    snprintf(err, errcap,
             "refusing to write state into %s: it is %s (uid %u, mode %04o); use a directory only this user "
             "can write (PC_STATE_DIR)",
             dir, ours ? "writable by other users" : "owned by another user", (unsigned)st.st_uid,
             (unsigned)(st.st_mode & 07777));
    return PC_EPRIV;
  }
  /* mkstemp: O_CREAT|O_EXCL with an unpredictable name, so no planted link is followed. */
  int fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(err, errcap, "cannot write in %s (%s)", dir, strerror(errno));
    return err_code(errno);
  }
  *f = fdopen(fd, "wb");
  if (!*f) {
    close(fd);
    unlink(tmp);
    snprintf(err, errcap, "cannot write in %s (out of memory)", dir);
    return PC_EIO;
  }
  return PC_OK;
}

int pc__state_commit(FILE *f, const char *tmp, const char *dst) {
  int rc = PC_OK;
  if (fflush(f) != 0 || fsync(fileno(f)) != 0) rc = err_code(errno);
  if (fclose(f) != 0 && rc == PC_OK) rc = err_code(errno);
  if (rc == PC_OK && rename(tmp, dst) != 0) rc = err_code(errno);
  return rc;
}
