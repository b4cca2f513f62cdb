/* fuzz_xpress.c - libFuzzer target: any bytes as an XPRESS stream. The first two bytes
 * choose the output capacity so that the cap checks are exercised too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pc_error.h"
#include "pc_xpress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t cap = ((size_t)data[0] | (size_t)data[1] << 8) * 4;
  uint8_t *out = malloc(cap ? cap : 1);
  if (!out) return 0;
  size_t n = 0, at = 0;
  const char *why = NULL;
  int rc = pc_xpress_decompress(data + 2, size - 2, out, cap, &n, &at, &why);
  if (n > cap) __builtin_trap();
  if (rc != PC_OK && (at > size - 2 || !why)) __builtin_trap();
  free(out);
  return 0;
}
