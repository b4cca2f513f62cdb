/* state_dir.c - the portable half of pc_os.h: the directory policy and whole-file
 * reads and atomic replacements (the platform half creates directories and renames). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_file.h"
#include "os_internal.h"
#include "pc_os.h"

static bool set(const char *s) {
  return s && s[0];
}

static int join(char *buf, size_t cap, const char *a, const char *b) {
  int n = snprintf(buf, cap, "%s%s", a, b);
  if (n < 0 || (size_t)n >= cap) {
    if (cap) buf[0] = '\0';
    return PC_EOVERFLOW;
  }
  return PC_OK;
}

int pc_state_dir_resolve(const char *pc_state_dir, const char *xdg_state_home, const char *home,
                         const char *program_data, char *buf, size_t cap) {
  if (cap) buf[0] = '\0';
  if (set(pc_state_dir)) return join(buf, cap, pc_state_dir, "");
  if (set(program_data)) return join(buf, cap, program_data, "\\portclash");
  if (set(xdg_state_home)) return join(buf, cap, xdg_state_home, "/portclash");
  if (set(home)) return join(buf, cap, home, "/.local/state/portclash");
  return PC_ENOENT;
}

static int path_of(char *buf, size_t cap, const char *dir, const char *name, const char *suffix) {
  int n = snprintf(buf, cap, "%s%c%s%s", dir, pc__state_sep(), name, suffix);
  return n < 0 || (size_t)n >= cap ? PC_EOVERFLOW : PC_OK;
}

int pc_state_read(const char *dir, const char *name, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  char path[4096];
  if (path_of(path, sizeof path, dir, name, "") != PC_OK) return PC_EOVERFLOW;
  return pc_file_read(path, PC_STATE_FILE_MAX, out, len);
}

int pc_state_write(const char *dir, const char *name, const char *data, size_t len, char *err,
                   size_t errcap) {
  char path[4096], tmp[4096];
  if (path_of(path, sizeof path, dir, name, "") != PC_OK ||
      path_of(tmp, sizeof tmp, dir, name, ".XXXXXX") != PC_OK) {
    snprintf(err, errcap, "state directory path too long: %s", dir);
    return PC_EIO;
  }
  int rc = pc__state_mkdirs(dir);
  if (rc != PC_OK) {
    snprintf(err, errcap, "cannot create the state directory %s (%s)", dir, pc_strerror(rc));
    return rc;
  }
  FILE *f = NULL;
  rc = pc__state_create_temp(dir, tmp, &f, err, errcap);
  if (rc != PC_OK) return rc;
  if (len && fwrite(data, 1, len, f) != len) {
    fclose(f);
    remove(tmp);
    snprintf(err, errcap, "cannot write %s (disk full?)", tmp);
    return PC_EIO;
  }
  rc = pc__state_commit(f, tmp, path);
  if (rc != PC_OK) {
    remove(tmp);
    snprintf(err, errcap, "cannot replace %s (%s)", path, pc_strerror(rc));
  }
  return rc;
}

int pc_state_load(const char *dir, const char *name, const char *then, char *origin, size_t origin_cap,
                  char **text, size_t *len, char *err, size_t errcap) {
  snprintf(origin, origin_cap, "%s%c%s", dir, pc__state_sep(), name);
  int rc = pc_state_read(dir, name, text, len);
  if (rc == PC_OK || rc == PC_ENOENT) return rc;
  snprintf(err, errcap, "cannot read %s (%s); %s", origin, pc_strerror(rc), then);
  return rc == PC_ELIMIT ? PC_ECORRUPT : rc;
}

int pc_state_save(const char *dir, const char *name, int format_rc, char *text, size_t len, char *err,
                  size_t errcap) {
  if (format_rc != PC_OK) {
    snprintf(err, errcap, "out of memory");
    return format_rc;
  }
  int rc = pc_state_write(dir, name, text, len, err, errcap);
  free(text);
  return rc;
}
