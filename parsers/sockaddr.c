#include <string.h>

#include "pc_error.h"
#include "pc_le.h"
#include "pc_sockaddr.h"

int pc_sockaddr_decode(const uint8_t *data, size_t len, pc_addr *out) {
  memset(out, 0, sizeof *out);
  if (len == 0) return PC_ENOENT;
  if (len > PC_SOCKADDR_MAX) return PC_EPARSE;
  if (len < 4) return PC_ETRUNC;
  unsigned family = (unsigned)data[0] | (unsigned)data[1] << 8;
  out->port = (uint16_t)(data[2] << 8 | data[3]);
  if (family == PC_WIN_AF_INET) {
    if (len < 8) return PC_ETRUNC;
    out->family = PC_AF_INET;
    memcpy(out->bytes, data + 4, 4);
    return PC_OK;
  }
  if (family == PC_WIN_AF_INET6) {
    if (len < 24) return PC_ETRUNC;
    out->family = PC_AF_INET6;
    memcpy(out->bytes, data + 8, 16);
    if (len >= 28) out->scope_id = pc_le32(data + 24);
    return PC_OK;
  }
  return PC_ENOTSUP;
}
