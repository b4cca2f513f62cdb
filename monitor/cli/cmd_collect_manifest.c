/* cmd_collect_manifest.c - reading a `portclash collect` folder back for `portclash analyze
 * DIR` (collect.h): the manifest (through the one JSON reader, pc_json_read.h), the files it
 * names, and the analyze inputs they imply. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "pc_compiler.h"
#include "pc_file.h"
#include "pc_json_read.h"

#ifdef _WIN32
#define SEP "\\"
#else
#define SEP "/"
#endif

static int PC_PRINTF(4, 5) bad(char *err, size_t cap, const char *origin, const char *fmt, ...) {
  char what[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (cap) snprintf(err, cap, "%s: %s", origin, what);
  return PC_EPARSE;
}

static bool copy_str(char *dst, size_t cap, const char *s) {
  if (!s) return false;
  size_t n = strlen(s);
  if (n >= cap) return false;
  memcpy(dst, s, n + 1);
  return true;
}

/* A file of the folder is named by a plain name: no folder part, nothing hidden above it. */
static bool plain_name(const char *s) {
  return s[0] && s[0] != '.' && !strpbrk(s, "/\\:");
}

/* Steps *p over one leading hint ("tcp:", ...); false when there is none. */
static bool known_hints_prefix(const char **p) {
  static const char *const words[] = {"tcp:", "udp:", "ipv4:", "ipv6:"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t n = strlen(words[i]);
    if (strncmp(*p, words[i], n) == 0) {
      *p += n;
      return true;
    }
  }
  return false;
}

static bool known_hints(const char *h) {
  while (*h)
    if (!known_hints_prefix(&h)) return false;
  return true;
}

int pc_collect_manifest_parse(const char *text, size_t len, const char *origin, pc_collect_manifest *out,
                              char *err, size_t errcap) {
  memset(out, 0, sizeof *out);
  pc_json_doc *doc;
  int rc = pc_json_parse(text, len, origin, &doc, err, errcap);
  if (rc != PC_OK) return rc;
  const pc_jv *root = pc_json_root(doc);
  const char *fmt = pc_jv_get_str(root, "format");
  uint64_t build = 0;
  const pc_jv *files = pc_jv_get(root, "files");
  if (!fmt || strcmp(fmt, PC_COLLECT_FORMAT) != 0) {
    rc = bad(err, errcap, origin, "not a portclash collect manifest (\"format\" must be \"%s\")",
             PC_COLLECT_FORMAT);
  } else if (!copy_str(out->command, sizeof out->command, pc_jv_get_str(root, "command"))) {
    rc = bad(err, errcap, origin, "\"command\" is missing or too long");
  } else if (!pc_jv_get_bool(root, "complete", &out->complete)) {
    rc = bad(err, errcap, origin, "\"complete\" must be true or false");
  } else if (!files || files->type != PC_JV_ARRAY) {
    rc = bad(err, errcap, origin, "\"files\" must be an array");
  } else if (files->count > PC_COLLECT_MAX_FILES) {
    rc = bad(err, errcap, origin, "more than %d files", PC_COLLECT_MAX_FILES);
  } else if (pc_jv_get(root, "os_build") &&
             (!pc_jv_get_u64(root, "os_build", &build) || build > UINT32_MAX)) {
    rc = bad(err, errcap, origin, "\"os_build\" must be a number");
  }
  out->os_build = (uint32_t)build;
  /* Optional texts: null or missing is fine, too long is not. */
  const struct {
    const char *key;
    char *dst;
    size_t cap;
  } opt[] = {{"os", out->os, sizeof out->os},
             {"source", out->source, sizeof out->source},
             {"host", out->host, sizeof out->host}};
  for (size_t i = 0; rc == PC_OK && i < sizeof opt / sizeof opt[0]; i++) {
    const pc_jv *v = pc_jv_get(root, opt[i].key);
    if (!v || v->type == PC_JV_NULL) continue;
    if (v->type != PC_JV_STRING || !copy_str(opt[i].dst, opt[i].cap, v->str))
      rc = bad(err, errcap, origin, "\"%s\" must be a short text", opt[i].key);
  }
  for (const pc_jv *f = files ? files->child : NULL; rc == PC_OK && f; f = f->next) {
    pc_collect_file *cf = &out->files[out->n_files];
    const char *name = pc_jv_get_str(f, "name");
    const pc_jv *hints = pc_jv_get(f, "hints");
    if (f->type != PC_JV_OBJECT || !name) {
      rc = bad(err, errcap, origin, "every entry of \"files\" needs a \"name\"");
    } else if (!plain_name(name) || !copy_str(cf->name, sizeof cf->name, name)) {
      rc = bad(err, errcap, origin, "file name '%s' is not a plain name inside the folder", name);
    } else if (!copy_str(cf->kind, sizeof cf->kind, pc_jv_get_str(f, "kind"))) {
      rc = bad(err, errcap, origin, "file %s has no \"kind\"", name);
    } else if (!pc_jv_get_bool(f, "ok", &cf->ok)) {
      rc = bad(err, errcap, origin, "file %s: \"ok\" must be true or false", name);
    } else if (hints && hints->type != PC_JV_NULL &&
               (hints->type != PC_JV_STRING || !known_hints(hints->str) ||
                !copy_str(cf->hints, sizeof cf->hints, hints->str))) {
      rc = bad(err, errcap, origin, "file %s: \"hints\" may only hold tcp: udp: ipv4: ipv6:", name);
    } else {
      out->n_files++;
    }
  }
  pc_json_doc_free(doc);
  return rc;
}

bool pc__collect_is_dir(const char *path) {
  return pc_os_is_dir(path);
}

int pc__collect_inputs(const char *dir, pc_collect_inputs *in, pc_hoststate_offline_files *off,
                       FILE *errout) {
  memset(in, 0, sizeof *in);
  char path[4300];
  snprintf(path, sizeof path, "%s%s%s", dir, SEP, PC_COLLECT_MANIFEST);
  char *text = NULL;
  size_t len = 0;
  int rc = pc_file_read(path, PC_COLLECT_MANIFEST_MAX, &text, &len);
  if (rc == PC_ENOENT) {
    fprintf(errout,
            "portclash analyze: %s is a folder without %s: not one written by 'portclash collect' (give a "
            "capture FILE, or the folder collect made)\n",
            dir, PC_COLLECT_MANIFEST);
    return PC_EXIT_USAGE;
  }
  if (rc != PC_OK) {
    fprintf(errout, "portclash analyze: %s: %s\n", path, pc_strerror(rc));
    return rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
  }
  char err[600];
  rc = pc_collect_manifest_parse(text, len, path, &in->m, err, sizeof err);
  free(text);
  if (rc != PC_OK) {
    fprintf(errout, "portclash analyze: %s\n", err);
    return rc == PC_ENOMEM ? PC_EXIT_FAILURE : PC_EXIT_USAGE;
  }
  if (!in->m.complete)
    fprintf(errout, "portclash analyze: note: %s says the collect run was stopped early (Ctrl+C)\n", path);
  /* Every file analyze uses must be there; the others are for people. */
  char missing[1024] = "";
  size_t nm = 0;
  for (size_t i = 0; i < in->m.n_files; i++) {
    const pc_collect_file *f = &in->m.files[i];
    const char *k = f->kind;
    int slot = strcmp(k, PC_COLLECT_KIND_EXCLUDED) == 0    ? 0
               : strcmp(k, PC_COLLECT_KIND_DYNAMIC) == 0   ? 1
               : strcmp(k, PC_COLLECT_KIND_NETSTAT) == 0   ? 2
               : strcmp(k, PC_COLLECT_KIND_TASKLIST) == 0  ? 3
               : strcmp(k, PC_COLLECT_KIND_HTTP) == 0      ? 4
               : strcmp(k, PC_COLLECT_KIND_CAPTURE) == 0   ? 5
               : strcmp(k, PC_COLLECT_KIND_RECORDING) == 0 ? 6
                                                           : -1;
    if (slot < 0) continue;
    char *p = in->storage[i];
    if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir, SEP, f->name) >= sizeof in->source_path) {
      fprintf(errout, "portclash analyze: the path of %s in %s is too long\n", f->name, dir);
      return PC_EXIT_USAGE;
    }
    FILE *fp;
    if (pc_file_open(path, &fp) != PC_OK) {
      /* A tool (or the capture) that failed left nothing usable: the manifest says so, and
       * analyze goes on with the rest. */
      if (!f->ok) continue;
      nm++;
      size_t used = strlen(missing);
      snprintf(missing + used, sizeof missing - used, "%s%s", used ? ", " : "", f->name);
      continue;
    }
    fclose(fp);
    if (slot >= 5) {
      if (in->source_path[0]) {
        fprintf(errout, "portclash analyze: %s names two captures or recordings; it has one\n",
                PC_COLLECT_MANIFEST);
        return PC_EXIT_USAGE;
      }
      memcpy(in->source_path, path, strlen(path) + 1);
      in->recording = slot == 6;
      continue;
    }
    if (!f->ok) continue; /* a tool's error message is not its output */
    if ((size_t)snprintf(p, sizeof in->storage[i], "%s%s", f->hints, path) >= sizeof in->storage[i]) continue;
    const char **list[] = {off->netsh_excluded, off->netsh_dynamic, off->netstat, off->tasklist,
                           off->netsh_http};
    size_t *count[] = {&off->n_netsh_excluded, &off->n_netsh_dynamic, &off->n_netstat, &off->n_tasklist,
                       &off->n_netsh_http};
    if (*count[slot] < PC_HOSTSTATE_MAX_FILES) list[slot][(*count[slot])++] = p;
  }
  if (nm) {
    fprintf(errout, "portclash analyze: %s is incomplete: %zu file%s named in %s %s missing: %s\n", dir, nm,
            nm == 1 ? "" : "s", PC_COLLECT_MANIFEST, nm == 1 ? "is" : "are", missing);
    return PC_EXIT_USAGE;
  }
  if (!in->source_path[0]) {
    fprintf(errout,
            "portclash analyze: %s holds no capture and no recording (%s lists none that was taken: see its "
            "\"note\" members), so there are no binds to explain\n",
            dir, PC_COLLECT_MANIFEST);
    return PC_EXIT_USAGE;
  }
  return PC_EXIT_OK;
}

bool pc__collect_drop_failed(pc_hoststate_offline_files *off, const char *err) {
  const char **lists[] = {off->netsh_excluded, off->netsh_dynamic, off->netstat, off->tasklist,
                          off->netsh_http};
  size_t *counts[] = {&off->n_netsh_excluded, &off->n_netsh_dynamic, &off->n_netstat, &off->n_tasklist,
                      &off->n_netsh_http};
  for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
    for (size_t i = 0; i < *counts[l]; i++) {
      /* The message names the file without its hints. */
      const char *path = lists[l][i];
      while (known_hints_prefix(&path)) {
      }
      size_t n = strlen(path);
      if (strncmp(err, path, n) != 0 || (err[n] != ':' && err[n] != '\0')) continue;
      memmove(&lists[l][i], &lists[l][i + 1], (*counts[l] - i - 1) * sizeof lists[l][0]);
      (*counts[l])--;
      return true;
    }
  return false;
}
