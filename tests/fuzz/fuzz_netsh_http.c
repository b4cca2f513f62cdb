/* libFuzzer target: the netsh http servicestate / urlacl parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pc_hoststate_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[PC_HOSTTEXT_ERR_MAX];
  pc_http_reg *r;
  size_t n;
  if (pc_netsh_http_parse(data, size, "fuzz", &r, &n, err, sizeof err) == 0) {
    for (size_t i = 0; i < n; i++) {
      if (r[i].port == 0 || r[i].n_pids > PC_HTTP_MAX_PIDS) abort();
      if (memchr(r[i].url, '\0', sizeof r[i].url) == NULL) abort();
      (void)pc_http_reg_known_service(&r[i]);
    }
    if (n) (void)pc_http_reg_find(r, n, r[0].port);
    free(r);
  }
  return 0;
}
