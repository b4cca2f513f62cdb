/* `tasklist /fo csv` output (plain, /svc and /v variants) to process rows.
 *
 * The CSV reader follows RFC 4180 (quoted fields, doubled quotes, separators and line breaks
 * inside quotes) and works on the whole text rather than on lines so that quoted line breaks
 * are handled; record numbers in messages are the line on which the record starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_error.h"
#include "pc_hoststate_text.h"
#include "pc_text_input.h"

#define MAX_FIELDS 16
#define FIELD_MAX PC_HOSTTEXT_MAX_LINE

typedef struct field {
  char text[FIELD_MAX + 1];
  size_t len;
} field;

typedef struct csv {
  const char *p, *end;
  unsigned line; /* current line, 1-based */
} csv;

/* Reads one record into f (cap MAX_FIELDS). Returns the number of fields (0 for an empty
 * line), -1 at the end of input, or a negative pc_err with *what set. */
static int csv_record(csv *c, field *f, size_t *nf, const char **what) {
  *nf = 0;
  if (c->p >= c->end) return -1;
  size_t n = 0;
  for (;;) {
    if (n == MAX_FIELDS) {
      *what = "more than 16 fields";
      return PC_EPARSE;
    }
    field *cur = &f[n++];
    cur->len = 0;
    /* Blanks before a quote are tolerated; inside unquoted fields they are kept. */
    const char *q = c->p;
    while (q < c->end && (*q == ' ' || *q == '\t')) q++;
    if (q < c->end && *q == '"') {
      c->p = q + 1;
      for (;;) {
        if (c->p >= c->end) {
          *what = "unterminated quoted field";
          return PC_EPARSE;
        }
        char ch = *c->p++;
        if (ch == '"') {
          if (c->p < c->end && *c->p == '"') {
            c->p++;
          } else {
            break;
          }
        }
        if (ch == '\n') c->line++;
        if (cur->len >= FIELD_MAX) {
          *what = "field longer than 4096 bytes";
          return PC_ELIMIT;
        }
        cur->text[cur->len++] = ch;
      }
      while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r')) c->p++;
      if (c->p < c->end && *c->p != ',' && *c->p != '\n') {
        *what = "text after a closing quote";
        return PC_EPARSE;
      }
    } else {
      while (c->p < c->end && *c->p != ',' && *c->p != '\n') {
        if (*c->p == '"') {
          *what = "quote inside an unquoted field";
          return PC_EPARSE;
        }
        if (cur->len >= FIELD_MAX) {
          *what = "field longer than 4096 bytes";
          return PC_ELIMIT;
        }
        cur->text[cur->len++] = *c->p++;
      }
      while (cur->len > 0 && (cur->text[cur->len - 1] == '\r' || cur->text[cur->len - 1] == ' ')) cur->len--;
    }
    cur->text[cur->len] = '\0';
    if (c->p >= c->end) break;
    if (*c->p == '\n') {
      c->p++;
      c->line++;
      break;
    }
    c->p++; /* ',' */
  }
  *nf = n;
  if (n == 1 && f[0].len == 0) return 0;
  return (int)n;
}

/* Copies src into dst (cap bytes), cutting on a UTF-8 character boundary. */
static void copy_utf8(char *dst, size_t cap, const char *src, size_t len) {
  if (len >= cap) {
    len = cap - 1;
    while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80) len--;
  }
  memcpy(dst, src, len);
  dst[len] = '\0';
}

static bool parse_u32(const field *f, uint32_t *v) {
  if (f->len == 0 || f->len > 10) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < f->len; i++) {
    if (f->text[i] < '0' || f->text[i] > '9') return false;
    x = x * 10 + (uint64_t)(f->text[i] - '0');
  }
  if (x > UINT32_MAX) return false;
  *v = (uint32_t)x;
  return true;
}

/* "12,345 K", "12.345 K", "3 364 Ko" (any thousands separator, localized unit) -> KiB. */
static bool parse_mem(const field *f, uint64_t *kb) {
  uint64_t x = 0;
  size_t digits = 0;
  for (size_t i = 0; i < f->len; i++) {
    char ch = f->text[i];
    if (ch >= '0' && ch <= '9') {
      if (++digits > 15) return false;
      x = x * 10 + (uint64_t)(ch - '0');
    }
  }
  if (digits == 0) return false;
  *kb = x;
  return true;
}

/* tasklist writes "N/A" for "not applicable" (services of a process without any, user of a
 * protected process). */
static bool is_na(const field *f) {
  return strcmp(f->text, "N/A") == 0;
}

int pc_tasklist_parse(const void *data, size_t len, const char *origin, pc_process_row **out, size_t *n,
                      char *err, size_t errcap) {
  pc__hosttext h;
  int rc =
      pc__hosttext_open(&h, data, len, origin, sizeof **out, PC_TASKLIST_MAX_ROWS, "processes", err, errcap);
  if (rc != PC_OK) return pc__hosttext_close(&h, rc, out, n);

  /* Fields are big (4 KiB each); keep them off the stack. */
  field *f = malloc(MAX_FIELDS * sizeof *f);
  size_t records = 0;
  if (!f) {
    rc = pc__hosttext_fail(err, errcap, origin, 0, PC_ENOMEM, "out of memory");
    goto fail;
  }
  csv c = {.p = h.text, .end = h.text + h.len, .line = 1};
  for (;;) {
    unsigned line = c.line;
    size_t nf;
    const char *what = NULL;
    int r = csv_record(&c, f, &nf, &what);
    if (r == -1) break;
    if (r < 0) {
      rc = pc__hosttext_fail(err, errcap, origin, c.line, r, "%s", what);
      goto fail;
    }
    if (r == 0) continue;
    records++;
    /* "INFO: No tasks are running which match the specified criteria." (localized, but the
     * "INFO:" prefix is kept) means an empty list. */
    if (nf == 1 && strncmp(f[0].text, "INFO:", 5) == 0) continue;
    if (nf != 3 && nf != 5 && nf != 9) {
      rc = pc__hosttext_bad(&h, line, "%zu fields; expected 5 (tasklist /fo csv), 3 (/svc) or 9 (/v)", nf);
      goto fail;
    }
    pc_process_row row;
    memset(&row, 0, sizeof row);
    if (!parse_u32(&f[1], &row.pid)) {
      if (records == 1) continue; /* the header of a run without /nh */
      rc = pc__hosttext_bad(&h, line, "the PID field \"%.40s\" is not a number", f[1].text);
      goto fail;
    }
    copy_utf8(row.name, sizeof row.name, f[0].text, f[0].len);
    if (nf == 3) {
      /* tasklist /m has the same shape with DLL names in the third field; it says nothing
       * about services, so those rows only contribute the name. */
      bool modules = strstr(f[2].text, ".dll") || strstr(f[2].text, ".DLL");
      if (!modules) {
        row.services_known = true;
        if (!is_na(&f[2])) {
          size_t sl = f[2].len;
          if (sl >= sizeof row.services) {
            /* Cut at a service boundary rather than mid-name. */
            sl = sizeof row.services - 1;
            while (sl > 0 && f[2].text[sl] != ',') sl--;
          }
          copy_utf8(row.services, sizeof row.services, f[2].text, sl);
        }
      }
    } else {
      copy_utf8(row.session_name, sizeof row.session_name, f[2].text, f[2].len);
      row.session_known = parse_u32(&f[3], &row.session);
      row.mem_known = parse_mem(&f[4], &row.mem_kb);
      if (nf == 9 && !is_na(&f[6])) copy_utf8(row.user, sizeof row.user, f[6].text, f[6].len);
    }
    pc_process_row *slot = pc__hosttext_push(&h, line, &rc);
    if (!slot) goto fail;
    *slot = row;
  }
  if (h.count == 0 && records == 0) rc = pc__hosttext_bad(&h, c.line, "empty: not `tasklist /fo csv` output");
fail:
  free(f);
  return pc__hosttext_close(&h, rc, out, n);
}
