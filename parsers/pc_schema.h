/* pc_schema.h - ETW payload layouts as data, and the one walker that reads them.
 *
 * A schema describes one (provider, event id, version): its properties in order, each with
 * a TDH in-type, and for byte blobs either a fixed length or the name of the earlier
 * property that holds the length. Pointer-sized properties take their size from the
 * record, never from the build. The built-in set is the text in schemas/builtin.schema;
 * on Windows the OS's own schemas (read once through TDH) can replace entries. The same
 * text form is what `portclash schema dump` writes and `schema check` reads. */
#ifndef PC_SCHEMA_H
#define PC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_record.h"

/* TDH in-type numbers (TDH_INTYPE_* in tdh.h); the values are Microsoft's. */
typedef enum pc_intype {
  PC_IN_NULL = 0,
  PC_IN_UNICODESTRING = 1,
  PC_IN_ANSISTRING = 2,
  PC_IN_INT8 = 3,
  PC_IN_UINT8 = 4,
  PC_IN_INT16 = 5,
  PC_IN_UINT16 = 6,
  PC_IN_INT32 = 7,
  PC_IN_UINT32 = 8,
  PC_IN_INT64 = 9,
  PC_IN_UINT64 = 10,
  PC_IN_FLOAT = 11,
  PC_IN_DOUBLE = 12,
  PC_IN_BOOLEAN = 13, /* a 4-byte BOOL */
  PC_IN_BINARY = 14,
  PC_IN_GUID = 15,
  PC_IN_POINTER = 16,
  PC_IN_FILETIME = 17,
  PC_IN_SYSTEMTIME = 18,
  PC_IN_SID = 19,
  PC_IN_HEXINT32 = 20,
  PC_IN_HEXINT64 = 21,
} pc_intype;

#define PC_SCHEMA_MAX_PROPS 32
#define PC_SCHEMA_NAME_MAX 64
#define PC_SCHEMA_NO_LENGTH_PROP 0xFF

typedef struct pc_schema_prop {
  char name[PC_SCHEMA_NAME_MAX];
  uint8_t intype;      /* pc_intype */
  uint8_t length_prop; /* index of the property holding the length, or PC_SCHEMA_NO_LENGTH_PROP */
  uint16_t length;     /* fixed byte length for BINARY when length_prop is unset; 0 = none */
} pc_schema_prop;

typedef struct pc_schema_event {
  pc_guid provider;
  uint16_t id;
  uint8_t version;
  uint8_t prop_count;
  char name[PC_SCHEMA_NAME_MAX];
  pc_schema_prop props[PC_SCHEMA_MAX_PROPS];
} pc_schema_event;

/* A set of schemas plus the provider names found in the text. Owned by the caller of
 * pc_schema_set_parse; free with pc_schema_set_free (NULL-safe). */
typedef struct pc_schema_set {
  pc_schema_event *events;
  size_t count, cap;
  uint32_t os_build; /* from an "os-build N" line, 0 if absent */
} pc_schema_set;

/* Parses the text form (see schemas/FORMAT.md) into a new set. On error returns PC_EPARSE
 * (or PC_ENOMEM) and writes "origin:line: message" into err. Limits: 4096 events, the
 * property and name limits above; exceeding them is an error, not a truncation. */
int pc_schema_set_parse(const char *text, size_t len, const char *origin, pc_schema_set **out, char *err,
                        size_t errcap);

/* Parses the embedded built-in schemas into a new set owned by the caller. Returns PC_OK
 * or PC_ENOMEM (the text itself is proven valid by a test). */
int pc_schema_builtin_load(pc_schema_set **out);

/* The embedded built-in schema text. */
extern const char pc__builtin_schema[];
extern const size_t pc__builtin_schema_len;

void pc_schema_set_free(pc_schema_set *set);

/* Adds a copy of ev to set, replacing an existing (provider, id, version). */
int pc_schema_set_put(pc_schema_set *set, const pc_schema_event *ev);

const pc_schema_event *pc_schema_set_find(const pc_schema_set *set, const pc_guid *provider, uint16_t id,
                                          uint8_t version);

/* Writes the set in the text form (providers in first-seen order, friendly names for the
 * three known providers). */
void pc_schema_set_write(const pc_schema_set *set, FILE *out);

/* Compares the built-in schema a with another layout b of the same event (from the OS or a
 * dump). Returns true when identical; otherwise writes the first difference into diff:
 * "property 4: built in 'Status UInt32', here 'Status UInt16'" or
 * "built in 9 properties, here 10 (added 'NewField UInt16')". */
bool pc_schema_event_same(const pc_schema_event *a, const pc_schema_event *b, char *diff, size_t diffcap);

const char *pc_intype_name(uint8_t intype);
/* Returns the in-type for a name ("UInt32", also "win:UInt32"), or -1. */
int pc_intype_from_name(const char *name, size_t len);

/* Friendly name of a known provider GUID, or NULL. */
const char *pc_provider_name(const pc_guid *g);

/* ---- The walker ---- */

/* Where one property sits in a payload. */
typedef struct pc_field {
  uint32_t offset;
  uint32_t length;
} pc_field;

/* Walks data[0..len) with schema ev and pointer size ptr_size (4 or 8), filling
 * fields[0..prop_count). Every read is bounds-checked. Returns:
 *   PC_OK        every property found and the payload ends exactly after the last one;
 *   PC_EINVAL    ptr_size is not 4 or 8 and the schema has a pointer-sized property;
 *   PC_ETRUNC    the payload ends inside a property;
 *   PC_EPARSE    a length property is out of range (larger than the payload) or a string
 *                is unterminated;
 *   PC_ETRAILING bytes remain after the last property (a layout we do not know). */
int pc_schema_walk(const pc_schema_event *ev, const uint8_t *data, size_t len, unsigned ptr_size,
                   pc_field *fields);

/* Size in bytes of a fixed-size in-type (pointers take ptr_size); 0 for variable-size types
 * (strings, Binary, SID). */
uint32_t pc_intype_fixed_size(uint8_t intype, unsigned ptr_size);

/* Reads an unsigned integer field (1, 2, 4 or 8 bytes, little-endian) as uint64. */
uint64_t pc_field_uint(const uint8_t *data, const pc_field *f);

#endif
