/* lexer.h - splits one line of rule text into tokens (module-internal, pc__ prefix).
 *
 * The language is line-oriented, so the lexer works a line at a time and every token knows
 * its 1-based byte column; string tokens also carry the source column of each decoded byte so
 * that template and regex errors point inside the literal. */
#ifndef PC_RULES_LEXER_H
#define PC_RULES_LEXER_H

#include <stddef.h>
#include <stdint.h>

#include "rules_internal.h"

typedef enum pc__tok_kind {
  PC__TK_EOL = 0,
  PC__TK_IDENT,
  PC__TK_NUM,
  PC__TK_STR,
  PC__TK_OP,
  PC__TK_LPAREN,
  PC__TK_RPAREN,
  PC__TK_LBRACK,
  PC__TK_RBRACK,
  PC__TK_COMMA,
  PC__TK_DOTDOT
} pc__tok_kind;

typedef enum pc__tok_op {
  PC__TOP_EQ,
  PC__TOP_NE,
  PC__TOP_LT,
  PC__TOP_LE,
  PC__TOP_GT,
  PC__TOP_GE,
  PC__TOP_MATCH, /* =~ */
  PC__TOP_NMATCH /* !~ */
} pc__tok_op;

typedef struct pc__token {
  int kind; /* pc__tok_kind */
  int col;
  const char *p; /* source text of the token */
  size_t len;
  uint64_t num; /* NUM */
  int op;       /* OP: pc__tok_op */
  char *s;      /* STR: decoded value, NUL-terminated (owned by the line) */
  size_t slen;
  int *scols; /* STR: source column of s[i], slen + 1 entries (owned by the line) */
} pc__token;

typedef struct pc__line {
  pc__token *toks; /* always ends with an EOL token after a successful lex */
  size_t n, cap;
} pc__line;

/* Tokenizes line[0..len) (no newline). Returns PC_OK, PC_ERULE (the error was reported and
 * the line should be skipped) or PC_ENOMEM. Earlier tokens are released first. */
int pc__lex_line(pc__line *l, const char *line, size_t len, int lineno, const char *origin, pc__diag_sink *d);

/* Releases the tokens' memory; the line can be reused. */
void pc__line_clear(pc__line *l);
void pc__line_free(pc__line *l);

/* Text for an operator, for messages ("=~"). */
const char *pc__op_text(int op);

#endif
