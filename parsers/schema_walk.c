/* The one bounds-checked walker that locates every property of a payload. */
#include <string.h>

#include "pc_error.h"
#include "pc_schema.h"

uint32_t pc_intype_fixed_size(uint8_t intype, unsigned ptr_size) {
  switch (intype) {
    case PC_IN_INT8:
    case PC_IN_UINT8:
      return 1;
    case PC_IN_INT16:
    case PC_IN_UINT16:
      return 2;
    case PC_IN_INT32:
    case PC_IN_UINT32:
    case PC_IN_HEXINT32:
    case PC_IN_FLOAT:
    case PC_IN_BOOLEAN:
      return 4;
    case PC_IN_INT64:
    case PC_IN_UINT64:
    case PC_IN_HEXINT64:
    case PC_IN_DOUBLE:
    case PC_IN_FILETIME:
      return 8;
    case PC_IN_GUID:
    case PC_IN_SYSTEMTIME:
      return 16;
    case PC_IN_POINTER:
      return ptr_size;
    default:
      return 0;
  }
}

uint64_t pc_field_uint(const uint8_t *data, const pc_field *f) {
  uint64_t v = 0;
  uint32_t n = f->length > 8 ? 8 : f->length;
  for (uint32_t i = 0; i < n; i++) v |= (uint64_t)data[f->offset + i] << (8 * i);
  return v;
}

int pc_schema_walk(const pc_schema_event *ev, const uint8_t *data, size_t len, unsigned ptr_size,
                   pc_field *fields) {
  size_t off = 0;
  for (unsigned i = 0; i < ev->prop_count; i++) {
    const pc_schema_prop *p = &ev->props[i];
    size_t size;
    switch (p->intype) {
      case PC_IN_POINTER:
        if (ptr_size != 4 && ptr_size != 8) return PC_EINVAL;
        size = ptr_size;
        break;
      case PC_IN_BINARY:
        if (p->length_prop != PC_SCHEMA_NO_LENGTH_PROP) {
          /* The schema parser guarantees the length property is earlier and unsigned. */
          uint64_t n = pc_field_uint(data, &fields[p->length_prop]);
          if (n > len - off) return PC_EPARSE;
          size = (size_t)n;
        } else {
          size = p->length;
        }
        break;
      case PC_IN_ANSISTRING: {
        const uint8_t *nul = off < len ? memchr(data + off, 0, len - off) : NULL;
        if (!nul) return PC_EPARSE;
        size = (size_t)(nul - (data + off)) + 1;
        break;
      }
      case PC_IN_UNICODESTRING: {
        size_t k = off;
        while (k + 1 < len && (data[k] | data[k + 1]) != 0) k += 2;
        if (k + 1 >= len) return PC_EPARSE;
        size = k + 2 - off;
        break;
      }
      case PC_IN_SID: {
        /* SID: revision, sub-authority count, 6-byte authority, 4 bytes per sub-authority. */
        if (len - off < 8) return PC_ETRUNC;
        size = 8 + 4 * (size_t)data[off + 1];
        break;
      }
      default:
        size = pc_intype_fixed_size(p->intype, ptr_size);
        if (size == 0) return PC_EPARSE;
        break;
    }
    if (size > len - off) return PC_ETRUNC;
    fields[i].offset = (uint32_t)off;
    fields[i].length = (uint32_t)size;
    off += size;
  }
  return off == len ? PC_OK : PC_ETRAILING;
}
