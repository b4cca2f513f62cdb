/* cmd_etl_info.c - `portclash etl info`: header facts and event counts of an .etl file.
 *
 * It reads the whole file through pc_etl (so it also proves the file is readable to the
 * end) and reports what it found, even when the file turns out to be damaged part-way:
 * the facts and counts up to the damage are printed, then the error. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "pc_error.h"
#include "options.h"
#include "pc_etl.h"
#include "pc_file.h"
#include "pc_format.h"
#include "pc_xpress.h"

static const char *provider_name(const pc_guid *g) {
  if (pc_guid_equal(g, &PC_GUID_AFD)) return "Microsoft-Windows-Winsock-AFD";
  if (pc_guid_equal(g, &PC_GUID_TCPIP)) return "Microsoft-Windows-TCPIP";
  if (pc_guid_equal(g, &PC_GUID_WINSOCK_SOCKETS)) return "Microsoft-Windows-Winsock-Sockets";
  return NULL;
}

static void time_text(pc_time t, char buf[40]) {
  if (t == 0 || !pc_time_format_rfc3339(t, buf, 40))
    snprintf(buf, 40, "%s", t == 0 ? "(not set)" : "(unknown)");
}

/* Header times of 0 mean "not set" (null), like unknown ones. */
static void json_time(pc_json_writer *w, const char *key, pc_time t) {
  pc_json_key(w, key);
  pc_json_time(w, t == 0 ? PC_TIME_UNKNOWN : t);
}

static void print_text(FILE *o, const char *path, const pc_etl_info *in, const pc_etl_count *c, size_t nc) {
  char a[40], b[40];
  fprintf(o, "file:          %s\n", path);
  fprintf(o, "os:            Windows %u.%u build %" PRIu32 "\n", in->os_major, in->os_minor, in->os_build);
  fprintf(o, "pointer size:  %" PRIu32 " bytes\n", in->pointer_size);
  fprintf(o, "cpus:          %" PRIu32 " (%" PRIu32 " MHz)\n", in->cpu_count, in->cpu_speed_mhz);
  fprintf(o, "clock:         %s, %" PRId64 " Hz\n", pc_etl_clock_name(in->clock_type), in->perf_freq);
  time_text(in->start_time, a);
  time_text(in->end_time, b);
  fprintf(o, "start:         %s\n", a);
  fprintf(o, "end:           %s\n", b);
  time_text(in->boot_time, a);
  fprintf(o, "boot:          %s\n", a);
  fprintf(o, "logger:        %s\n", in->logger_name[0] ? in->logger_name : "(none)");
  fprintf(o, "log file mode: 0x%08" PRIx32 "\n", in->log_file_mode);
  fprintf(o, "buffers:       %" PRIu64 " read, %" PRIu32 " written, %" PRIu32 " bytes each\n",
          in->buffers_read, in->buffers_written, in->buffer_size);
  fprintf(o, "compression:   %s\n", pc_compression_name(in->compression));
  fprintf(o, "events lost:   %" PRIu32 "\n", in->events_lost);
  fprintf(o, "buffers lost:  %" PRIu32 "\n", in->buffers_lost);
  fprintf(o,
          "events:        %" PRIu64 " delivered, %" PRIu64 " out of time order, %" PRIu64
          " other records skipped\n",
          in->events_delivered, in->events_late, in->records_skipped);
  if (in->first_event != PC_TIME_UNKNOWN) {
    time_text(in->first_event, a);
    time_text(in->last_event, b);
    double span = (double)(in->last_event - in->first_event) / 1e7;
    fprintf(o, "span:          %s .. %s (%.6f s)\n", a, b, span);
  } else {
    fprintf(o, "span:          (no events)\n");
  }
  fprintf(o, "providers:\n");
  for (size_t i = 0; i < nc;) {
    size_t j = i;
    uint64_t total = 0;
    while (j < nc && pc_guid_equal(&c[j].provider, &c[i].provider)) total += c[j++].events;
    char g[39];
    pc_guid_format(&c[i].provider, g);
    const char *name = provider_name(&c[i].provider);
    fprintf(o, "  %s%s%s  %" PRIu64 " events\n", g, name ? " " : "", name ? name : "", total);
    for (; i < j; i++) fprintf(o, "    id %5u v%u  %" PRIu64 "\n", c[i].id, c[i].version, c[i].events);
  }
  if (in->other_events)
    fprintf(o, "  (more distinct event kinds than counted: %" PRIu64 " events)\n", in->other_events);
}

static void print_json(FILE *o, const char *path, const pc_etl_info *in, const pc_etl_count *c, size_t nc,
                       int err, const char *msg, uint64_t off) {
  pc_json_writer w;
  pc_json_init(&w, o);
  pc_json_begin_object(&w);
  pc_json_key_str(&w, "file", path);
  pc_json_key(&w, "os");
  pc_json_begin_object(&w);
  pc_json_key_u64(&w, "major", in->os_major);
  pc_json_key_u64(&w, "minor", in->os_minor);
  pc_json_key_u64(&w, "build", in->os_build);
  pc_json_end_object(&w);
  pc_json_key_u64(&w, "pointer_size", in->pointer_size);
  pc_json_key_u64(&w, "cpus", in->cpu_count);
  pc_json_key_u64(&w, "cpu_speed_mhz", in->cpu_speed_mhz);
  pc_json_key_str(&w, "clock", pc_etl_clock_name(in->clock_type));
  pc_json_key_i64(&w, "perf_freq", in->perf_freq);
  json_time(&w, "start_time", in->start_time);
  json_time(&w, "end_time", in->end_time);
  json_time(&w, "boot_time", in->boot_time);
  pc_json_key_str(&w, "logger", in->logger_name);
  pc_json_key_u64(&w, "log_file_mode", in->log_file_mode);
  pc_json_key_u64(&w, "buffer_size", in->buffer_size);
  pc_json_key_u64(&w, "buffers_read", in->buffers_read);
  pc_json_key_u64(&w, "buffers_written", in->buffers_written);
  pc_json_key_str(&w, "compression", pc_compression_name(in->compression));
  pc_json_key_u64(&w, "events_lost", in->events_lost);
  pc_json_key_u64(&w, "buffers_lost", in->buffers_lost);
  pc_json_key_u64(&w, "events", in->events_delivered);
  pc_json_key_u64(&w, "events_late", in->events_late);
  pc_json_key_u64(&w, "records_skipped", in->records_skipped);
  json_time(&w, "first_event", in->first_event == PC_TIME_UNKNOWN ? 0 : in->first_event);
  json_time(&w, "last_event", in->last_event == PC_TIME_UNKNOWN ? 0 : in->last_event);
  pc_json_key(&w, "providers");
  pc_json_begin_array(&w);
  for (size_t i = 0; i < nc;) {
    size_t j = i;
    uint64_t total = 0;
    while (j < nc && pc_guid_equal(&c[j].provider, &c[i].provider)) total += c[j++].events;
    char g[39];
    pc_guid_format(&c[i].provider, g);
    pc_json_begin_object(&w);
    pc_json_key_str(&w, "guid", g);
    pc_json_key_str(&w, "name", provider_name(&c[i].provider));
    pc_json_key_u64(&w, "events", total);
    pc_json_key(&w, "ids");
    pc_json_begin_array(&w);
    for (size_t k = i; k < j; k++) {
      pc_json_begin_object(&w);
      pc_json_key_u64(&w, "id", c[k].id);
      pc_json_key_u64(&w, "version", c[k].version);
      pc_json_key_u64(&w, "events", c[k].events);
      pc_json_end_object(&w);
    }
    pc_json_end_array(&w);
    pc_json_end_object(&w);
    i = j;
  }
  pc_json_end_array(&w);
  pc_json_key(&w, "error");
  if (err) {
    pc_json_begin_object(&w);
    pc_json_key_str(&w, "code", pc_errname(err));
    pc_json_key_str(&w, "message", msg);
    pc_json_key_u64_or_null(&w, "offset", off != UINT64_MAX, off);
    pc_json_end_object(&w);
  } else {
    pc_json_null(&w);
  }
  pc_json_end_object(&w);
  pc_json_end_document(&w);
}

/* Damaged or unsupported input is the user's input problem (2); I/O and memory are
 * runtime failures (1). */
static int exit_for(int err) {
  return err == PC_EIO || err == PC_ENOMEM ? 1 : 2;
}

int pc_cmd_etl_info_to(int argc, char **argv, FILE *out, FILE *err) {
  /* argv[0] is "etl" (then "info" follows) or "info". */
  if (argc > 1 && strcmp(argv[0], "etl") == 0 && strcmp(argv[1], "info") == 0) argc--, argv++;
  pc_options o;
  int prc = pc_options_parse(&o, PC_CMD_ETL_INFO, argc, argv, out, err);
  if (prc != PC_OPTIONS_RUN) return prc == PC_OPTIONS_HELP ? PC_EXIT_OK : prc;
  const char *path = o.args[0];
  bool json = o.json;
  char msg[768];
  pc_etl_reader *r;
  int rc = pc_etl_open(path, &r, msg, sizeof msg);
  if (rc != PC_OK) {
    if (pc_file_is_archive(path, msg, sizeof msg)) {
      fprintf(err, "portclash: %s\n", msg);
      return PC_EXIT_USAGE;
    }
    fprintf(err, "portclash: %s: %s\n", path, msg);
    return rc == PC_ENOENT ? 2 : exit_for(rc);
  }
  pc_record rec;
  while ((rc = pc_etl_next(r, &rec)) == PC_OK) {
  }
  int e = rc == 1 ? 0 : rc;
  size_t nc;
  const pc_etl_count *c = pc_etl_counts(r, &nc);
  if (json)
    print_json(out, path, pc_etl_get_info(r), c, nc, e, pc_etl_error(r), pc_etl_error_offset(r));
  else
    print_text(out, path, pc_etl_get_info(r), c, nc);
  int code = 0;
  if (e) {
    fprintf(err, "portclash: %s: %s\n", path, pc_etl_error(r));
    code = exit_for(e);
  }
  pc_etl_close(r);
  return code;
}

int pc_cmd_etl_info(int argc, char **argv) {
  return pc_cmd_etl_info_to(argc, argv, stdout, stderr);
}
