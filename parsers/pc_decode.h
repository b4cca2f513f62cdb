/* pc_decode.h - turn pc_records into pc_events, driven by schemas.
 *
 * A decoder owns a schema set and, for every schema, a binding that resolves the property
 * names it needs (with aliases) to positions once, so decoding a record is a table lookup
 * plus one walk. Unknown (provider, id, version) pairs and malformed payloads are counted
 * per kind and reported by pc_decoder_write_summary, never guessed. Not thread-safe: one
 * decoder per pipeline thread. */
#ifndef PC_DECODE_H
#define PC_DECODE_H

#include <stdint.h>
#include <stdio.h>

#include "pc_event.h"
#include "pc_record.h"
#include "pc_schema.h"

typedef struct pc_decoder pc_decoder;

/* Creates a decoder over schemas, taking ownership of the set (NULL = load the built-in
 * set). Returns PC_OK, PC_ENOMEM. On failure the set is freed. */
int pc_decoder_new(pc_schema_set *schemas, pc_decoder **out);

void pc_decoder_free(pc_decoder *d);

/* Replaces (or adds) the schema of one (provider, id, version) and rebinds it; used when
 * the OS reports a different layout. Returns PC_OK, PC_ENOMEM, PC_ELIMIT. */
int pc_decoder_set_schema(pc_decoder *d, const pc_schema_event *ev);

/* The schemas in use (owned by the decoder). */
const pc_schema_set *pc_decoder_schemas(const pc_decoder *d);

/* Decodes r into out. Returns:
 *   PC_OK        out filled;
 *   PC_ENOTSUP   the provider is not one portclash reads (not counted as a problem);
 *   PC_EUNKNOWN  a known provider but an (id, version) without a schema (counted);
 *   PC_ETRUNC / PC_EPARSE / PC_ETRAILING / PC_EINVAL  malformed payload (counted; out is
 *                unspecified). PC_EINVAL means the record does not say its pointer size. */
int pc_decoder_decode(pc_decoder *d, const pc_record *r, pc_event *out);

typedef struct pc_decoder_stats {
  uint64_t decoded;
  uint64_t foreign;   /* other providers */
  uint64_t unknown;   /* known provider, unknown (id, version) */
  uint64_t malformed; /* truncated, bad length, trailing bytes, unknown pointer size */
} pc_decoder_stats;

void pc_decoder_get_stats(const pc_decoder *d, pc_decoder_stats *out);

/* Writes one line per unknown (provider, id, version) and per malformed (event, reason)
 * with its count; nothing when everything decoded. */
void pc_decoder_write_summary(const pc_decoder *d, FILE *out);

#endif
