/* pc_watch.h - the watch list: ports an operator wants to be warned about before a bind of
 * them fails (`--watch 8080,3000-3010/tcp,5353/udp`, or a `watch` list in a config file).
 *
 * An item is a port or an inclusive range, optionally followed by "/tcp" or "/udp" (without
 * one it applies to both). Items are separated by commas; blanks around them are ignored.
 * A list holds at most PC_WATCH_MAX_ENTRIES items in total, however many texts were added.
 * Portable, no I/O. Not thread-safe while being built; read-only use may be shared. */
#ifndef PC_WATCH_H
#define PC_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PC_WATCH_MAX_ENTRIES 4096
#define PC_WATCH_ERR_MAX 256

/* Which protocols an entry applies to (bits). */
#define PC_WATCH_TCP 0x1u
#define PC_WATCH_UDP 0x2u

typedef struct pc_watch_entry {
  uint16_t lo, hi; /* 1..65535, lo <= hi */
  uint8_t protos;  /* PC_WATCH_TCP | PC_WATCH_UDP */
} pc_watch_entry;

typedef struct pc_watch_list pc_watch_list;

/* Creates an empty list (*out, owned by the caller; free with pc_watch_free). PC_OK or
 * PC_ENOMEM. */
int pc_watch_new(pc_watch_list **out);

/* NULL-safe. */
void pc_watch_free(pc_watch_list *w);

/* Adds every item of text to w. origin names the text in messages ("--watch",
 * "portclash.conf:3"). On a bad item nothing of text is added, PC_EPARSE (or PC_ELIMIT when
 * the list would exceed PC_WATCH_MAX_ENTRIES) is returned and err receives one sentence such
 * as "--watch: '70000' is not a port (1-65535)". PC_ENOMEM when out of memory. */
int pc_watch_add(pc_watch_list *w, const char *text, const char *origin, char *err, size_t errcap);

/* True when port is watched for proto (a pc_proto: 6 tcp, 17 udp; 0 = either). w may be
 * NULL (nothing is watched). */
bool pc_watch_contains(const pc_watch_list *w, uint8_t proto, uint16_t port);

/* The entries, in the order added (borrowed until the next add or free). */
size_t pc_watch_count(const pc_watch_list *w);
const pc_watch_entry *pc_watch_entries(const pc_watch_list *w);

#endif
