/* pc_addr.h - a socket address independent of the OS headers.
 *
 * Families use portclash's own numbering so that Windows (AF_INET6 = 23) and Linux
 * (AF_INET6 = 10) captures compare equal. The port is in host byte order here; decoders
 * convert from the wire's network order. */
#ifndef PC_ADDR_H
#define PC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pc_family { PC_AF_UNKNOWN = 0, PC_AF_INET = 4, PC_AF_INET6 = 6 } pc_family;

typedef struct pc_addr {
  uint8_t family; /* pc_family */
  uint16_t port;  /* host byte order */
  uint32_t scope_id;
  uint8_t bytes[16]; /* IPv4 uses the first 4 bytes */
} pc_addr;

/* Longest text pc_addr_format can produce: "[ffff:...:ffff%4294967295]:65535". */
#define PC_ADDR_TEXT_MAX 64

/* Formats only the address part ("0.0.0.0", "::1", "fe80::1%3") into buf (cap >= 48).
 * An unknown family gives "". Returns the length. */
size_t pc_addr_format_ip(const pc_addr *a, char *buf, size_t cap);

/* Parses "1.2.3.4", "::1", "[::1]" (no port) into out, keeping out->port.
 * Returns PC_OK or PC_EPARSE. */
int pc_addr_parse_ip(const char *text, pc_addr *out);

/* True when the address is 0.0.0.0 or ::. */
bool pc_addr_is_wildcard(const pc_addr *a);

/* True when both have the same family, bytes and port (scope ignored). */
bool pc_addr_equal(const pc_addr *a, const pc_addr *b);

#endif
