/* sink_syslog-posix.c - findings to a syslog collector over UDP or TCP (RFC 6587 octet
 * counting), behind the bounded queue, with reconnection and exponential back-off.
 *
 * Plain TCP syslog has no acknowledgements, so a record written into the socket just
 * before the collector dies is lost without the sender knowing. To shrink that window,
 * the writer checks before every send whether the collector has closed the connection (a
 * syslog collector never sends anything, so a readable socket means EOF or a reset) and
 * reconnects first. Records that could not be sent are kept, retried, and once the queue
 * is full, dropped and counted; those counts are what the output_dropped event reports.
 * UDP cannot know about loss at all; the counts cover only what the kernel refused. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pc_sink.h"

#define CONNECT_TIMEOUT_MS 2000
#define SEND_TIMEOUT_S 5

typedef struct syslogsink {
  pc_sink_options opts;
  pc_format_kind kind;
  pc_format_options fo;
  bool tcp;
  char host[256], port[8], url[300];
  char myhost[256];
  pc_sink_diag_fn diag;
  void *ud;
  pc__queue *q;

  /* Writer thread only. */
  int fd;
  bool down, ever_connected;
  char *frame;
  size_t frame_cap;

  _Atomic uint64_t reconnects;
} syslogsink;

/* "udp://host[:port]", "tcp://[v6addr][:port]". */
static pc_err parse_url(syslogsink *s, const char *url) {
  const char *rest;
  if (strncmp(url, "udp://", 6) == 0) {
    s->tcp = false;
  } else if (strncmp(url, "tcp://", 6) == 0) {
    s->tcp = true;
  } else {
    return PC_EINVAL;
  }
  rest = url + 6;
  const char *host = rest, *host_end, *port = NULL;
  if (*rest == '[') {
    host = rest + 1;
    host_end = strchr(host, ']');
    if (!host_end) return PC_EINVAL;
    if (host_end[1] == ':')
      port = host_end + 2;
    else if (host_end[1] != '\0')
      return PC_EINVAL;
  } else {
    host_end = strchr(rest, ':');
    if (host_end)
      port = host_end + 1;
    else
      host_end = rest + strlen(rest);
  }
  size_t hl = (size_t)(host_end - host);
  if (hl == 0 || hl >= sizeof s->host) return PC_EINVAL;
  memcpy(s->host, host, hl);
  s->host[hl] = '\0';
  if (!port) port = "514";
  size_t pl = strlen(port);
  if (pl == 0 || pl > 5 || strspn(port, "0123456789") != pl || atoi(port) < 1 || atoi(port) > 65535)
    return PC_EINVAL;
  memcpy(s->port, port, pl + 1);
  snprintf(s->url, sizeof s->url, "%s", url);
  return PC_OK;
}

static void report(syslogsink *s, const char *what, int e) {
  if (!s->down) {
    char os[160] = "";
    errno = e;
    pc__os_error(os, sizeof os);
    pc__diag(s->diag, s->ud, PC_ENET, "syslog %s: %s: %s (will retry)", s->url, what, os);
  }
  s->down = true;
}

static int connect_tcp(int fd, const struct sockaddr *sa, socklen_t len) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  int rc = connect(fd, sa, len);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    rc = poll(&p, 1, CONNECT_TIMEOUT_MS);
    if (rc == 1) {
      int err = 0;
      socklen_t el = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
      rc = err ? -1 : 0;
      if (err) errno = err;
    } else {
      if (rc == 0) errno = ETIMEDOUT;
      rc = -1;
    }
  }
  fcntl(fd, F_SETFL, fl);
  /* A collector that stops reading must not hold the writer forever. */
  struct timeval tv = {.tv_sec = SEND_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return rc;
}

/* Returns a connected socket or -1 with errno set. Resolves every time, so a collector
 * that moved to a new address is found again. */
static int open_socket(syslogsink *s) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = s->tcp ? SOCK_STREAM : SOCK_DGRAM;
  int gai = getaddrinfo(s->host, s->port, &hints, &res);
  if (gai != 0) {
    errno = gai == EAI_SYSTEM ? errno : EHOSTUNREACH;
    return -1;
  }
  int fd = -1, e = ECONNREFUSED;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      e = errno;
      continue;
    }
    int rc = s->tcp ? connect_tcp(fd, ai->ai_addr, ai->ai_addrlen) : connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) errno = e;
  return fd;
}

/* A syslog collector never talks back: a readable socket means it closed or reset. */
static bool peer_closed(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 0) <= 0) return false;
  char junk[256];
  ssize_t r = recv(fd, junk, sizeof junk, MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void drop_connection(syslogsink *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static pc_err send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return PC_ENET;
    }
    p += w;
    n -= (size_t)w;
  }
  return PC_OK;
}

static pc_err syslog_deliver(void *ud, const char *rec, size_t len) {
  syslogsink *s = ud;
  if (s->fd >= 0 && s->tcp && peer_closed(s->fd)) {
    drop_connection(s);
    report(s, "connection closed by the collector", ECONNRESET);
  }
  if (s->fd < 0) {
    s->fd = open_socket(s);
    if (s->fd < 0) {
      report(s, "cannot connect", errno);
      return PC_EAGAIN;
    }
    if (s->ever_connected) atomic_fetch_add(&s->reconnects, 1);
    s->ever_connected = true;
  }
  if (s->tcp) {
    /* RFC 6587 §3.4.1 octet counting: "MSG-LEN SP SYSLOG-MSG", no trailer, so a record
     * may hold any byte and still cannot split or merge frames. */
    int h = snprintf(s->frame, s->frame_cap, "%zu ", len);
    memcpy(s->frame + h, rec, len);
    if (send_all(s->fd, s->frame, (size_t)h + len) != PC_OK) {
      int e = errno;
      drop_connection(s); /* a partial frame poisons the stream: start a new one */
      report(s, "cannot send", e);
      return PC_EAGAIN;
    }
  } else {
    ssize_t w = send(s->fd, rec, len, MSG_NOSIGNAL);
    if (w < 0) {
      int e = errno;
      if (e == EMSGSIZE) return PC_ELIMIT; /* will never fit: drop it */
      report(s, "cannot send", e);
      return PC_EAGAIN;
    }
  }
  if (s->down) {
    s->down = false;
    pc__diag(s->diag, s->ud, PC_OK, "syslog %s: sending again", s->url);
  }
  return PC_OK;
}

static size_t syslog_drop_record(void *ud, uint64_t n, char *buf, size_t cap) {
  syslogsink *s = ud;
  pc_finding f;
  char text[160];
  pc__drop_finding(&f, &s->opts, s->myhost, n, pc__clock_now(), text, sizeof text);
  char *rec;
  size_t len = pc__format_record(s->kind, &f, &s->fo, false, buf, cap, &rec);
  if (rec != buf) {
    free(rec);
    return 0;
  }
  return len;
}

static const pc__queue_ops syslog_queue_ops = {syslog_deliver, syslog_drop_record};

static void syslog_close(void *state, pc_sink_stats *final);

static pc_err syslog_open(void **state, const pc_sink_options *opts, pc_sink_diag_fn diag, void *ud) {
  syslogsink *s = calloc(1, sizeof *s);
  if (!s) return PC_ENOMEM;
  s->fd = -1;
  s->opts = *opts;
  s->diag = diag;
  s->ud = ud;
  atomic_init(&s->reconnects, 0);
  if (parse_url(s, opts->syslog_url) != PC_OK) {
    pc__diag(diag, ud, PC_EINVAL, "--syslog '%s': expected udp://HOST[:PORT] or tcp://HOST[:PORT]",
             opts->syslog_url);
    free(s);
    return PC_EINVAL;
  }
  s->opts.syslog_url = s->url;
  pc__format_options_from(opts, &s->fo);
  s->fo.procid = pc__self_pid();
  /* RFC 5424 unless the user asked for RFC 3164, or for CEF, which SIEMs expect inside
   * an RFC 3164 line. */
  s->kind = PC_FORMAT_SYSLOG;
  if (opts->format == PC_FORMAT_SYSLOG3164 || opts->format == PC_FORMAT_CEF) s->kind = PC_FORMAT_SYSLOG3164;
  s->fo.cef_body = opts->format == PC_FORMAT_CEF;
  if (opts->host)
    snprintf(s->myhost, sizeof s->myhost, "%s", opts->host);
  else
    pc__hostname(s->myhost, sizeof s->myhost);
  s->frame_cap = opts->queue_bytes + 24;
  s->frame = malloc(s->frame_cap);
  pc_err err = s->frame ? pc__queue_start(&s->q, opts->queue_bytes, opts->retry_min_ms, opts->retry_max_ms,
                                          &syslog_queue_ops, s)
                        : PC_ENOMEM;
  if (err != PC_OK) {
    syslog_close(s, NULL);
    return err;
  }
  *state = s;
  return PC_OK;
}

static pc_err syslog_write(void *state, const pc_finding *f) {
  syslogsink *s = state;
  char buf[8192];
  /* The syslog formatters cut to their cap themselves, so buf always suffices. */
  size_t n = pc_format_any(s->kind, f, &s->fo, buf, sizeof buf);
  return pc__queue_push(s->q, buf, n) ? PC_OK : PC_EFULL;
}

static pc_err syslog_flush(void *state, unsigned timeout_ms) {
  syslogsink *s = state;
  return pc__queue_flush(s->q, timeout_ms);
}

static void syslog_stats(void *state, pc_sink_stats *out) {
  syslogsink *s = state;
  pc__queue_stats(s->q, out);
  out->reconnects = atomic_load(&s->reconnects);
}

static void syslog_close(void *state, pc_sink_stats *final) {
  syslogsink *s = state;
  if (!s) return;
  pc__queue_stop(s->q, s->opts.drain_ms, final);
  if (final) final->reconnects = atomic_load(&s->reconnects);
  drop_connection(s);
  free(s->frame);
  free(s);
}

const pc_sink_ops pc_sink_syslog_ops = {
    .name = "syslog",
    .open = syslog_open,
    .write = syslog_write,
    .flush = syslog_flush,
    .stats = syslog_stats,
    .close = syslog_close,
};
