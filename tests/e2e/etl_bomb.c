/* etl_bomb.c - writes an XPRESS decompression bomb: etl_bomb OUT.etl [BUFFERS [CLAIM]]
 *
 * A valid compressed-mode header buffer whose session buffer size says 64 MiB, then
 * BUFFERS (default 1000) compressed data buffers of a few dozen bytes each, every one
 * claiming (and, decompressed, really giving) CLAIM bytes (default 64 MiB) of 0xFF filler:
 * about 80 KB on disk, 64 GB to decompress. A reader without a ratio cap spends minutes on
 * it (issue 20.4). With CLAIM at 1 MiB each buffer passes the per-buffer cap and the
 * whole-file cap must stop it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_writer.h"
#include "pc_error.h"

#define BUFHDR 0x48u
#define SESSION_BUFFER (64u * 1024u * 1024u)

static void w16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void w32(uint8_t *p, uint32_t v) {
  w16(p, v);
  w16(p + 2, v >> 16);
}
static void w64(uint8_t *p, uint64_t v) {
  w32(p, (uint32_t)v);
  w32(p + 4, (uint32_t)(v >> 32));
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: etl_bomb OUT.etl [BUFFERS]\n");
    return 2;
  }
  int buffers = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1000;
  uint32_t claim = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : SESSION_BUFFER;
  if (claim < 2 * BUFHDR || claim > SESSION_BUFFER) claim = SESSION_BUFFER;
  pc_etl_writer_opts o = {0};
  o.compress = true;
  o.buffer_size = 1024;
  o.cpus = 1;
  pc_etl_writer *w = pc_etl_writer_open(argv[1], &o);
  if (!w || pc_etl_writer_close(w) != PC_OK) {
    perror(argv[1]);
    return 1;
  }
  FILE *f = fopen(argv[1], "r+b");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  /* TRACE_LOGFILE_HEADER.BufferSize (after the buffer header and the SYSTEM_TRACE_HEADER):
   * the session's buffers are 64 MiB, so a 64 MiB SavedOffset passes the size check. */
  uint8_t v[4];
  w32(v, SESSION_BUFFER);
  fseek(f, BUFHDR + 0x20, SEEK_SET);
  fwrite(v, 1, 4, f);
  fseek(f, 0, SEEK_END);
  uint8_t *fill = malloc(claim - BUFHDR);
  if (!fill) return 1;
  memset(fill, 0xFF, claim - BUFHDR);
  size_t zlen;
  uint8_t *z = pc_etl_test_xpress_compress(fill, claim - BUFHDR, &zlen);
  free(fill);
  if (!z) return 1;
  for (int i = 0; i < buffers; i++) {
    uint8_t h[BUFHDR];
    memset(h, 0, sizeof h);
    w32(h + 0x00, (uint32_t)(BUFHDR + zlen)); /* stored size */
    w32(h + 0x04, claim);                     /* SavedOffset: the decompressed size */
    w32(h + 0x08, claim);
    w64(h + 0x10, 1000000000ull + (uint64_t)i);
    w64(h + 0x18, (uint64_t)i + 1); /* sequence number */
    w16(h + 0x2A, 0x14);
    w32(h + 0x2C, 3);
    w32(h + 0x30, claim);
    w16(h + 0x34, 0x0060); /* PROC_INDEX | COMPRESSED */
    if (fwrite(h, 1, sizeof h, f) != sizeof h || fwrite(z, 1, zlen, f) != zlen) return 1;
  }
  free(z);
  return fclose(f) == 0 ? 0 : 1;
}
