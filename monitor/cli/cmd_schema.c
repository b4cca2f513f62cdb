/* portclash schema check FILE: compare a schema dump (from `schema dump` on a Windows
 * machine, or edited by hand) with the built-in schemas, and say precisely what differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"
#include "pc_error.h"
#include "pc_file.h"
#include "pc_schema.h"

static void usage(FILE *out) {
  fputs(
      "usage: portclash schema check FILE\n"
      "       portclash schema dump [--out FILE]   (Windows only)\n"
      "\n"
      "check  compares FILE (the text written by 'schema dump', see parsers/schemas/FORMAT.md)\n"
      "       with the layouts built into portclash and prints every difference.\n"
      "dump   writes the running Windows' own layouts of the events portclash reads.\n"
      "\n"
      "Exit status: 0 no differences, 1 differences found (or runtime failure),\n"
      "2 bad usage or a malformed FILE (the message names FILE:LINE).\n",
      out);
}

static void describe(const pc_schema_event *e, char *buf, size_t cap) {
  const char *prov = pc_provider_name(&e->provider);
  snprintf(buf, cap, "%s event %u v%u (%s)", prov ? prov : "unknown provider", e->id, e->version, e->name);
}

static int check(const char *path) {
  char *text;
  size_t len;
  int rc = pc_file_read(path, (size_t)16 << 20, &text, &len);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s: %s\n", path, pc_strerror(rc));
    return PC_EXIT_USAGE;
  }
  pc_schema_set *dump, *builtin;
  char err[320];
  rc = pc_schema_set_parse(text, len, path, &dump, err, sizeof err);
  free(text);
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: %s\n", rc == PC_EPARSE ? err : pc_strerror(rc));
    return PC_EXIT_USAGE;
  }
  if (pc_schema_builtin_load(&builtin) != PC_OK) {
    pc_schema_set_free(dump);
    return PC_EXIT_FAILURE;
  }
  unsigned same = 0, differ = 0, extra = 0, missing = 0;
  char name[160], diff[320];
  for (size_t i = 0; i < dump->count; i++) {
    const pc_schema_event *d = &dump->events[i];
    const pc_schema_event *b = pc_schema_set_find(builtin, &d->provider, d->id, d->version);
    describe(d, name, sizeof name);
    if (!b) {
      printf("new:     %s is not built in; portclash would count it as unknown\n", name);
      extra++;
    } else if (!pc_schema_event_same(b, d, diff, sizeof diff)) {
      /* pc_schema_event_same compares (built-in, dump) in that order. */
      printf("differs: %s: %s\n", name, diff);
      differ++;
    } else {
      same++;
    }
  }
  /* Events we know for a provider the dump covers, which the dump lacks. */
  for (size_t i = 0; i < builtin->count; i++) {
    const pc_schema_event *b = &builtin->events[i];
    bool provider_in_dump = false;
    for (size_t k = 0; k < dump->count && !provider_in_dump; k++)
      provider_in_dump = pc_guid_equal(&dump->events[k].provider, &b->provider);
    if (!provider_in_dump || pc_schema_set_find(dump, &b->provider, b->id, b->version)) continue;
    describe(b, name, sizeof name);
    printf("missing: %s is built in but not in the dump\n", name);
    missing++;
  }
  printf("summary: %u identical, %u different, %u new, %u missing\n", same, differ, extra, missing);
  if (dump->os_build) printf("(dump from Windows build %u)\n", (unsigned)dump->os_build);
  pc_schema_set_free(dump);
  pc_schema_set_free(builtin);
  return differ || extra || missing ? PC_EXIT_FAILURE : PC_EXIT_OK;
}

int pc_cmd_schema(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? PC_EXIT_USAGE : PC_EXIT_OK;
  }
  if (strcmp(argv[1], "check") == 0) {
    pc_options o;
    int rc = pc_options_parse(&o, PC_CMD_SCHEMA_CHECK, argc - 1, argv + 1, stdout, stderr);
    if (rc != PC_OPTIONS_RUN) return rc == PC_OPTIONS_HELP ? PC_EXIT_OK : rc;
    return check(o.args[0]);
  }
  if (strcmp(argv[1], "dump") == 0) return pc_cmd_schema_dump(argc - 1, argv + 1);
  fprintf(stderr, "portclash schema: unknown subcommand '%s' (see --help)\n", argv[1]);
  return PC_EXIT_USAGE;
}
