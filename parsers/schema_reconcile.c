#include <string.h>

#include "pc_error.h"
#include "pc_schema_reconcile.h"

#define MAX_OS_EVENTS 4096

static const pc_guid *const providers[] = {&PC_GUID_AFD, &PC_GUID_TCPIP, &PC_GUID_WINSOCK_SOCKETS};

/* Does the built-in set decode this event id at all (any version)? Only those ids are
 * worth a look: the OS lists hundreds we do not read. */
static const pc_schema_event *builtin_any_version(const pc_schema_set *set, const pc_guid *prov,
                                                  uint16_t id) {
  for (size_t i = 0; i < set->count; i++)
    if (set->events[i].id == id && pc_guid_equal(&set->events[i].provider, prov)) return &set->events[i];
  return NULL;
}

static void reconcile_provider(pc_decoder *dec, const pc_schema_source *src, const pc_guid *prov, FILE *warn,
                               pc_reconcile_stats *st) {
  static uint16_t ids[MAX_OS_EVENTS];
  static uint8_t versions[MAX_OS_EVENTS];
  const char *pname = pc_provider_name(prov);
  size_t n = 0;
  int rc = src->list_events(src->ud, prov, ids, versions, MAX_OS_EVENTS, &n);
  if (rc == PC_ENOENT) {
    st->providers_missing++;
    fprintf(warn, "portclash: %s is not on this system; its events will not be seen\n", pname);
    return;
  }
  if (rc != PC_OK && rc != PC_ELIMIT) {
    fprintf(warn, "portclash: cannot list the events of %s (%s); using the built-in layouts\n", pname,
            pc_strerror(rc));
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const pc_schema_set *set = pc_decoder_schemas(dec);
    if (!builtin_any_version(set, prov, ids[i])) continue;
    const pc_schema_event *ours = pc_schema_set_find(set, prov, ids[i], versions[i]);
    pc_schema_event os;
    memset(&os, 0, sizeof os);
    rc = src->get_event(src->ud, prov, ids[i], versions[i], &os);
    if (rc != PC_OK) {
      st->unreadable++;
      fprintf(warn, "portclash: %s event %u v%u: the system cannot describe its layout (%s); %s\n", pname,
              ids[i], versions[i], pc_strerror(rc),
              ours ? "using the built-in layout" : "its events will be counted as unknown");
      continue;
    }
    os.provider = *prov;
    os.id = ids[i];
    os.version = versions[i];
    char diff[320];
    if (ours && pc_schema_event_same(ours, &os, diff, sizeof diff)) {
      st->identical++;
      continue;
    }
    if (pc_decoder_set_schema(dec, &os) != PC_OK) {
      fprintf(warn, "portclash: %s event %u v%u: cannot use the system's layout (out of memory)\n", pname,
              ids[i], versions[i]);
      continue;
    }
    if (ours) {
      st->replaced++;
      fprintf(warn,
              "portclash: %s event %u v%u differs from the built-in layout (%s); decoding it with the "
              "system's layout\n",
              pname, ids[i], versions[i], diff);
    } else {
      st->added++;
      fprintf(warn,
              "portclash: %s event %u v%u is a version portclash does not know; decoding it with the "
              "system's layout\n",
              pname, ids[i], versions[i]);
    }
  }
}

void pc_schema_reconcile(pc_decoder *dec, const pc_schema_source *src, FILE *warn,
                         pc_reconcile_stats *stats) {
  pc_reconcile_stats st;
  memset(&st, 0, sizeof st);
  for (size_t p = 0; p < sizeof providers / sizeof providers[0]; p++)
    reconcile_provider(dec, src, providers[p], warn, &st);
  if (stats) *stats = st;
}
