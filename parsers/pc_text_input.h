/* pc_text_input.h - text input shared by the host-state text parsers (module-internal).
 *
 * netsh_ranges.c, netstat_ano.c and tasklist_csv.c read their input the same way: convert the
 * bytes to UTF-8 (pc_text_to_utf8), walk the lines within PC_HOSTTEXT_MAX_LINE, grow a row
 * array within a row cap, and report failures as "origin:line: message". Those steps live here
 * once so that every parser keeps the same limits and message form. */
#ifndef PC_TEXT_INPUT_H
#define PC_TEXT_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "pc_compiler.h"
#include "pc_text.h"

/* Writes "origin:line: message" into err (when err and errcap are non-zero) and returns code. */
int pc__hosttext_fail(char *err, size_t errcap, const char *origin, unsigned line, int code, const char *fmt,
                      ...) PC_PRINTF(6, 7);

/* The first step of every parser: clears err, then converts data[0..len) to NUL-terminated
 * UTF-8 in *text (caller frees; NULL on failure). Returns PC_OK, or PC_ELIMIT / PC_ENOMEM with
 * err set to "origin:0: ...". */
int pc__hosttext_open(const void *data, size_t len, const char *origin, char **text, size_t *text_len,
                      char *err, size_t errcap);

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

/* Makes room in *arr (elem bytes each, *cap allocated) for element number n. Returns PC_OK,
 * PC_ELIMIT when n reached max_rows, or PC_ENOMEM; the caller words the message, since what
 * a row is differs by parser. */
int pc__hosttext_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t max_rows);

#endif
