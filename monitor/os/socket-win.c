/* socket-win.c - the socket calls of the syslog sink (pc_os.h) with
 * Winsock; syslog.c explains the design. Errors are Winsock (= Win32) error codes. Only
 * the socket calls differ from socket-posix.c:
 *
 *   - WSAStartup runs once per process and is never undone (pc_win_wsa_ready).
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
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include "pc_attempt.h"
#include "pc_os.h"
#include "sockaddr_fill.h"
#include "win_util.h"

#define CONNECT_TIMEOUT_MS 2000
#define SEND_TIMEOUT_MS 5000

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

/* Returns a connected socket, or INVALID_SOCKET with *err set. */
static SOCKET open_socket(const char *host, const char *port, bool tcp, int *err) {
  struct addrinfo hints, *res = NULL;
  pc__addrinfo_hints(&hints, tcp);
  int gai = getaddrinfo(host, port, &hints, &res);
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
    int rc = tcp ? connect_tcp(fd, ai->ai_addr, (int)ai->ai_addrlen)
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

pc_os_sock pc_os_sock_connect(const char *host, const char *port, bool tcp, int *os_err) {
  int e = pc_win_wsa_ready();
  if (e != 0) {
    *os_err = e;
    return PC_OS_NO_SOCK;
  }
  SOCKET fd = open_socket(host, port, tcp, os_err);
  return fd == INVALID_SOCKET ? PC_OS_NO_SOCK : (pc_os_sock)fd;
}

int pc_os_sock_peer_closed(pc_os_sock s) {
  SOCKET fd = (SOCKET)s;
  fd_set rd;
  FD_ZERO(&rd);
  FD_SET(fd, &rd);
  struct timeval zero = {0, 0};
  if (select(0, &rd, NULL, NULL, &zero) <= 0) return 0;
  /* Readable, so recv does not block even on this blocking socket. */
  char junk[256];
  int r = recv(fd, junk, sizeof junk, 0);
  if (r == 0) return WSAECONNRESET;
  if (r > 0) return 0;
  int e = WSAGetLastError();
  return e != WSAEWOULDBLOCK && e != WSAEINTR ? WSAECONNRESET : 0;
}

pc_err pc_os_sock_send(pc_os_sock s, const char *p, size_t n, size_t *sent, int *os_err) {
  int w = send((SOCKET)s, p, n > 1u << 30 ? 1 << 30 : (int)n, 0);
  if (w != SOCKET_ERROR) {
    *sent = (size_t)w;
    return PC_OK;
  }
  /* A refused earlier datagram (ICMP port unreachable) is reported on the next send of a
   * connected UDP socket as WSAECONNRESET; the socket stays usable. */
  *os_err = WSAGetLastError();
  return *os_err == WSAEINTR ? PC_EAGAIN : *os_err == WSAEMSGSIZE ? PC_ELIMIT : PC_ENET;
}

void pc_os_sock_close(pc_os_sock s) {
  if (s != PC_OS_NO_SOCK) closesocket((SOCKET)s);
}

void pc_os_sock_strerror(int os_err, char *buf, size_t cap) {
  SetLastError((DWORD)os_err);
  pc_os_error_text(buf, cap);
}

int pc_os_test_bind(uint8_t proto, const pc_addr *addr, bool reuseaddr, int *os_error, const char **stage) {
  struct sockaddr_storage ss;
  int sl = (int)pc__sockaddr_fill(addr, &ss);
  *os_error = 0;
  if (!sl) return PC_EINVAL;
  *stage = "socket";
  int wsa = pc_win_wsa_ready();
  if (wsa) {
    *os_error = wsa;
    return PC_OK;
  }
  int type = proto == PC_PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
  SOCKET fd = WSASocketW(ss.ss_family, type, 0, NULL, 0, WSA_FLAG_NO_HANDLE_INHERIT);
  if (fd == INVALID_SOCKET) {
    *os_error = WSAGetLastError();
    return PC_OK;
  }
  BOOL one = TRUE;
  if (reuseaddr) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, (const char *)&one, sizeof one);
  *stage = "bind";
  /* The WSA code (10048 WSAEADDRINUSE, 10013 WSAEACCES, ...) is what the rules and the
   * error-name table expect on Windows. */
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    *os_error = WSAGetLastError();
  } else if (type == SOCK_STREAM) {
    *stage = "listen";
    if (listen(fd, 1) != 0) *os_error = WSAGetLastError();
  }
  closesocket(fd);
  return PC_OK;
}
