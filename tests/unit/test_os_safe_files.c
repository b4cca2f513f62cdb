/* Symlink and ownership attacks on the files portclash (often root) writes, from issue 20:
 * a state directory another user controls, a planted link as the temporary name, a link or
 * another user's file as the log. As root, the attacker being uid 65534; skipped otherwise. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pc_os.h"
#include "pc_test.h"

#define ATTACKER 65534

static char base[64];

static void clean_base(void) {
  if (!base[0]) return;
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base); /* base is our own mkdtemp name */
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
  base[0] = '\0';
}

static void make_base(void) {
  clean_base();
  snprintf(base, sizeof base, "/tmp/pc-safe-XXXXXX");
  if (!mkdtemp(base)) base[0] = '\0';
  static int registered;
  if (!registered++) atexit(clean_base);
}

static void write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd >= 0) {
    if (write(fd, text, strlen(text)) < 0) {
    }
    close(fd);
  }
}

static size_t size_of(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 ? (size_t)st.st_size : (size_t)-1;
}

PC_TEST(state_dir_owned_by_another_user_is_refused) {
  if (geteuid() != 0) PC_SKIP("needs root (the attack is a user against root)");
  make_base();
  char dir[128], victim[128], link[160];
  snprintf(dir, sizeof dir, "%s/home-of-nobody", base);
  snprintf(victim, sizeof victim, "%s/root-secret", base);
  PC_CHECK_INT(mkdir(dir, 0755), 0);
  PC_CHECK_INT(chown(dir, ATTACKER, ATTACKER), 0);
  write_file(victim, "secret\n", 0600);
  /* The old predictable temporary name, planted as a link to root's file. */
  snprintf(link, sizeof link, "%s/ranges-linux.state.tmp", dir);
  PC_CHECK_INT(symlink(victim, link), 0);
  char err[512] = "";
  int rc = pc_state_write(dir, "ranges-linux.state", "x\n", 2, err, sizeof err);
  PC_CHECK_INT(rc, PC_EPRIV);
  PC_CHECK(strstr(err, "owned by another user") != NULL);
  PC_CHECK_INT(size_of(victim), 7); /* untouched */
  PC_CHECK_INT(size_of(dir) != (size_t)-1, 1);
  struct stat st;
  PC_CHECK_INT(stat(victim, &st), 0);
  PC_CHECK_INT(st.st_uid, 0);
}

PC_TEST(world_writable_state_dir_is_refused_unless_sticky_and_ours) {
  if (geteuid() != 0) PC_SKIP("needs root");
  make_base();
  char dir[128], err[512] = "";
  snprintf(dir, sizeof dir, "%s/shared", base);
  PC_CHECK_INT(mkdir(dir, 0777), 0);
  PC_CHECK_INT(chmod(dir, 0777), 0);
  PC_CHECK_INT(pc_state_write(dir, "learned-ports.state", "x\n", 2, err, sizeof err), PC_EPRIV);
  PC_CHECK(strstr(err, "writable by other users") != NULL);
  PC_CHECK_INT(chmod(dir, 01777), 0); /* sticky and ours: others cannot swap our files */
  PC_CHECK_INT(pc_state_write(dir, "learned-ports.state", "x\n", 2, err, sizeof err), PC_OK);
}

PC_TEST(planted_temp_link_in_our_dir_is_never_followed) {
  if (geteuid() != 0) PC_SKIP("needs root");
  make_base();
  char dir[128], victim[128], link[160], path[160], err[512] = "";
  snprintf(dir, sizeof dir, "%s/state", base);
  snprintf(victim, sizeof victim, "%s/victim", base);
  PC_CHECK_INT(mkdir(dir, 0700), 0);
  write_file(victim, "keep\n", 0600);
  snprintf(link, sizeof link, "%s/learned-ports.state.tmp", dir);
  PC_CHECK_INT(symlink(victim, link), 0);
  PC_CHECK_INT(pc_state_write(dir, "learned-ports.state", "new\n", 4, err, sizeof err), PC_OK);
  PC_CHECK_INT(size_of(victim), 5);
  snprintf(path, sizeof path, "%s/learned-ports.state", dir);
  PC_CHECK_INT(size_of(path), 4);
  struct stat st;
  PC_CHECK_INT(lstat(path, &st), 0);
  PC_CHECK(S_ISREG(st.st_mode));
}

PC_TEST(log_through_a_link_or_another_users_file_is_refused) {
  if (geteuid() != 0) PC_SKIP("needs root");
  make_base();
  char victim[128], log[128], theirs[128];
  snprintf(victim, sizeof victim, "%s/root-only", base);
  snprintf(log, sizeof log, "%s/portclash.log", base);
  snprintf(theirs, sizeof theirs, "%s/their.log", base);
  write_file(victim, "secret\n", 0600);
  PC_CHECK_INT(symlink(victim, log), 0);
  pc_os_file *f = NULL;
  uint64_t size = 0;
  PC_CHECK_INT(pc_os_file_open(log, &f, &size), PC_EPRIV);
  PC_CHECK(f == NULL);
  PC_CHECK_INT(size_of(victim), 7);
  write_file(theirs, "", 0666);
  PC_CHECK_INT(chown(theirs, ATTACKER, ATTACKER), 0);
  PC_CHECK_INT(pc_os_file_open(theirs, &f, &size), PC_EPRIV);
  /* Our own file is fine, and a device stays allowed (it is not rotated). */
  char ours[140];
  snprintf(ours, sizeof ours, "%s/ours.log", base);
  PC_CHECK_INT(pc_os_file_open(ours, &f, &size), PC_OK);
  pc_os_file_close(f);
  PC_CHECK_INT(pc_os_file_open("/dev/null", &f, &size), PC_OK);
  pc_os_file_close(f);
}

PC_TEST(root_state_dir_is_not_the_callers_home) {
  if (geteuid() != 0) PC_SKIP("needs root");
  unsetenv("PC_STATE_DIR");
  unsetenv("STATE_DIRECTORY");
  setenv("HOME", "/home/someone", 1);
  setenv("XDG_STATE_HOME", "/home/someone/.local/state", 1);
  char buf[256];
  PC_CHECK_INT(pc_state_dir_default(buf, sizeof buf), PC_OK);
  PC_CHECK_STR(buf, "/var/lib/portclash");
}
