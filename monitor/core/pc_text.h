/* pc_text.h - the small text helpers every parser shares: one line splitter, one unsigned
 * integer parser and one UTF-8 encoder, so that each file format does not grow its own. */
#ifndef PC_TEXT_H
#define PC_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Walks text[0..len) line by line. A line ends at LF (or the end of the text); the LF and one
 * CR before it are not part of the line, so LF and CRLF files read alike. The text is
 * borrowed and never modified; it may contain NUL bytes (callers that want text check). */
typedef struct pc_lines {
  const char *p, *end;
  unsigned no; /* number of the line last returned, from 1 */
} pc_lines;

void pc_lines_init(pc_lines *it, const char *text, size_t len);

/* The next line into *s / *len (not NUL-terminated). false at the end of the text. */
bool pc_lines_next(pc_lines *it, const char **s, size_t *len);

/* Parses s[0..len) as an unsigned decimal number (or, with allow_hex, "0x" and hex digits)
 * no larger than max: no sign, no blanks, at least one digit. false (out untouched)
 * otherwise, overflow included. */
bool pc_parse_uint(const char *s, size_t len, uint64_t max, bool allow_hex, uint64_t *out);

/* Writes the UTF-8 encoding of code point cp (at most U+10FFFF; callers replace surrogates
 * first) into out[0..3] and returns its length, 1 to 4. */
size_t pc_utf8_encode(uint32_t cp, char out[4]);

#endif
