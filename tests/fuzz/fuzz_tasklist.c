/* libFuzzer target: the tasklist CSV parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_hoststate_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[PC_HOSTTEXT_ERR_MAX];
  pc_process_row *r;
  size_t n;
  if (pc_tasklist_parse(data, size, "fuzz", &r, &n, err, sizeof err) == 0) {
    /* Every string must be terminated inside its field. */
    for (size_t i = 0; i < n; i++)
      if (strlen(r[i].name) >= sizeof r[i].name || strlen(r[i].services) >= sizeof r[i].services) abort();
    free(r);
  }
  return 0;
}
