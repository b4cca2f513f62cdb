/* socket.c - the part of pc_os.h's socket calls that is the same on every platform; the
 * calls themselves are in socket-posix.c and socket-win.c. */
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include "pc_os.h"
#include "sockaddr_fill.h"

size_t pc_os_sockaddr(const pc_addr *a, void *ss, size_t cap) {
  return cap >= sizeof(struct sockaddr_storage) ? pc__sockaddr_fill(a, ss) : 0;
}
