/* syslog.c - findings to a syslog collector over UDP or TCP (RFC 6587 octet
 * counting), behind the bounded queue, with reconnection and exponential back-off. The
 * socket calls are in socket-posix.c and socket-win.c (pc_os.h).
 *
 * Plain TCP syslog has no acknowledgements, so a record written into the socket just
 * before the collector dies is lost without the sender knowing. To shrink that window,
 * the writer checks before every send whether the collector has closed the connection (a
 * syslog collector never sends anything, so a readable socket means EOF or a reset) and
 * reconnects first. Records that could not be sent are kept, retried, and once the queue
 * is full, dropped and counted; those counts are what the output_dropped event reports.
 * UDP cannot know about loss at all; the counts cover only what the kernel refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_text.h"
#include "sinks_internal.h"
#include "pc_os.h"

typedef struct syslogsink {
  pc__qsink b;
  bool tcp;
  char host[256], port[8], url[300];

  /* Writer thread only. */
  pc_os_sock fd;
  bool ever_connected;
  uint64_t last_fail_ms; /* monotonic time of the latest failure of this outage */
  char *frame;
  size_t frame_cap;
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
  uint64_t pn;
  if (!pc_parse_uint(port, pl, 65535, false, &pn) || pn < 1) return PC_EINVAL;
  memcpy(s->port, port, pl + 1);
  snprintf(s->url, sizeof s->url, "%s", url);
  return PC_OK;
}

/* An outage ends only after sends have worked for this long since its last failure. UDP
 * to a closed port fails every other send (each datagram's ICMP "port unreachable" fails
 * the next send, the retry after it works), so without this quiet time every success would
 * announce a recovery and every failure a new outage: 91 699 stderr lines in 5 s. */
#define RECOVERY_QUIET_MS 5000u

/* Reports once per outage; e is an OS error code. */
static void report(syslogsink *s, const char *what, int e) {
  char os[160] = "";
  if (!s->b.down) pc_os_sock_strerror(e, os, sizeof os);
  pc__qsink_outage(&s->b, PC_ENET, "syslog %s: %s: %s", s->url, what, os);
  s->last_fail_ms = pc_os_clock_ms();
}

static void drop_connection(syslogsink *s) {
  pc_os_sock_close(s->fd);
  s->fd = PC_OS_NO_SOCK;
}

/* Sends all n bytes on the stream socket; PC_OK or the error of pc_os_sock_send. */
static pc_err send_all(pc_os_sock fd, const char *p, size_t n, int *os_err) {
  while (n) {
    size_t w = 0;
    pc_err err = pc_os_sock_send(fd, p, n, &w, os_err);
    if (err == PC_EAGAIN) continue;
    if (err != PC_OK) return err;
    p += w;
    n -= w;
  }
  return PC_OK;
}

static pc_err syslog_deliver(pc__qsink *b, const char *rec, size_t len) {
  syslogsink *s = (syslogsink *)b;
  int e = 0;
  if (s->fd != PC_OS_NO_SOCK && s->tcp && (e = pc_os_sock_peer_closed(s->fd)) != 0) {
    drop_connection(s);
    report(s, "connection closed by the collector", e);
  }
  if (s->fd == PC_OS_NO_SOCK) {
    s->fd = pc_os_sock_connect(s->host, s->port, s->tcp, &e);
    if (s->fd == PC_OS_NO_SOCK) {
      report(s, "cannot connect", e);
      return PC_EAGAIN;
    }
    if (s->ever_connected) atomic_fetch_add(&b->reconnects, 1);
    s->ever_connected = true;
  }
  if (s->tcp) {
    /* RFC 6587 §3.4.1 octet counting: "MSG-LEN SP SYSLOG-MSG", no trailer, so a record
     * may hold any byte and still cannot split or merge frames. */
    int h = snprintf(s->frame, s->frame_cap, "%zu ", len);
    memcpy(s->frame + h, rec, len);
    if (send_all(s->fd, s->frame, (size_t)h + len, &e) != PC_OK) {
      drop_connection(s); /* a partial frame poisons the stream: start a new one */
      report(s, "cannot send", e);
      return PC_EAGAIN;
    }
  } else {
    size_t sent;
    pc_err err = pc_os_sock_send(s->fd, rec, len, &sent, &e);
    if (err == PC_ELIMIT) return PC_ELIMIT; /* will never fit: drop it */
    if (err != PC_OK) {
      report(s, "cannot send", e);
      return PC_EAGAIN;
    }
  }
  if (b->down && pc_os_clock_ms() - s->last_fail_ms >= RECOVERY_QUIET_MS) {
    b->down = false; /* reconnects were counted at each connect */
    pc__diag(b->diag, b->ud, PC_OK, "syslog %s: sending again", s->url);
  }
  return PC_OK;
}

/* The syslog formatters cut to their cap themselves: a record always fits a buffer larger
 * than the cap. */
static size_t syslog_encode(pc__qsink *b, const pc_finding *f, char *buf, size_t cap) {
  return pc_format_any(b->kind, f, &b->fo, buf, cap);
}

static pc_err syslog_init(pc__qsink *b) {
  syslogsink *s = (syslogsink *)b;
  s->fd = PC_OS_NO_SOCK;
  if (parse_url(s, b->opts.syslog_url) != PC_OK) {
    pc__diag(b->diag, b->ud, PC_EINVAL, "--syslog '%s': expected udp://HOST[:PORT] or tcp://HOST[:PORT]",
             b->opts.syslog_url);
    return PC_EINVAL;
  }
  b->opts.syslog_url = s->url;
  /* RFC 5424 unless the user asked for RFC 3164, or for CEF, which SIEMs expect inside
   * an RFC 3164 line. */
  b->kind = PC_FORMAT_SYSLOG;
  if (b->opts.format == PC_FORMAT_SYSLOG3164 || b->opts.format == PC_FORMAT_CEF)
    b->kind = PC_FORMAT_SYSLOG3164;
  b->fo.cef_body = b->opts.format == PC_FORMAT_CEF;
  s->frame_cap = b->opts.queue_bytes + 24;
  s->frame = malloc(s->frame_cap);
  return s->frame ? PC_OK : PC_ENOMEM;
}

static void syslog_fini(pc__qsink *b) {
  syslogsink *s = (syslogsink *)b;
  drop_connection(s);
  free(s->frame);
}

static const pc__transport syslog_transport = {sizeof(syslogsink), syslog_init, syslog_encode,
                                               syslog_deliver,     NULL,        syslog_fini};

PC__QSINK_DEFINE(pc_sink_syslog_ops, "syslog", syslog_transport);
