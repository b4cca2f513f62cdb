/* learned_ports.h - learned ports: ports that a process successfully listened on (or bound)
 * while portclash ran, with the process that used them. The watcher watches them like the
 * ports of the watch list, so a service nobody told portclash about is protected too.
 *
 * The store is bounded (least recently seen entries are evicted first) and is persisted as
 * a small text file in the state directory (pc_os.h), loaded at start and saved
 * atomically. A damaged file never stops portclash: loading reports one clear sentence and
 * starts empty. Not thread-safe: one store per watcher. */
#ifndef PC_LEARNED_H
#define PC_LEARNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc_facts.h"
#include "pc_time.h"

#define PC_LEARNED_DEFAULT_CAP 1024
#define PC_LEARNED_FILE "learned-ports.state"
#define PC_LEARNED_ERR_MAX 512

typedef struct pc_learned_port {
  uint8_t proto;             /* PC_PROTO_TCP or PC_PROTO_UDP */
  uint16_t port;             /* 1..65535 */
  uint32_t pid;              /* last PID seen using it; 0 unknown */
  char process[PC_NAME_MAX]; /* image name; "" unknown */
  pc_time first_seen, last_seen;
} pc_learned_port;

typedef struct pc_learned pc_learned;

/* Creates an empty store of at most cap entries (0 = PC_LEARNED_DEFAULT_CAP). */
int pc_learned_new(size_t cap, pc_learned **out);
void pc_learned_free(pc_learned *l); /* NULL-safe */

/* The entry for (proto, port), or NULL. Borrowed until the next change of the store. */
const pc_learned_port *pc_learned_find(const pc_learned *l, uint8_t proto, uint16_t port);

/* Records that pid (process name, may be NULL or "") uses (proto, port) at time ts: updates
 * the entry (pid, name when known, last_seen) or adds one, evicting the least recently seen
 * entry when full. PC_OK, PC_EINVAL (port 0 or a protocol other than TCP/UDP). */
int pc_learned_record(pc_learned *l, uint8_t proto, uint16_t port, uint32_t pid, const char *process,
                      pc_time ts);

/* Entries in no particular order (i < count). */
size_t pc_learned_count(const pc_learned *l);
const pc_learned_port *pc_learned_at(const pc_learned *l, size_t i);

/* A change since the last successful save/load (so callers save only when needed). */
bool pc_learned_dirty(const pc_learned *l);

/* Replaces the content with the text form (as written by pc_learned_format). On bad
 * content the store is left empty, PC_ECORRUPT is returned and err says "origin:line: what".
 * Entries beyond the capacity keep the most recently seen ones. */
int pc_learned_parse(pc_learned *l, const char *text, size_t len, const char *origin, char *err,
                     size_t errcap);

/* The text form (*out heap, NUL-terminated, caller frees): a version line, then one line
 * per entry "tcp 8080 1234 FIRST LAST name" with times in pc_time ticks. */
int pc_learned_format(const pc_learned *l, char **out, size_t *len);

/* Loads dir/PC_LEARNED_FILE. A missing file is PC_OK (empty store). A damaged or unreadable
 * file gives PC_ECORRUPT / PC_EIO with err set ("...; starting with no learned ports"), and
 * an empty store: the caller prints err as a warning and carries on. */
int pc_learned_load(pc_learned *l, const char *dir, char *err, size_t errcap);

/* Saves to dir/PC_LEARNED_FILE atomically and clears the dirty flag. */
int pc_learned_save(pc_learned *l, const char *dir, char *err, size_t errcap);

#endif
