/* pc_text_input.h - text input shared by the host-state text parsers (module-internal).
 *
 * netsh_ranges.c, netsh_http.c, netstat_ano.c and tasklist_csv.c read their input the same way:
 * convert the bytes to UTF-8 (pc_text_to_utf8), walk the lines within PC_HOSTTEXT_MAX_LINE, grow
 * a row array within a row cap, and report failures as "origin:line: message". Those steps live
 * here once so that every parser keeps the same limits and message form. */
#ifndef PC_TEXT_INPUT_H
#define PC_TEXT_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "pc_compiler.h"
#include "pc_text.h"

/* Writes "origin:line: message" into err (when err and errcap are non-zero) and returns code. */
int pc__hosttext_fail(char *err, size_t errcap, const char *origin, unsigned line, int code, const char *fmt,
                      ...) PC_PRINTF(6, 7);

/* Iterates over the lines of a NUL-terminated UTF-8 buffer. origin, err and errcap are where an
 * over-long line is reported. */
typedef struct pc__lines {
  pc_lines lines;
  unsigned no; /* 1-based number of the line last returned */
  int rc;      /* PC_OK, or PC_ELIMIT once a line longer than PC_HOSTTEXT_MAX_LINE stopped the walk */
  const char *origin;
  char *err;
  size_t errcap;
} pc__lines;

void pc__lines_init(pc__lines *it, const char *text, size_t len, const char *origin, char *err,
                    size_t errcap);
/* Returns the next line without its line end and trailing blanks (*s not NUL-terminated).
 * Returns false at the end of the text, and also at a line longer than PC_HOSTTEXT_MAX_LINE:
 * then it->rc is PC_ELIMIT and err says which line, so callers check it->rc after the loop. */
bool pc__lines_next(pc__lines *it, const char **s, size_t *len);

/* One parse of one input: the text as UTF-8, where errors go, and the row array being built.
 * Every parser runs pc__hosttext_open, pc__hosttext_push per row and pc__hosttext_close, so
 * they share the limits, the messages and the ownership rules. */
typedef struct pc__hosttext {
  char *text; /* the input as NUL-terminated UTF-8 */
  size_t len;
  const char *origin;
  char *err;
  size_t errcap;
  void *rows; /* count rows of elem bytes, cap allocated */
  size_t count, cap, elem, max_rows;
  const char *what; /* what a row is, plural ("rows", "processes"), for the limit message */
} pc__hosttext;

/* Clears err and converts data[0..len) (pc__hosttext_text_open); rows of elem bytes, at most
 * max_rows. Returns PC_OK, or PC_ELIMIT / PC_ENOMEM with err set to "origin:0: ...". Call
 * pc__hosttext_close in every case. */
int pc__hosttext_open(pc__hosttext *h, const void *data, size_t len, const char *origin, size_t elem,
                      size_t max_rows, const char *what, char *err, size_t errcap);

/* pc__hosttext_fail for h's input with PC_EPARSE: "origin:line: message". Returns PC_EPARSE. */
int pc__hosttext_bad(const pc__hosttext *h, unsigned line, const char *fmt, ...) PC_PRINTF(3, 4);

/* A line walker over h's text (pc__lines_init with h's origin and err). */
void pc__hosttext_lines(const pc__hosttext *h, pc__lines *it);

/* Appends a zeroed row and returns it; NULL when max_rows are there ("origin:line: more than
 * N WHAT", *rc = PC_ELIMIT) or memory ran out (*rc = PC_ENOMEM). */
void *pc__hosttext_push(pc__hosttext *h, unsigned line, int *rc);

/* Ends the parse and returns rc: frees the text; with rc == PC_OK hands the rows to *out
 * (a T ** passed as void *) and *n, else frees them and sets *out = NULL, *n = 0. */
int pc__hosttext_close(pc__hosttext *h, int rc, void *out, size_t *n);

/* True for a separator line of dashes and blanks with at least three dashes
 * ("----------    --------"), as netsh writes under its titles. */
bool pc__hosttext_is_dashes(const char *s, size_t len);

#endif
