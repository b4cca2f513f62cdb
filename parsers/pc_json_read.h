/* pc_json_read.h - a small, bounded JSON reader (RFC 8259) for the documents portclash writes
 * itself and reads back: the manifest of a `collect` folder and the lines of a Linux
 * recording. The writer is pc_json_* in pc_format.h; this is the one reader.
 *
 * The whole text is parsed into a tree owned by the document. Limits: nesting depth
 * PC_JSON_READ_MAX_DEPTH, at most PC_JSON_READ_MAX_NODES values, strings of valid UTF-8
 * without NUL (\u0000 is refused: every consumer takes C strings). Bad input gives
 * "ORIGIN: byte N: what is wrong", never a crash. Numbers keep their exact integer value when
 * they are integers that fit 64 bits. Duplicate keys are kept; lookups find the first. */
#ifndef PC_JSON_READ_H
#define PC_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_JSON_READ_MAX_DEPTH 32
#define PC_JSON_READ_MAX_NODES 100000

typedef enum pc_jv_type {
  PC_JV_NULL = 0,
  PC_JV_BOOL,
  PC_JV_NUMBER,
  PC_JV_STRING,
  PC_JV_ARRAY,
  PC_JV_OBJECT
} pc_jv_type;

typedef struct pc_jv {
  pc_jv_type type;
  bool b;                           /* PC_JV_BOOL */
  bool is_integer;                  /* PC_JV_NUMBER written without fraction or exponent and fits below */
  bool negative;                    /* an integer below 0: value in i */
  uint64_t u;                       /* integer >= 0 */
  int64_t i;                        /* integer < 0 */
  const char *str;                  /* PC_JV_STRING (NUL-terminated); also the raw text of a PC_JV_NUMBER */
  const char *key;                  /* the member's name when the parent is an object, else NULL */
  const struct pc_jv *child, *next; /* first element/member, next sibling */
  size_t count;                     /* elements or members */
} pc_jv;

typedef struct pc_json_doc pc_json_doc;

/* Parses text[0..len) (one value, whitespace around it allowed). origin names the input in
 * messages. Returns PC_OK and *out (free with pc_json_doc_free); PC_EPARSE or PC_ELIMIT with
 * err set; PC_ENOMEM. */
int pc_json_parse(const char *text, size_t len, const char *origin, pc_json_doc **out, char *err,
                  size_t errcap);
const pc_jv *pc_json_root(const pc_json_doc *doc);
void pc_json_doc_free(pc_json_doc *doc);

/* The member key of object v (NULL when v is not an object or has no such member). */
const pc_jv *pc_jv_get(const pc_jv *v, const char *key);
/* Typed lookups: the member's value, or NULL / false when it is missing or of another type. */
const char *pc_jv_get_str(const pc_jv *v, const char *key);
bool pc_jv_get_u64(const pc_jv *v, const char *key, uint64_t *out);
bool pc_jv_get_i64(const pc_jv *v, const char *key, int64_t *out);
bool pc_jv_get_bool(const pc_jv *v, const char *key, bool *out);

#endif
