/* portclash schema dump [--out FILE] (Windows): the OS's own layouts of the events
 * portclash reads, read through TDH once, written in the schema text form (FORMAT.md) so
 * that `portclash schema check` on any machine can compare them with the built-in ones. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pc_error.h"
#include "options.h"
#include "pc_schema_reconcile.h"
#include "etw.h"

static const pc_guid *const dump_providers[] = {&PC_GUID_AFD, &PC_GUID_TCPIP, &PC_GUID_WINSOCK_SOCKETS};

static bool builtin_has_id(const pc_schema_set *b, const pc_guid *g, uint16_t id) {
  for (size_t i = 0; i < b->count; i++)
    if (b->events[i].id == id && pc_guid_equal(&b->events[i].provider, g)) return true;
  return false;
}

int pc_schema_dump_os(const pc_tdh_api *api, uint32_t os_build, FILE *out, FILE *err) {
  pc_tdh_api sys;
  if (!api) {
    if (pc_tdh_api_load(&sys) != PC_OK) return PC_ENOTSUP;
    api = &sys;
  }
  if (!api->enumerate_manifest_provider_events || !api->get_manifest_event_information) return PC_ENOTSUP;
  pc_schema_set *builtin = NULL, *dump = calloc(1, sizeof *dump);
  pc_tdh_source *t = NULL;
  pc_schema_source src;
  int rc = dump ? pc_schema_builtin_load(&builtin) : PC_ENOMEM;
  if (rc == PC_OK) rc = pc_tdh_source_new(api, &t, &src);
  if (rc != PC_OK) goto done;
  dump->os_build = os_build;
  static uint16_t ids[4096];
  static uint8_t versions[4096];
  for (size_t p = 0; p < sizeof dump_providers / sizeof dump_providers[0]; p++) {
    const pc_guid *g = dump_providers[p];
    size_t n = 0;
    int lrc = src.list_events(src.ud, g, ids, versions, 4096, &n);
    if (lrc == PC_ENOENT) {
      fprintf(err, "portclash: %s is not on this system\n", pc_provider_name(g));
      continue;
    }
    if (lrc != PC_OK && lrc != PC_ELIMIT) {
      fprintf(err, "portclash: cannot list the events of %s (%s)\n", pc_provider_name(g), pc_strerror(lrc));
      continue;
    }
    for (size_t i = 0; i < n; i++) {
      if (!builtin_has_id(builtin, g, ids[i])) continue; /* only what portclash reads */
      pc_schema_event ev;
      int erc = src.get_event(src.ud, g, ids[i], versions[i], &ev);
      if (erc != PC_OK) {
        fprintf(err, "portclash: %s event %u v%u: not dumped (%s)\n", pc_provider_name(g), ids[i],
                versions[i], pc_strerror(erc));
        continue;
      }
      ev.provider = *g;
      ev.id = ids[i];
      ev.version = versions[i];
      rc = pc_schema_set_put(dump, &ev);
      if (rc != PC_OK) goto done;
    }
  }
  fprintf(out, "# portclash schema dump: the layouts this Windows reports through TDH\n");
  pc_schema_set_write(dump, out);
  rc = ferror(out) ? PC_EIO : PC_OK;
done:
  pc_tdh_source_free(t);
  pc_schema_set_free(builtin);
  pc_schema_set_free(dump);
  return rc;
}

int pc_cmd_schema_dump(int argc, char **argv) {
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_SCHEMA_DUMP, argc, argv, stdout, stderr);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  const char *out_path = o.out;
  FILE *out = stdout;
  if (out_path) {
    out = fopen(out_path, "w");
    if (!out) {
      fprintf(stderr, "portclash: %s: cannot create the file\n", out_path);
      return PC_EXIT_FAILURE;
    }
  }
  pc_os_version v;
  pc_os_version_get(&v);
  int rc = pc_schema_dump_os(NULL, v.build, out, stderr);
  if (out != stdout && fclose(out) != 0 && rc == PC_OK) rc = PC_EIO;
  if (rc == PC_ENOTSUP) {
    fprintf(stderr,
            "portclash: this Windows (%u.%u.%u) has no TdhEnumerateManifestProviderEvents (Windows 8.1+); "
            "nothing to dump\n",
            (unsigned)v.major, (unsigned)v.minor, (unsigned)v.build);
    return PC_EXIT_FAILURE;
  }
  if (rc != PC_OK) {
    fprintf(stderr, "portclash: schema dump failed: %s\n", pc_strerror(rc));
    return PC_EXIT_FAILURE;
  }
  return PC_EXIT_OK;
}
