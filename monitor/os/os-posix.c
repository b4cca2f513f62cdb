/* os-posix.c - threads, clocks and files for the sinks on POSIX systems. The sinks
 * themselves stay portable; a os-win.c provides the same functions on Windows. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pc_os.h"

struct pc_os_mutex {
  pthread_mutex_t m;
};
struct pc_os_cond {
  pthread_cond_t c;
};
struct pc_os_thread {
  pthread_t t;
  void (*fn)(void *);
  void *arg;
};

pc_os_mutex *pc_os_mutex_new(void) {
  pc_os_mutex *m = malloc(sizeof *m);
  if (m && pthread_mutex_init(&m->m, NULL) != 0) {
    free(m);
    m = NULL;
  }
  return m;
}

void pc_os_mutex_free(pc_os_mutex *m) {
  if (!m) return;
  pthread_mutex_destroy(&m->m);
  free(m);
}

void pc_os_mutex_lock(pc_os_mutex *m) {
  pthread_mutex_lock(&m->m);
}
void pc_os_mutex_unlock(pc_os_mutex *m) {
  pthread_mutex_unlock(&m->m);
}

/* The condition uses CLOCK_MONOTONIC so that a wall-clock jump cannot stretch a back-off. */
pc_os_cond *pc_os_cond_new(void) {
  pc_os_cond *c = malloc(sizeof *c);
  if (!c) return NULL;
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  if (pthread_cond_init(&c->c, &a) != 0) {
    free(c);
    c = NULL;
  }
  pthread_condattr_destroy(&a);
  return c;
}

void pc_os_cond_free(pc_os_cond *c) {
  if (!c) return;
  pthread_cond_destroy(&c->c);
  free(c);
}

void pc_os_cond_wait_ms(pc_os_cond *c, pc_os_mutex *m, uint64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_cond_timedwait(&c->c, &m->m, &ts);
}

void pc_os_cond_broadcast(pc_os_cond *c) {
  pthread_cond_broadcast(&c->c);
}

static void *thread_main(void *p) {
  pc_os_thread *t = p;
  t->fn(t->arg);
  return NULL;
}

pc_err pc_os_thread_start(pc_os_thread **out, void (*fn)(void *), void *arg) {
  pc_os_thread *t = malloc(sizeof *t);
  if (!t) return PC_ENOMEM;
  t->fn = fn;
  t->arg = arg;
  if (pthread_create(&t->t, NULL, thread_main, t) != 0) {
    free(t);
    return PC_ENOMEM;
  }
  *out = t;
  return PC_OK;
}

void pc_os_thread_join(pc_os_thread *t) {
  if (!t) return;
  pthread_join(t->t, NULL);
  free(t);
}

uint64_t pc_os_clock_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

pc_time pc_os_clock_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return pc_time_from_unix(ts.tv_sec, ts.tv_nsec);
}

uint32_t pc_os_self_pid(void) {
  return (uint32_t)getpid();
}

void pc_host_name(char *buf, size_t cap) {
  if (cap == 0) return;
  if (gethostname(buf, cap) != 0) buf[0] = '\0';
  buf[cap - 1] = '\0';
}

bool pc_os_is_terminal(FILE *f) {
  return isatty(fileno(f)) == 1;
}

void pc_os_error_text(char *buf, size_t cap) {
  int e = errno;
  if (cap == 0) return;
  /* strerror is not thread-safe; strerror_r's XSI flavour is what _POSIX_C_SOURCE gives. */
  if (strerror_r(e, buf, cap) != 0) snprintf(buf, cap, "error %d", e);
}

struct pc_os_file {
  int fd;
  uint64_t size;
};

pc_err pc_os_file_open(const char *path, pc_os_file **out, uint64_t *size) {
  pc_os_file *f = malloc(sizeof *f);
  if (!f) return PC_ENOMEM;
  /* O_NOFOLLOW: a symlink planted where the log goes must not make us (often root) append
   * to the file it points at; and a file someone else owns is not ours to write (a hard link
   * to another user's file, or a file an attacker created for us). A device or FIFO named
   * as the log (/dev/null, a pipe to a collector) stays allowed: it cannot be rotated, and
   * the sink knows that (pc_os_file_is_regular). */
  f->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0640);
  if (f->fd < 0) {
    int e = errno;
    free(f);
    errno = e;
    return e == ELOOP ? PC_EPRIV : pc_err_from_errno(e);
  }
  struct stat st;
  if (fstat(f->fd, &st) != 0 || (S_ISREG(st.st_mode) && st.st_uid != geteuid())) {
    close(f->fd);
    free(f);
    errno = EPERM;
    return PC_EPRIV;
  }
  /* O_NONBLOCK was only for the open (a FIFO without a reader must not hang us). */
  fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK);
  f->size = (uint64_t)st.st_size;
  *size = f->size;
  *out = f;
  return PC_OK;
}

pc_err pc_os_file_append(pc_os_file *f, const void *p, size_t n) {
  ssize_t w;
  do {
    w = write(f->fd, p, n);
  } while (w < 0 && errno == EINTR);
  if (w == (ssize_t)n) {
    f->size += n;
    return PC_OK;
  }
  int e = w < 0 ? errno : ENOSPC;
  if (w > 0) {
    /* Half a line is worse than none: cut it off again (we are the only writer). */
    if (ftruncate(f->fd, (off_t)f->size) != 0) f->size += (uint64_t)w;
  }
  errno = e;
  return PC_EIO;
}

bool pc_os_file_is_current(pc_os_file *f, const char *path) {
  struct stat a, b;
  if (fstat(f->fd, &a) != 0 || stat(path, &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool pc_os_file_is_regular(pc_os_file *f) {
  struct stat st;
  return fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode);
}

void pc_os_file_close(pc_os_file *f) {
  if (!f) return;
  close(f->fd);
  free(f);
}

pc_err pc_os_file_rename(const char *from, const char *to) {
  if (rename(from, to) == 0) return PC_OK;
  return pc_err_from_errno(errno);
}
