/* Fuzzes the record fixture reader, then decodes what it produces. */
#include <stdint.h>

#include "pc_decode.h"
#include "pc_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pc_decoder *dec;
  if (!dec && pc_decoder_new(NULL, &dec) != 0) return 0;
  pc_fixture *fx;
  if (pc_fixture_open((const char *)data, size, "fuzz", pc_decoder_schemas(dec), &fx) != 0) return 0;
  pc_record r;
  int rc, guard = 0;
  while ((rc = pc_fixture_next(fx, &r)) != 1 && guard++ < 10000) {
    if (rc != 0) continue;
    pc_event ev;
    pc_decoder_decode(dec, &r, &ev);
  }
  pc_fixture_close(fx);
  return 0;
}
