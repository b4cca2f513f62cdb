/* sink_syslog-win.c - findings to a syslog collector over UDP or TCP (RFC 6587 octet
 * counting) with Winsock, behind the bounded queue, with reconnection and exponential
 * back-off. The behaviour is that of sink_syslog-posix.c, which explains the design (why a
 * readable TCP socket means the collector went away, what the drop counts cover); only the
 * socket calls differ:
 *
 *   - WSAStartup runs once per process (InitOnceExecuteOnce) and is never undone: the sinks
 *     may be opened and closed many times, and WSACleanup while another part of the program
 *     (host state, tests) uses Winsock would break it.
 *   - Sockets are made with WSA_FLAG_NO_HANDLE_INHERIT (the counterpart of SOCK_CLOEXEC) and
 *     WSA_FLAG_OVERLAPPED, without which SO_SNDTIMEO may not work (SOL_SOCKET socket options,
 *     Microsoft docs: "the dwFlags parameter must have the WSA_FLAG_OVERLAPPED attribute set
 *     for the timeout to function properly"). No overlapped I/O is done.
 *   - A non-blocking connect reports failure in select()'s exceptfds, not writefds (select,
 *     Microsoft docs); WSAPoll is not used because it did not report failed connects before
 *     Windows 10 2004.
 *   - There is no SIGPIPE on Windows, so no MSG_NOSIGNAL; SO_SNDTIMEO takes a DWORD of
 *     milliseconds.
 *
 * Note: on Windows a TCP connect to a closed port is retried by the stack and is refused
 * after about a second, not at once as on Linux (or under Wine); CONNECT_TIMEOUT_MS covers
 * that. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include "pc_sink.h"

#define CONNECT_TIMEOUT_MS 2000
#define SEND_TIMEOUT_MS 5000

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
  SOCKET fd;
  bool down, ever_connected;
  char *frame;
  size_t frame_cap;

  _Atomic uint64_t reconnects;
} syslogsink;

static INIT_ONCE g_wsa_once = INIT_ONCE_STATIC_INIT;
static int g_wsa_error;

static BOOL CALLBACK wsa_init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  WSADATA wd;
  g_wsa_error = WSAStartup(MAKEWORD(2, 2), &wd);
  return TRUE;
}

/* 0 when Winsock is usable, else the WSAStartup error. */
static int wsa_ready(void) {
  InitOnceExecuteOnce(&g_wsa_once, wsa_init, NULL, NULL);
  return g_wsa_error;
}

/* "udp://host[:port]", "tcp://[v6addr][:port]" (as in sink_syslog-posix.c). */
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

/* Reports once per outage; e is a Winsock (= Win32) error code. */
static void report(syslogsink *s, const char *what, int e) {
  if (!s->down) {
    char os[160] = "";
    SetLastError((DWORD)e);
    pc__os_error(os, sizeof os);
    pc__diag(s->diag, s->ud, PC_ENET, "syslog %s: %s: %s (will retry)", s->url, what, os);
  }
  s->down = true;
}

/* Connects with a timeout; 0 or the Winsock error. Leaves the socket blocking, with a send
 * timeout so that a collector that stops reading cannot hold the writer forever. */
static int connect_tcp(SOCKET fd, const struct sockaddr *sa, int len) {
  u_long on = 1, off = 0;
  int e = 0;
  ioctlsocket(fd, FIONBIO, &on);
  if (connect(fd, sa, len) != 0) {
    e = WSAGetLastError();
    if (e == WSAEWOULDBLOCK) {
      fd_set wr, ex;
      FD_ZERO(&wr);
      FD_ZERO(&ex);
      FD_SET(fd, &wr);
      FD_SET(fd, &ex);
      struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_MS / 1000,
                           .tv_usec = (CONNECT_TIMEOUT_MS % 1000) * 1000};
      int rc = select(0, NULL, &wr, &ex, &tv);
      if (rc == 0) {
        e = WSAETIMEDOUT;
      } else if (rc < 0) {
        e = WSAGetLastError();
      } else {
        int err = 0, el = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, (char *)&err, &el);
        e = FD_ISSET(fd, &ex) && err == 0 ? WSAECONNREFUSED : err;
      }
    }
  }
  ioctlsocket(fd, FIONBIO, &off);
  DWORD to = SEND_TIMEOUT_MS;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, (const char *)&to, sizeof to);
  return e;
}

/* Returns a connected socket, or INVALID_SOCKET with *err set. Resolves every time, so a
 * collector that moved to a new address is found again. */
static SOCKET open_socket(syslogsink *s, int *err) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = s->tcp ? SOCK_STREAM : SOCK_DGRAM;
  int gai = getaddrinfo(s->host, s->port, &hints, &res);
  if (gai != 0) {
    /* getaddrinfo returns WSA error codes (WSAHOST_NOT_FOUND, ...), which have texts. */
    *err = gai;
    return INVALID_SOCKET;
  }
  SOCKET fd = INVALID_SOCKET;
  int e = WSAECONNREFUSED;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    fd = WSASocketW(ai->ai_family, ai->ai_socktype, ai->ai_protocol, NULL, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (fd == INVALID_SOCKET) {
      e = WSAGetLastError();
      continue;
    }
    int rc = s->tcp ? connect_tcp(fd, ai->ai_addr, (int)ai->ai_addrlen)
                    : (connect(fd, ai->ai_addr, (int)ai->ai_addrlen) == 0 ? 0 : WSAGetLastError());
    if (rc == 0) break;
    e = rc;
    closesocket(fd);
    fd = INVALID_SOCKET;
  }
  freeaddrinfo(res);
  if (fd == INVALID_SOCKET) *err = e;
  return fd;
}

/* A syslog collector never talks back: a readable socket means it closed or reset. */
static bool peer_closed(SOCKET fd) {
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(fd, &rd);
  struct timeval zero = {0, 0};
  if (select(0, &rd, NULL, NULL, &zero) <= 0) return false;
  /* Readable, so recv does not block even on this blocking socket. */
  char junk[256];
  int r = recv(fd, junk, sizeof junk, 0);
  if (r == 0) return true;
  if (r > 0) return false;
  int e = WSAGetLastError();
  return e != WSAEWOULDBLOCK && e != WSAEINTR;
}

static void drop_connection(syslogsink *s) {
  if (s->fd != INVALID_SOCKET) closesocket(s->fd);
  s->fd = INVALID_SOCKET;
}

/* 0 or the Winsock error. */
static int send_all(SOCKET fd, const char *p, size_t n) {
  while (n) {
    int chunk = n > 1u << 30 ? 1 << 30 : (int)n;
    int w = send(fd, p, chunk, 0);
    if (w == SOCKET_ERROR) {
      int e = WSAGetLastError();
      if (e == WSAEINTR) continue;
      return e;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static pc_err syslog_deliver(void *ud, const char *rec, size_t len) {
  syslogsink *s = ud;
  if (s->fd != INVALID_SOCKET && s->tcp && peer_closed(s->fd)) {
    drop_connection(s);
    report(s, "connection closed by the collector", WSAECONNRESET);
  }
  if (s->fd == INVALID_SOCKET) {
    int e = wsa_ready();
    if (e == 0) s->fd = open_socket(s, &e);
    if (s->fd == INVALID_SOCKET) {
      report(s, "cannot connect", e);
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
    int e = send_all(s->fd, s->frame, (size_t)h + len);
    if (e != 0) {
      drop_connection(s); /* a partial frame poisons the stream: start a new one */
      report(s, "cannot send", e);
      return PC_EAGAIN;
    }
  } else {
    int w = send(s->fd, rec, (int)len, 0);
    if (w == SOCKET_ERROR) {
      int e = WSAGetLastError();
      if (e == WSAEMSGSIZE) return PC_ELIMIT; /* will never fit: drop it */
      /* A refused earlier datagram (ICMP port unreachable) is reported on the next send of
       * a connected UDP socket as WSAECONNRESET; the socket stays usable. */
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
  s->fd = INVALID_SOCKET;
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
