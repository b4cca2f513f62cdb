/* sockaddr_fill.h - the socket set-up that the POSIX and the Windows socket files share
 * (socket.c, socket-posix.c, socket-win.c). Header-only and internal to the OS layer: the
 * includer has already included its platform's socket headers (<netdb.h>/<netinet/in.h>,
 * or <winsock2.h>/<ws2tcpip.h>), whose struct names and fields are the same on both. */
#ifndef PC_OS_SOCKADDR_FILL_H
#define PC_OS_SOCKADDR_FILL_H

#include <stdbool.h>
#include <string.h>

#include "pc_addr.h"

/* Fills ss from a; returns its length, or 0 for an address without a family. */
static inline size_t pc__sockaddr_fill(const pc_addr *a, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (a->family == PC_AF_INET) {
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(a->port);
    memcpy(&sin->sin_addr, a->bytes, 4);
    return sizeof *sin;
  }
  if (a->family == PC_AF_INET6) {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(a->port);
    memcpy(&sin6->sin6_addr, a->bytes, 16);
    sin6->sin6_scope_id = a->scope_id;
    return sizeof *sin6;
  }
  return 0;
}

/* The hints of a name lookup for a TCP or UDP collector, any address family. */
static inline void pc__addrinfo_hints(struct addrinfo *h, bool tcp) {
  memset(h, 0, sizeof *h);
  h->ai_family = AF_UNSPEC;
  h->ai_socktype = tcp ? SOCK_STREAM : SOCK_DGRAM;
}

#endif
