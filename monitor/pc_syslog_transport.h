/* pc_syslog_transport.h - the socket calls of the syslog sink (module-shared, pc_sinks only).
 *
 * sink_syslog.c holds the portable part (the URL, the RFC 6587 framing, reconnection and the
 * queue); sink_syslog-posix.c and sink_syslog-win.c implement these few calls with BSD
 * sockets and Winsock. Errors are the OS's own codes (errno values, Winsock codes), so that
 * their texts are the system's; 0 means no error. All calls are made on the writer thread. */
#ifndef PC_SYSLOG_TRANSPORT_H
#define PC_SYSLOG_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pc_error.h"

/* A socket: a file descriptor on POSIX, a SOCKET on Windows. */
typedef uintptr_t pc__sock;
#define PC__NO_SOCK ((pc__sock)-1) /* -1 and INVALID_SOCKET */

/* Resolves host and port (every time, so a collector that moved to a new address is found
 * again) and connects a TCP (tcp) or UDP socket, a TCP connect with a timeout. Returns the
 * socket, or PC__NO_SOCK with the OS error in *os_err. */
pc__sock pc__syslog_connect(const char *host, const char *port, bool tcp, int *os_err);

/* A syslog collector never talks back: a readable TCP socket means it closed or reset.
 * Returns 0 while the connection looks alive, else the OS error to report (reset). */
int pc__syslog_peer_closed(pc__sock fd);

/* One send of up to n bytes (a datagram goes whole). PC_OK with *sent bytes; otherwise the OS
 * error in *os_err and PC_EAGAIN when the call was interrupted (worth repeating at once),
 * PC_ELIMIT when the message is too long for the socket (a datagram that can never fit), else
 * PC_ENET. */
pc_err pc__syslog_send(pc__sock fd, const char *p, size_t n, size_t *sent, int *os_err);

/* Closes fd; PC__NO_SOCK is ignored. */
void pc__syslog_close(pc__sock fd);

/* The system's text for the OS error os_err. */
void pc__syslog_strerror(int os_err, char *buf, size_t cap);

#endif
