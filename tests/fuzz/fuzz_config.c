/* libFuzzer target: the configuration file parser (monitor/cli/config.c) on arbitrary bytes. Every
 * input is either accepted (then every option string and watch entry must be readable) or
 * refused with a message that names the origin. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pc_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pc_options all;
  pc_options_init(&all);
  pc_run_options *o = &all.run;
  pc_config *c = NULL;
  char err[PC_CONFIG_ERR_MAX];
  int rc = pc_config_apply_text(&all, (const char *)data, size, "f.conf", &c, err, sizeof err);
  if (rc == PC_OK) {
    size_t sum = 0;
    for (size_t i = 0; i < o->watch_count; i++) sum += strlen(o->watch[i]);
    if (o->sinks.log_path) sum += strlen(o->sinks.log_path);
    if (o->sinks.syslog_url) sum += strlen(o->sinks.syslog_url);
    if (o->sinks.host) sum += strlen(o->sinks.host);
    if (o->rules_dir) sum += strlen(o->rules_dir);
    if (sum == (size_t)-1) abort();
    pc_config_free(c);
  } else if (rc != PC_ENOMEM && strncmp(err, "f.conf:", 7) != 0) {
    abort();
  }
  return 0;
}
