/* pc_sockaddr.h - decode a Windows SOCKADDR blob from an ETW payload. */
#ifndef PC_SOCKADDR_H
#define PC_SOCKADDR_H

#include <stddef.h>
#include <stdint.h>

#include "pc_addr.h"

/* Windows address family numbers as they appear on the wire. */
#define PC_WIN_AF_INET 2
#define PC_WIN_AF_INET6 23

/* Largest blob accepted (SOCKADDR_STORAGE). */
#define PC_SOCKADDR_MAX 128

/* Decodes data[0..len) by its length and family field (u16 little-endian), port in network
 * order. AF_INET needs 8 bytes, AF_INET6 24 (28 with scope id); longer blobs up to
 * PC_SOCKADDR_MAX are accepted (some events carry SOCKADDR_INET for both families).
 * Returns PC_OK, PC_ENOENT for an empty blob, PC_ETRUNC when too short for its family,
 * PC_EPARSE when longer than PC_SOCKADDR_MAX, PC_ENOTSUP for another family. */
int pc_sockaddr_decode(const uint8_t *data, size_t len, pc_addr *out);

#endif
