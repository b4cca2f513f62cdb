/* test_etl_xpress.c - XPRESS (plain LZ77, [MS-XCA] 2.4) decoding from hand-made streams.
 *
 * Encoding reminders used to build the streams by hand: a 32-bit little-endian flag
 * word precedes each group of 32 tokens, most significant bit first (0 = literal byte,
 * 1 = match). A match is a u16 ((offset - 1) << 3 | L) with L = length - 3 when below 7;
 * otherwise L = 7 and the length continues in a shared nibble (the first long match takes
 * the low half of a new byte, the next long match the high half), then 15 means "a byte
 * follows", whose 255 means "a u16 follows" (length - 3 + ... see the cases), whose 0
 * means "a u32 follows". A match flag with no input left ends the stream. */
#include <stdlib.h>

#include "etl_writer.h"
#include "pc_error.h"
#include "pc_test.h"
#include "pc_xpress.h"

static int run(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *n, size_t *at) {
  const char *why = NULL;
  int rc = pc_xpress_decompress(in, len, out, cap, n, at, &why);
  if (rc != PC_OK && (!why || !*why)) pc__test_fail(__FILE__, __LINE__, "error without a reason");
  return rc;
}

PC_TEST(xpress_literals_only) {
  /* Flags 0: three literals, then the input ends at a literal boundary. */
  const uint8_t in[] = {0, 0, 0, 0, 'a', 'b', 'c'};
  uint8_t out[8];
  size_t n, at;
  PC_CHECK_INT(run(in, sizeof in, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 3);
  PC_CHECK(memcmp(out, "abc", 3) == 0);
  /* The same with an end-of-stream marker: flag bit 3 set (0x10000000). */
  const uint8_t in2[] = {0, 0, 0, 0x10, 'a', 'b', 'c'};
  PC_CHECK_INT(run(in2, sizeof in2, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 3);
  /* Empty input is an empty stream. */
  PC_CHECK_INT(run(in, 0, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 0);
}

PC_TEST(xpress_simple_and_overlapping_matches) {
  /* "abc" + match(offset 3, length 6) -> "abcabcabc". Flags: 0,0,0,1,1(end) = 0x18000000.
   * Token: (3-1)<<3 | (6-3) = 0x13. */
  const uint8_t in[] = {0, 0, 0, 0x18, 'a', 'b', 'c', 0x13, 0x00};
  uint8_t out[32];
  size_t n, at;
  PC_CHECK_INT(run(in, sizeof in, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 9);
  PC_CHECK(memcmp(out, "abcabcabc", 9) == 0);
  /* "x" + match(offset 1, length 9): an overlapping copy -> ten x. L = 6: token 0x0006. */
  const uint8_t in2[] = {0, 0, 0, 0x60, 'x', 0x06, 0x00};
  PC_CHECK_INT(run(in2, sizeof in2, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 10);
  PC_CHECK(memcmp(out, "xxxxxxxxxx", 10) == 0);
  /* "ab" + match(offset 2, length 7): overlap with a period of 2 -> "ababababa". */
  const uint8_t in3[] = {0, 0, 0, 0x20, 'a', 'b', (1 << 3) | 4, 0x00};
  PC_CHECK_INT(run(in3, sizeof in3, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 9);
  PC_CHECK(memcmp(out, "ababababa", 9) == 0);
}

PC_TEST(xpress_shared_length_nibbles) {
  /* 'a', match(1, 12), match(1, 13). Both lengths are >= 10 (3 + 7), so both use a
   * nibble: 12 - 10 = 2 in the low half of the byte after the first token, 13 - 10 = 3
   * in its high half: one byte 0x32. Flags: 0,1,1 = 0x60000000 (no end marker). */
  const uint8_t in[] = {0, 0, 0, 0x60, 'a', 0x07, 0x00, 0x32, 0x07, 0x00};
  uint8_t out[64];
  size_t n, at;
  PC_CHECK_INT(run(in, sizeof in, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 26);
  for (size_t i = 0; i < n; i++) PC_CHECK(out[i] == 'a');
}

PC_TEST(xpress_long_length_encodings) {
  uint8_t *out = malloc(80000);
  size_t n, at;
  /* Length 25 = 3 + 7 + 15 + 0: nibble 15, then a byte 0. */
  const uint8_t l25[] = {0, 0, 0, 0x40, 'q', 0x07, 0x00, 0x0F, 0x00};
  PC_CHECK_INT(run(l25, sizeof l25, out, 80000, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 26);
  /* Length 279 = 3 + 7 + 15 + 254: the largest one-byte extension. */
  const uint8_t l279[] = {0, 0, 0, 0x40, 'q', 0x07, 0x00, 0x0F, 0xFE};
  PC_CHECK_INT(run(l279, sizeof l279, out, 80000, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 280);
  /* Length 300: nibble 15, byte 255, then u16 300 - 3 = 297 (the u16 holds length - 3;
   * the decoder subtracts 22 and adds back 15 + 7 + 3). */
  const uint8_t l300[] = {0, 0, 0, 0x40, 'q', 0x07, 0x00, 0x0F, 0xFF, 0x29, 0x01};
  PC_CHECK_INT(run(l300, sizeof l300, out, 80000, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 301);
  /* Length 70000: u16 0, then u32 70000 - 3 = 69997 (0x1116D). */
  const uint8_t l70k[] = {0, 0, 0, 0x40, 'q', 0x07, 0x00, 0x0F, 0xFF, 0x00, 0x00, 0x6D, 0x11, 0x01, 0x00};
  PC_CHECK_INT(run(l70k, sizeof l70k, out, 80000, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 70001);
  for (size_t i = 0; i < n; i++)
    if (out[i] != 'q') {
      PC_CHECK(out[i] == 'q');
      break;
    }
  free(out);
}

PC_TEST(xpress_more_than_32_tokens) {
  /* 40 literals: a full flag word of 32 literals, then a second flag word. */
  uint8_t in[4 + 32 + 4 + 8];
  memset(in, 0, sizeof in);
  for (int i = 0; i < 32; i++) in[4 + i] = (uint8_t)('A' + i % 26);
  for (int i = 0; i < 8; i++) in[40 + i] = (uint8_t)('0' + i);
  uint8_t out[64];
  size_t n, at;
  PC_CHECK_INT(run(in, sizeof in, out, sizeof out, &n, &at), PC_OK);
  PC_CHECK_UINT(n, 40);
  PC_CHECK(out[39] == '7' && out[31] == 'F');
}

PC_TEST(xpress_malformed_streams) {
  uint8_t out[64];
  size_t n, at;
  /* A match before any output: offset 1 > 0 bytes produced. */
  const uint8_t before[] = {0, 0, 0, 0x80, 0x00, 0x00};
  PC_CHECK_INT(run(before, sizeof before, out, sizeof out, &n, &at), PC_ECORRUPT);
  PC_CHECK_UINT(at, 4);
  /* Offset 5 after 1 byte of output. */
  const uint8_t far[] = {0, 0, 0, 0x40, 'z', (4 << 3), 0x00};
  PC_CHECK_INT(run(far, sizeof far, out, sizeof out, &n, &at), PC_ECORRUPT);
  PC_CHECK_UINT(at, 5);
  PC_CHECK_UINT(n, 1);
  /* A flag word cut short. */
  const uint8_t flag3[] = {0, 0, 0};
  PC_CHECK_INT(run(flag3, sizeof flag3, out, sizeof out, &n, &at), PC_ECORRUPT);
  /* A match token cut after one byte. */
  const uint8_t tok1[] = {0, 0, 0, 0x40, 'a', 0x07};
  PC_CHECK_INT(run(tok1, sizeof tok1, out, sizeof out, &n, &at), PC_ECORRUPT);
  /* A long match whose nibble byte is missing. */
  const uint8_t nib[] = {0, 0, 0, 0x40, 'a', 0x07, 0x00};
  PC_CHECK_INT(run(nib, sizeof nib, out, sizeof out, &n, &at), PC_ECORRUPT);
  /* The byte extension missing, then the u16 and u32 ones. */
  const uint8_t ext1[] = {0, 0, 0, 0x40, 'a', 0x07, 0x00, 0x0F};
  PC_CHECK_INT(run(ext1, sizeof ext1, out, sizeof out, &n, &at), PC_ECORRUPT);
  const uint8_t ext2[] = {0, 0, 0, 0x40, 'a', 0x07, 0x00, 0x0F, 0xFF, 0x10};
  PC_CHECK_INT(run(ext2, sizeof ext2, out, sizeof out, &n, &at), PC_ECORRUPT);
  const uint8_t ext4[] = {0, 0, 0, 0x40, 'a', 0x07, 0x00, 0x0F, 0xFF, 0x00, 0x00, 0x01, 0x02};
  PC_CHECK_INT(run(ext4, sizeof ext4, out, sizeof out, &n, &at), PC_ECORRUPT);
  /* A u16 length below its minimum of 22. */
  const uint8_t small[] = {0, 0, 0, 0x40, 'a', 0x07, 0x00, 0x0F, 0xFF, 0x05, 0x00};
  PC_CHECK_INT(run(small, sizeof small, out, sizeof out, &n, &at), PC_ECORRUPT);
  PC_CHECK_UINT(at, 5);
  /* Output caps: a literal past the cap and a 4 GiB match both stop cleanly. */
  const uint8_t lit[] = {0, 0, 0, 0, 'a', 'b', 'c'};
  PC_CHECK_INT(run(lit, sizeof lit, out, 2, &n, &at), PC_EOVERFLOW);
  PC_CHECK_UINT(n, 2);
  const uint8_t huge[] = {0, 0, 0, 0x40, 'a', 0x07, 0x00, 0x0F, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF};
  PC_CHECK_INT(run(huge, sizeof huge, out, sizeof out, &n, &at), PC_EOVERFLOW);
  PC_CHECK_UINT(n, 1);
  /* NULL err_at / why are allowed. */
  PC_CHECK_INT(pc_xpress_decompress(before, sizeof before, out, sizeof out, &n, NULL, NULL), PC_ECORRUPT);
}

PC_TEST(xpress_roundtrip_with_test_compressor) {
  static uint8_t data[200000], back[200000];
  uint32_t s = 1;
  for (size_t i = 0; i < sizeof data; i++) {
    s = s * 1103515245u + 12345u;
    /* Runs, repeats at various distances, and noise. */
    if (i > 100000 && i < 180000)
      data[i] = 'r';
    else if ((s >> 20) % 4)
      data[i] = data[i >= 37 ? i - 37 : 0];
    else
      data[i] = (uint8_t)(s >> 24);
  }
  static const size_t sizes[] = {0, 1, 2, 3, 31, 32, 33, 64, 1000, 65535, 65536, 200000};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    size_t zlen, n = 0, at;
    uint8_t *z = pc_etl_test_xpress_compress(data, sizes[k], &zlen);
    PC_CHECK(z != NULL);
    if (!z) return;
    PC_CHECK_INT(run(z, zlen, back, sizeof back, &n, &at), PC_OK);
    PC_CHECK_UINT(n, sizes[k]);
    PC_CHECK(memcmp(back, data, sizes[k]) == 0);
    /* The same stream cut anywhere never over-reads and never succeeds with more. */
    for (size_t cut = 0; cut < zlen && cut < 300; cut++) {
      int rc = pc_xpress_decompress(z, cut, back, sizeof back, &n, NULL, NULL);
      PC_CHECK(rc == PC_OK || rc == PC_ECORRUPT);
      PC_CHECK(n <= sizes[k]);
    }
    free(z);
  }
  PC_CHECK_STR(pc_compression_name(3), "XPRESS");
  PC_CHECK_STR(pc_compression_name(2), "LZNT1");
  PC_CHECK_STR(pc_compression_name(4), "XPRESS_HUFF");
  PC_CHECK_STR(pc_compression_name(99), "unknown");
}
