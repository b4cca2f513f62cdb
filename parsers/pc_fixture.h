/* pc_fixture.h - a readable text form of ETW records, for tests and demos.
 *
 * One record per line; payloads are written as named properties and encoded with the
 * schema of the (provider, id, version), so a fixture reads like the event it stands for.
 * The format is documented in tests/FIXTURES.md. */
#ifndef PC_FIXTURE_H
#define PC_FIXTURE_H

#include <stddef.h>

#include "pc_record.h"
#include "pc_schema.h"

typedef struct pc_fixture pc_fixture;

/* Starts reading text[0..len) (borrowed: must outlive the reader). schemas (borrowed)
 * encode the payloads. origin names the input in messages. */
int pc_fixture_open(const char *text, size_t len, const char *origin, const pc_schema_set *schemas,
                    pc_fixture **out);

/* Produces the next record. Returns PC_OK (record filled; its user_data stays valid until
 * the next call), 1 at the end, or PC_EPARSE with pc_fixture_error() saying
 * "origin:line: message". After an error the reader can continue with the next line. */
int pc_fixture_next(pc_fixture *fx, pc_record *out);

const char *pc_fixture_error(const pc_fixture *fx);

void pc_fixture_close(pc_fixture *fx);

#endif
