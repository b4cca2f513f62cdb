/* Fuzzes the decoders and the correlator with arbitrary payloads for every event portclash
 * reads. Input: byte 0 picks the provider, bytes 1-2 the event id index, byte 3 the version
 * and pointer size, bytes 4-7 the header PID; the rest is the payload. Each input is fed as
 * a small stream so correlator state (enter/exit, merges, evictions) is exercised too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "correlator.h"
#include "pc_decode.h"

static void sink(const pc_bind_attempt *a, void *ud) {
  (void)a;
  (*(unsigned *)ud)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pc_decoder *dec;
  static const pc_schema_set *set;
  if (!dec) {
    if (pc_decoder_new(NULL, &dec) != 0) return 0;
    set = pc_decoder_schemas(dec);
  }
  pc_correlator_config cfg;
  pc_correlator_config_default(&cfg);
  cfg.max_endpoints = 4; /* tiny tables so eviction paths run */
  cfg.max_processes = 4;
  cfg.max_open = 2;
  unsigned emitted = 0;
  pc_correlator *cor;
  if (pc_correlator_new(&cfg, sink, &emitted, &cor) != 0) return 0;
  /* Split the input into records at 0xFE 0xFE markers. */
  size_t start = 0;
  pc_time t = 0;
  for (size_t i = 0; i <= size; i++) {
    if (i < size && !(i + 1 < size && data[i] == 0xFE && data[i + 1] == 0xFE)) continue;
    const uint8_t *rec = data + start;
    size_t n = i - start;
    start = i + 2;
    i++; /* skip the second marker byte */
    if (n < 8) continue;
    const pc_schema_event *e = &set->events[(rec[1] | rec[2] << 8) % set->count];
    pc_record r = {0};
    r.provider = rec[0] % 5 == 4 ? (pc_guid){1, 2, 3, {4}} : e->provider;
    r.id = rec[0] % 5 == 3 ? (uint16_t)(rec[1] | rec[2] << 8) : e->id;
    r.version = (rec[3] & 0x10) ? (uint8_t)(rec[3] >> 5) : e->version;
    r.flags = (rec[3] & 3) == 0 ? 0x40 : (rec[3] & 3) == 1 ? 0x20 : 0;
    memcpy(&r.pid, rec + 4, 4);
    r.timestamp = t += (rec[3] & 0x0c) ? 1000000 : 10;
    r.user_data = rec + 8;
    r.user_data_len = (uint32_t)(n - 8);
    pc_event ev;
    if (pc_decoder_decode(dec, &r, &ev) == 0) pc_correlator_feed(cor, &ev);
  }
  pc_correlator_free(cor);
  return 0;
}
