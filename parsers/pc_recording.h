/* pc_recording.h - the Linux recording of `portclash collect` (attempts.jsonl): every failed
 * bind attempt the live eBPF source delivered, with what the live host state answered about
 * it at that moment (the failing process, the port's holder, ranges, namespaces). A snapshot
 * of /proc taken afterwards cannot show the moment of failure (the holder may be gone), so
 * `portclash analyze DIR` replays these facts instead of looking anything up.
 *
 * Format: JSON lines. Line 1 is the header {"format":"portclash-recording/1", ...}; every
 * other line is {"attempt":{...},"facts":{...}} with the members of pc_recording_fields
 * (addresses as {"ip":"127.0.0.1","scope":0,"port":8080}, ip null when unknown). Members that
 * are missing keep their zero value; unknown members are ignored (a newer writer). One field
 * table drives the writer (cli, with the one JSON writer) and this reader. */
#ifndef PC_RECORDING_H
#define PC_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_facts.h"

#define PC_RECORDING_FORMAT "portclash-recording/1"
/* Larger than any real collect run; a bound on hostile files. */
#define PC_RECORDING_MAX_BYTES ((size_t)256 << 20)
#define PC_RECORDING_MAX_LINE 16384
/* Attempts kept (each is a pc_facts, a few KB); the writer stops recording at this many. */
#define PC_RECORDING_MAX_ATTEMPTS 50000

typedef enum pc_rec_type {
  PC_REC_BOOL,
  PC_REC_U8,
  PC_REC_U16,
  PC_REC_U32,
  PC_REC_U64,
  PC_REC_I32,
  PC_REC_TIME, /* pc_time (int64) */
  PC_REC_STR,  /* char[size], NUL-terminated */
  PC_REC_ADDR  /* pc_addr */
} pc_rec_type;

typedef struct pc_rec_field {
  const char *name;
  bool in_attempt; /* a member of "attempt" (offset into pc_facts.attempt), else of "facts" */
  pc_rec_type type;
  size_t off, size; /* into pc_facts */
} pc_rec_field;

/* The fields, in writing order. */
const pc_rec_field *pc_recording_fields(size_t *count);

/* Parses one attempt line into *out (zeroed first). PC_OK; PC_EPARSE / PC_ELIMIT with err
 * "ORIGIN:LINE: message" (a JSON error adds the byte); PC_ENOMEM. */
int pc_recording_parse_line(const char *line, size_t len, const char *origin, unsigned lineno, pc_facts *out,
                            char *err, size_t errcap);

/* Checks the header line (line 1). PC_OK or PC_EPARSE with err saying what it is not. */
int pc_recording_check_header(const char *line, size_t len, const char *origin, char *err, size_t errcap);

/* A whole recording: the header and every attempt, in file order. */
typedef struct pc_recording {
  pc_facts *items;
  size_t count;
} pc_recording;

/* Reads path (at most PC_RECORDING_MAX_BYTES). Errors as above, and PC_ENOENT / PC_EIO /
 * PC_ENOTFILE when the file cannot be read (err names it). Free with pc_recording_free. */
int pc_recording_read(const char *path, pc_recording *out, char *err, size_t errcap);
void pc_recording_free(pc_recording *r);

#endif
