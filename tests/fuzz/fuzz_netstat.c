/* libFuzzer target: the netstat -ano parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pc_hoststate_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[PC_HOSTTEXT_ERR_MAX];
  pc_owner_row *r;
  size_t n;
  if (pc_netstat_parse(data, size, "fuzz", &r, &n, err, sizeof err) == 0) {
    for (size_t i = 0; i < n; i++)
      if (r[i].proto != 6 && r[i].proto != 17) abort();
    free(r);
  }
  return 0;
}
