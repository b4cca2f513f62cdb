/* fuzz_etl.c - libFuzzer target: any bytes as an ETL file image, read to the end. The
 * decompression-bomb cap must hold for every input: the reader never decompresses more
 * than PC_ETL_XPRESS_FILE_FLOOR + PC_ETL_XPRESS_MAX_RATIO times the input's size. */
#include <stddef.h>
#include <stdint.h>

#include "pc_error.h"
#include "pc_etl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pc_etl_reader *r;
  char err[256];
  if (pc_etl_open_memory(data, size, &r, err, sizeof err) != PC_OK) return 0;
  pc_record rec;
  uint64_t sum = 0;
  int rc;
  while ((rc = pc_etl_next(r, &rec)) == PC_OK) {
    /* Touch every delivered byte so ASan checks the borrow really is in bounds. */
    for (uint32_t i = 0; i < rec.user_data_len; i++) sum += rec.user_data[i];
  }
  if (rc != 1 && pc_etl_error(r)[0] == '\0') __builtin_trap(); /* errors carry a message */
  size_t n;
  pc_etl_counts(r, &n);
  const pc_etl_info *info = pc_etl_get_info(r);
  if (info->bytes_inflated > PC_ETL_XPRESS_FILE_FLOOR + (uint64_t)PC_ETL_XPRESS_MAX_RATIO * size)
    __builtin_trap(); /* the bomb cap did not hold */
  pc_etl_close(r);
  return (int)(sum & 0);
}
