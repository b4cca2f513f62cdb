/* libFuzzer target: the readers of a `portclash collect` folder on arbitrary bytes: the JSON
 * reader, the manifest reader and the Linux recording's line reader. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "pc_json_read.h"
#include "pc_recording.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  char err[600];
  pc_json_doc *d;
  if (pc_json_parse(text, size, "fuzz", &d, err, sizeof err) == 0) {
    const pc_jv *r = pc_json_root(d);
    if (!r) abort();
    for (const pc_jv *v = r->child; v; v = v->next)
      if (v->type == PC_JV_STRING && !v->str) abort();
    pc_json_doc_free(d);
  }
  pc_collect_manifest m;
  if (pc_collect_manifest_parse(text, size, "fuzz", &m, err, sizeof err) == 0) {
    if (m.n_files > PC_COLLECT_MAX_FILES) abort();
    for (size_t i = 0; i < m.n_files; i++)
      if (strchr(m.files[i].name, '/') || strchr(m.files[i].name, '\\') || m.files[i].name[0] == '.') abort();
  }
  pc_facts f;
  (void)pc_recording_parse_line(text, size, "fuzz", 2, &f, err, sizeof err);
  (void)pc_recording_check_header(text, size, "fuzz", err, sizeof err);
  return 0;
}
