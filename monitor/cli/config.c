/* config.c - the `key = value` configuration file (config.h): keys are the rows of the option
 * table (options.h) marked as keys, so a key takes exactly the values of its option. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_compiler.h"
#include "config.h"
#include "pc_file.h"
#include "pc_error.h"

struct pc_config {
  const char **watch; /* watch values, pointing into text */
  size_t watch_count;
  char text[]; /* a NUL-terminated copy of the file, cut into values in place */
};

void pc_config_free(pc_config *c) {
  if (c) free(c->watch);
  free(c);
}

static void trim(char **b, char **e) {
  while (*b < *e && (**b == ' ' || **b == '\t')) (*b)++;
  while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r')) (*e)--;
}

static int fail(char *err, size_t cap, int rc, const char *origin, unsigned line, const char *fmt, ...)
    PC_PRINTF(6, 7);

/* Formats "origin:line: message" (line 0: "origin: message") into err; returns rc. */
static int fail(char *err, size_t cap, int rc, const char *origin, unsigned line, const char *fmt, ...) {
  int n = line ? snprintf(err, cap, "%s:%u: ", origin, line) : snprintf(err, cap, "%s: ", origin);
  if (n >= 0 && (size_t)n < cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, cap - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return rc;
}

int pc_config_apply_text(pc_options *o, const char *text, size_t len, const char *origin, pc_config **storage,
                         char *err, size_t errcap) {
  *storage = NULL;
  if (len > PC_CONFIG_MAX_BYTES)
    return fail(err, errcap, PC_ELIMIT, origin, 0, "larger than %zu bytes; is this the right file?",
                PC_CONFIG_MAX_BYTES);
  if (len >= 2 && (((unsigned char)text[0] == 0xFF && (unsigned char)text[1] == 0xFE) ||
                   ((unsigned char)text[0] == 0xFE && (unsigned char)text[1] == 0xFF)))
    return fail(err, errcap, PC_EPARSE, origin, 0, "is UTF-16; save it as UTF-8");
  pc_config *c = calloc(1, sizeof *c + len + 1); /* len is at most PC_CONFIG_MAX_BYTES */
  if (!c) return PC_ENOMEM;
  memcpy(c->text, text, len);
  c->text[len] = '\0';
  char *p = c->text, *end = c->text + len;
  if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
  size_t n_rows;
  const pc_opt *rows = pc_options_table(&n_rows);
  unsigned seen_line[PC_CONFIG_MAX_ROWS] = {0};
  if (n_rows > PC_CONFIG_MAX_ROWS) {
    pc_config_free(c);
    return fail(err, errcap, PC_ELIMIT, origin, 0, "internal: more than %d options", PC_CONFIG_MAX_ROWS);
  }
  size_t watch_cap = 0;
  int rc = PC_OK;
  for (unsigned line = 1; p < end; line++) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
    if (le - p > PC_CONFIG_MAX_LINE) {
      rc = fail(err, errcap, PC_ELIMIT, origin, line, "line longer than %d bytes", PC_CONFIG_MAX_LINE);
      break;
    }
    if (memchr(p, '\0', (size_t)(le - p))) {
      rc = fail(err, errcap, PC_EPARSE, origin, line, "NUL byte in the line (is this a text file?)");
      break;
    }
    char *b = p, *e = le;
    p = next;
    trim(&b, &e);
    if (b == e || *b == '#') continue;
    *e = '\0';
    if (*b == '[') {
      rc = fail(err, errcap, PC_EPARSE, origin, line,
                "sections ('%s') are not used: write key = value lines only", b);
      break;
    }
    char *eq = strchr(b, '=');
    if (!eq) {
      rc = fail(err, errcap, PC_EPARSE, origin, line, "expected 'key = value', got '%s'", b);
      break;
    }
    char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;
    trim(&kb, &ke);
    trim(&vb, &ve);
    *ke = '\0';
    if (kb == ke) {
      rc = fail(err, errcap, PC_EPARSE, origin, line, "a key is missing before '='");
      break;
    }
    if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') vb++, ve--;
    *ve = '\0';
    const pc_opt *row = NULL;
    for (size_t i = 0; i < n_rows && !row; i++)
      if (rows[i].key && strcmp(rows[i].name, kb) == 0) row = &rows[i];
    if (!row) {
      const pc_opt *any = pc_options_find(kb, 0);
      rc = fail(err, errcap, PC_EPARSE, origin, line,
                any && any->input ? "'%s' is an input of one analysis: give it on the command line"
                                  : "unknown key '%s' (see portclash.conf.example)",
                kb);
      break;
    }
    size_t k = (size_t)(row - rows);
    if (row->type == PC_OPT_LIST) {
      /* Repeatable (the watch list): kept as written, in file order, with the file's name for
       * the messages of whoever reads them. */
      if (vb == ve) {
        rc = fail(err, errcap, PC_EPARSE, origin, line, "'%s' needs a value", kb);
        break;
      }
      if (c->watch_count == PC_CONFIG_MAX_WATCH) {
        rc = fail(err, errcap, PC_ELIMIT, origin, line, "more than %d %s lines", PC_CONFIG_MAX_WATCH, kb);
        break;
      }
      if (c->watch_count == watch_cap) {
        size_t ncap = watch_cap ? watch_cap * 2 : 16;
        const char **nw = realloc(c->watch, ncap * sizeof *nw);
        if (!nw) {
          rc = PC_ENOMEM;
          break;
        }
        c->watch = nw;
        watch_cap = ncap;
      }
      c->watch[c->watch_count++] = vb;
      continue;
    }
    if (seen_line[k]) {
      rc =
          fail(err, errcap, PC_EPARSE, origin, line, "'%s' given twice (first on line %u)", kb, seen_line[k]);
      break;
    }
    seen_line[k] = line;
    if (vb == ve) {
      rc = fail(err, errcap, PC_EPARSE, origin, line, "'%s' needs a value", kb);
      break;
    }
    char as[80], msg[PC_CONFIG_ERR_MAX];
    snprintf(as, sizeof as, "'%s'", kb);
    if (!pc__options_set(o, row, vb, true, as, msg, sizeof msg)) {
      rc = fail(err, errcap, PC_EPARSE, origin, line, "%s", msg);
      break;
    }
  }
  if (rc != PC_OK) {
    pc_config_free(c);
    return rc;
  }
  o->run.watch = c->watch;
  o->run.watch_count = c->watch_count;
  *storage = c;
  return PC_OK;
}

int pc_config_apply_file(pc_options *o, const char *path, pc_config **storage, char *err, size_t errcap) {
  *storage = NULL;
  FILE *f;
  int orc = pc_file_open(path, &f);
  if (orc == PC_ENOTFILE)
    return fail(err, errcap, PC_ENOTFILE, path, 0,
                "the configuration file is not a regular file (a directory, FIFO, socket or device)");
  if (orc != PC_OK) return fail(err, errcap, PC_ENOENT, path, 0, "cannot open the configuration file");
  /* One byte more than the limit tells "too large" from "exactly at the limit". */
  char *text = malloc(PC_CONFIG_MAX_BYTES + 1);
  if (!text) {
    fclose(f);
    return PC_ENOMEM;
  }
  size_t len = fread(text, 1, PC_CONFIG_MAX_BYTES + 1, f);
  bool bad = ferror(f) != 0;
  fclose(f);
  int rc;
  if (bad)
    rc = fail(err, errcap, PC_EIO, path, 0, "cannot read the configuration file");
  else
    rc = pc_config_apply_text(o, text, len, path, storage, err, errcap);
  free(text);
  return rc;
}
