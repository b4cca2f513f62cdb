/* spawn-posix.c - pc_os_run on POSIX: fork, exec, one pipe for standard output and error,
 * poll with a deadline, kill on timeout or when the output grows past the cap. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_os.h"
#include "pc_vec.h"

/* Where a tool is looked up when PATH is unset (a service's empty environment). */
#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
#define CHUNK 4096

/* Finds name in the PATH directories (or the default); full receives the path. */
static bool find_tool(const char *name, char *full, size_t cap) {
  if (strchr(name, '/')) {
    snprintf(full, cap, "%s", name);
    return access(full, X_OK) == 0;
  }
  const char *path = getenv("PATH");
  if (!path || !path[0]) path = DEFAULT_PATH;
  for (const char *p = path; *p;) {
    const char *colon = strchr(p, ':');
    size_t n = colon ? (size_t)(colon - p) : strlen(p);
    if (n > 0 && (size_t)snprintf(full, cap, "%.*s/%s", (int)n, p, name) < cap && access(full, X_OK) == 0)
      return true;
    p += n + (colon ? 1 : 0);
  }
  return false;
}

static void kill_and_reap(pid_t pid, int *status) {
  kill(pid, SIGKILL);
  while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
  }
}

pc_err pc_os_run(const char *const *argv, uint32_t timeout_ms, size_t max_bytes, pc_os_run_result *res) {
  memset(res, 0, sizeof *res);
  res->exit_code = -1;
  if (!argv || !argv[0]) return PC_EINVAL;
  char full[4096];
  if (!find_tool(argv[0], full, sizeof full)) {
    errno = ENOENT;
    return PC_ENOENT;
  }
  size_t cap = 0, n = 0;
  char *buf = NULL;
  if (pc_vec_reserve((void **)&buf, &cap, CHUNK + 1, 1, 0) != PC_OK) return PC_ENOMEM;
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    free(buf);
    return PC_EIO;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(p[0]);
    close(p[1]);
    free(buf);
    errno = e;
    return PC_EIO;
  }
  if (pid == 0) {
    /* The child: only async-signal-safe calls until exec. */
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    dup2(p[1], 1);
    dup2(p[1], 2);
    execv(full, (char *const *)argv);
    _exit(127);
  }
  close(p[1]);
  uint64_t deadline = pc_os_clock_ms() + timeout_ms;
  int status = 0;
  bool reaped = false;
  for (;;) {
    uint64_t now = pc_os_clock_ms();
    if (now >= deadline) {
      res->timed_out = true;
      break;
    }
    struct pollfd pf = {p[0], POLLIN, 0};
    int prc = poll(&pf, 1, (int)(deadline - now > 200 ? 200 : deadline - now));
    if (prc < 0 && errno != EINTR) break;
    if (prc <= 0) continue;
    /* Room for a chunk and the final NUL, within the cap. */
    if (pc_vec_reserve((void **)&buf, &cap, n + CHUNK + 1, 1, max_bytes + CHUNK + 1) != PC_OK) {
      res->truncated = true;
      break;
    }
    ssize_t got = read(p[0], buf + n, cap - n - 1);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break; /* the end: every writer closed its end */
    n += (size_t)got;
    if (n > max_bytes) {
      n = max_bytes;
      res->truncated = true;
      break;
    }
  }
  close(p[0]);
  if (res->timed_out || res->truncated) {
    kill_and_reap(pid, &status);
    reaped = true;
  }
  if (!reaped) {
    /* The output ended; the program normally exits with it. Give it the rest of the time. */
    for (;;) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) break;
      if (pc_os_clock_ms() >= deadline) {
        res->timed_out = true;
        kill_and_reap(pid, &status);
        break;
      }
      usleep(10000);
    }
  }
  if (!res->timed_out && !res->truncated && WIFEXITED(status)) res->exit_code = WEXITSTATUS(status);
  if (res->exit_code == 127 && n == 0) {
    free(buf);
    errno = ENOENT;
    return PC_ENOENT; /* exec failed */
  }
  buf[n] = '\0';
  res->output = buf;
  res->len = n;
  return PC_OK;
}

pc_err pc_os_dir_create(const char *path) {
  if (mkdir(path, 0750) == 0) return PC_OK;
  int e = errno;
  if (e != EEXIST) return pc_err_from_errno(e);
  if (!pc_os_is_dir(path)) return PC_ENOTFILE;
  DIR *d = opendir(path);
  if (!d) return pc_err_from_errno(errno);
  struct dirent *de;
  bool empty = true;
  while (empty && (de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) empty = false;
  closedir(d);
  return empty ? PC_OK : PC_EEXIST;
}

bool pc_os_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
