/* records_to_etl: writes the records of a fixture (tests/FIXTURES.md) into an ETL file with
 * the test ETL writer, so `portclash analyze` is tested end to end on real ETL input.
 * Usage: records_to_etl IN.records OUT.etl [--ptr32] [--compress] [--cpus N]
 * Records are spread over the CPUs round-robin, which exercises the reader's merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl_writer.h"
#include "pc_decode.h"
#include "pc_fixture.h"

int main(int argc, char **argv) {
  if (argc < 3) {
    fputs("usage: records_to_etl IN.records OUT.etl [--ptr32] [--compress] [--cpus N] [--build N]\n", stderr);
    return 2;
  }
  pc_etl_writer_opts o = {0};
  o.pointer_size = 8;
  o.cpus = 4;
  for (int i = 3; i < argc; i++) {
    if (strcmp(argv[i], "--ptr32") == 0)
      o.pointer_size = 4;
    else if (strcmp(argv[i], "--compress") == 0)
      o.compress = true;
    else if (strcmp(argv[i], "--cpus") == 0 && i + 1 < argc)
      o.cpus = (unsigned)strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--build") == 0 && i + 1 < argc)
      o.os_build = (uint32_t)strtoul(argv[++i], NULL, 10);
    else {
      fprintf(stderr, "records_to_etl: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  static char text[1 << 20];
  size_t len = 0;
  if (o.pointer_size == 4) len = (size_t)snprintf(text, sizeof text, "ptr 32\n");
  len += fread(text + len, 1, sizeof text - 1 - len, f);
  fclose(f);
  pc_schema_set *schemas;
  if (pc_schema_builtin_load(&schemas) != 0) return 1;
  pc_fixture *fx;
  if (pc_fixture_open(text, len, argv[1], schemas, &fx) != 0) return 1;
  pc_etl_writer *w = pc_etl_writer_open(argv[2], &o);
  if (!w) {
    perror(argv[2]);
    return 1;
  }
  pc_record r;
  int rc, n = 0;
  while ((rc = pc_fixture_next(fx, &r)) != 1) {
    if (rc != 0) {
      fprintf(stderr, "%s\n", pc_fixture_error(fx));
      return 1;
    }
    r.processor = (uint16_t)(n++ % o.cpus);
    /* The writer takes the header type from the flags; a 32-bit capture has 32-bit records
     * (the fixture encoded pointers with ptr=64 unless the line says otherwise). */
    if (pc_etl_writer_add(w, &r) != 0) return 1;
  }
  pc_fixture_close(fx);
  pc_schema_set_free(schemas);
  return pc_etl_writer_close(w) == 0 ? 0 : 1;
}
