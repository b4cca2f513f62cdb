/* xpress.c - [MS-XCA] 2.4 plain LZ77 decompression, bounds-checked at every read and
 * write. The algorithm follows the specification's pseudo-code; the comments name the
 * spec's variables where they help. */
#include <stdbool.h>
#include <string.h>

#include "pc_error.h"
#include "pc_le.h"
#include "pc_xpress.h"

const char *pc_compression_name(unsigned format) {
  static const char *const names[] = {
      [PC_COMPRESSION_NONE] = "none",
      [PC_COMPRESSION_LZNT1] = "LZNT1",
      [PC_COMPRESSION_XPRESS] = "XPRESS",
      [PC_COMPRESSION_XPRESS_HUFF] = "XPRESS_HUFF",
  };
  return format < sizeof names / sizeof names[0] && names[format] ? names[format] : "unknown";
}

static int fail(int rc, size_t at, const char *what, size_t *err_at, const char **why) {
  if (err_at) *err_at = at;
  if (why) *why = what;
  return rc;
}

/* Reads the n-byte (1, 2 or 4) little-endian number at in[*ip] into *v and steps past it;
 * false, reading nothing, when fewer than n bytes are left. */
static bool take(const uint8_t *in, size_t in_len, size_t *ip, size_t n, uint64_t *v) {
  if (in_len - *ip < n) return false;
  *v = n == 1 ? in[*ip] : n == 2 ? pc_le16(in + *ip) : pc_le32(in + *ip);
  *ip += n;
  return true;
}

int pc_xpress_decompress(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len,
                         size_t *err_at, const char **why) {
  size_t ip = 0, op = 0;
  uint32_t flags = 0;
  unsigned flag_count = 0;
  size_t half_byte = 0; /* LastLengthHalfByte: 0 = none (position 0 is always a flag word) */
  int rc = PC_OK;
  if (err_at) *err_at = 0;
  if (why) *why = "";
  for (;;) {
    if (flag_count == 0) {
      if (ip == in_len) break; /* clean end at a flag-word boundary */
      if (in_len - ip < 4) {
        rc = fail(PC_ECORRUPT, ip, "truncated flag word", err_at, why);
        break;
      }
      flags = pc_le32(in + ip);
      ip += 4;
      flag_count = 32;
    }
    flag_count--;
    if ((flags & (UINT32_C(1) << flag_count)) == 0) {
      /* Literal. Input running out here is how a stream without an end marker ends. */
      if (ip == in_len) break;
      if (op == out_cap) {
        rc = fail(PC_EOVERFLOW, ip, "output larger than expected", err_at, why);
        break;
      }
      out[op++] = in[ip++];
      continue;
    }
    size_t token_at = ip;
    if (ip == in_len) break; /* end-of-stream marker */
    if (in_len - ip < 2) {
      rc = fail(PC_ECORRUPT, token_at, "truncated match", err_at, why);
      break;
    }
    uint32_t match = pc_le16(in + ip);
    ip += 2;
    uint64_t length = match & 7u;
    size_t offset = (size_t)(match >> 3) + 1;
    if (length == 7) {
      /* Length nibbles are shared: the first long match takes the low half of a byte,
       * the next one the high half of that same byte. */
      if (half_byte == 0) {
        if (ip == in_len) {
          rc = fail(PC_ECORRUPT, token_at, "truncated match length", err_at, why);
          break;
        }
        length = in[ip] & 15u;
        half_byte = ip++;
      } else {
        length = in[half_byte] >> 4;
        half_byte = 0;
      }
      if (length == 15) {
        if (!take(in, in_len, &ip, 1, &length)) {
          rc = fail(PC_ECORRUPT, token_at, "truncated match length", err_at, why);
          break;
        }
        if (length == 255) {
          /* A 16-bit length follows; a zero one (Windows 8 and later) is followed by a
           * 32-bit length. */
          if (!take(in, in_len, &ip, 2, &length) || (length == 0 && !take(in, in_len, &ip, 4, &length))) {
            rc = fail(PC_ECORRUPT, token_at, "truncated match length", err_at, why);
            break;
          }
          if (length < 15 + 7) {
            rc = fail(PC_ECORRUPT, token_at, "match length below its encoding's minimum", err_at, why);
            break;
          }
          length -= 15 + 7;
        }
        length += 15;
      }
      length += 7;
    }
    length += 3;
    if (offset > op) {
      rc = fail(PC_ECORRUPT, token_at, "match offset before the start of the output", err_at, why);
      break;
    }
    if (length > out_cap - op) {
      rc = fail(PC_EOVERFLOW, token_at, "output larger than expected", err_at, why);
      break;
    }
    uint8_t *dst = out + op;
    const uint8_t *src = dst - offset;
    size_t n = (size_t)length;
    if (offset >= n) {
      memcpy(dst, src, n);
    } else {
      /* Overlapping copy repeats the last `offset` bytes: it must go byte by byte. */
      for (size_t i = 0; i < n; i++) dst[i] = src[i];
    }
    op += n;
  }
  if (out_len) *out_len = op;
  return rc;
}
