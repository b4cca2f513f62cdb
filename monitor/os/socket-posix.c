/* socket-posix.c - the socket calls of pc_os.h with BSD sockets: the syslog sink's
 * transport (sinks/syslog.c explains the design) and the test bind. Errors are errno values. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "pc_attempt.h"
#include "pc_os.h"
#include "sockaddr_fill.h"

#define CONNECT_TIMEOUT_MS 2000
#define SEND_TIMEOUT_S 5

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

/* Returns a connected socket or -1 with errno set. */
static int open_socket(const char *host, const char *port, bool tcp) {
  struct addrinfo hints, *res = NULL;
  pc__addrinfo_hints(&hints, tcp);
  int gai = getaddrinfo(host, port, &hints, &res);
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
    int rc = tcp ? connect_tcp(fd, ai->ai_addr, ai->ai_addrlen) : connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc == 0) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) errno = e;
  return fd;
}

pc_os_sock pc_os_sock_connect(const char *host, const char *port, bool tcp, int *os_err) {
  int fd = open_socket(host, port, tcp);
  if (fd < 0) {
    *os_err = errno;
    return PC_OS_NO_SOCK;
  }
  return (pc_os_sock)fd;
}

int pc_os_sock_peer_closed(pc_os_sock s) {
  struct pollfd p = {.fd = (int)s, .events = POLLIN};
  if (poll(&p, 1, 0) <= 0) return 0;
  char junk[256];
  ssize_t r = recv((int)s, junk, sizeof junk, MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ? ECONNRESET : 0;
}

pc_err pc_os_sock_send(pc_os_sock s, const char *p, size_t n, size_t *sent, int *os_err) {
  ssize_t w = send((int)s, p, n, MSG_NOSIGNAL);
  if (w >= 0) {
    *sent = (size_t)w;
    return PC_OK;
  }
  *os_err = errno;
  /* A send error that is not otherwise classified is the network's. */
  pc_err e = pc_err_from_errno(errno);
  return e == PC_EAGAIN || e == PC_ELIMIT ? e : PC_ENET;
}

void pc_os_sock_close(pc_os_sock s) {
  if (s != PC_OS_NO_SOCK) close((int)s);
}

void pc_os_sock_strerror(int os_err, char *buf, size_t cap) {
  errno = os_err;
  pc_os_error_text(buf, cap);
}

int pc_os_test_bind(uint8_t proto, const pc_addr *addr, bool reuseaddr, int *os_error, const char **stage) {
  struct sockaddr_storage ss;
  socklen_t sl = (socklen_t)pc__sockaddr_fill(addr, &ss);
  *os_error = 0;
  if (!sl) return PC_EINVAL;
  int type = proto == PC_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
  *stage = "socket";
  int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *os_error = errno;
    return PC_OK;
  }
  int one = 1;
  if (reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  *stage = "bind";
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    *os_error = errno;
  } else if (type == SOCK_STREAM) {
    /* Linux lets two SO_REUSEADDR sockets bind the same port and fails the second listen(),
     * so a TCP answer needs listen() too. The socket lives for microseconds. */
    *stage = "listen";
    if (listen(fd, 1) != 0) *os_error = errno;
  }
  close(fd);
  return PC_OK;
}
