/* libFuzzer target: netsh excludedportrange and dynamicport parsers on arbitrary bytes. The
 * first byte picks the hints so that the hint-checking paths are reached too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pc_hoststate_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t proto = 0, family = 0;
  if (size > 0) {
    proto = (data[0] & 3) == 1 ? 6 : (data[0] & 3) == 2 ? 17 : 0;
    family = (data[0] >> 2 & 3) == 1 ? 4 : (data[0] >> 2 & 3) == 2 ? 6 : 0;
  }
  char err[PC_HOSTTEXT_ERR_MAX];
  pc_port_range *r;
  size_t n;
  if (pc_netsh_parse_excluded(data, size, "fuzz", proto, family, &r, &n, err, sizeof err) == 0) {
    for (size_t i = 0; i < n; i++)
      if (r[i].start > r[i].end) abort();
    free(r);
  }
  pc_dynamic_range *d;
  if (pc_netsh_parse_dynamic(data, size, "fuzz", proto, family, &d, &n, err, sizeof err) == 0) {
    for (size_t i = 0; i < n; i++)
      if (d[i].count == 0 || d[i].start + d[i].count - 1 > 65535) abort();
    free(d);
  }
  return 0;
}
