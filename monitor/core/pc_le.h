/* pc_le.h - little-endian reads from a byte buffer (ETW payloads, ETL files, XPRESS streams).
 *
 * The caller has bounds-checked p; these only assemble the bytes, whatever the host's byte
 * order and alignment. */
#ifndef PC_LE_H
#define PC_LE_H

#include <stdint.h>

static inline uint16_t pc_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t pc_le32(const uint8_t *p) {
  return (uint32_t)pc_le16(p) | (uint32_t)pc_le16(p + 2) << 16;
}

static inline uint64_t pc_le64(const uint8_t *p) {
  return (uint64_t)pc_le32(p) | (uint64_t)pc_le32(p + 4) << 32;
}

#endif
