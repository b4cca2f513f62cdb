/* ebpf_agg.h - the user-space half of the eBPF source's kernel-side counting, pure (no BPF,
 * no threads) so that it is unit-tested (tests/ebpf/test_ebpf_agg.c):
 *
 *   the key table   what user space knows of each key the kernel counts (struct
 *                   pc_bpf_agg_key): how many of its failures were handed on, and the last
 *                   attempt sent for it, the model of the attempt that carries the repeats;
 *   the fair queue  the bounded queue between the reader thread and the consumer, one FIFO
 *                   per uid served round-robin; when full, the uid holding the most items
 *                   loses its oldest one, so no uid can crowd out another;
 *   uid losses      failures lost per uid, for the summary's "top uids".
 *
 * The counting protocol (kernel side in pc_bind.bpf.c): every failure of a key gets the next
 * number (seq); the first failure of a window goes to the ring with its number (an "opener"),
 * the others only raise seq. User space reads seq (settle) and reports what it has not
 * handed on yet as one attempt with repeats: seq - accounted - openers received since. */
#ifndef PC_SOURCE_EBPF_AGG_H
#define PC_SOURCE_EBPF_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf.h"
#include "pc_bpf_event.h"

/* ---- key table ---- */

typedef struct pc__agg_entry {
  struct pc_bpf_agg_key key;
  uint64_t accounted; /* failures numbered up to here are handed on (or counted lost) */
  uint64_t openers;   /* openers handed on since, each numbered above accounted */
  uint64_t open_ws;   /* kernel time of the last opener received (its window's start) */
  uint64_t due_ns;    /* CLOCK_MONOTONIC ns when the entry is to be settled next */
  pc_ebpf_item model; /* the last opener, model of the repeats attempt */
} pc__agg_entry;

typedef struct pc__aggtab pc__aggtab;

/* A table of at most cap keys. PC_OK or PC_ENOMEM. */
int pc__aggtab_new(size_t cap, pc__aggtab **out);
void pc__aggtab_free(pc__aggtab *t);
size_t pc__aggtab_count(const pc__aggtab *t);
/* Entry i (0 <= i < count); the order changes when entries are removed. */
pc__agg_entry *pc__aggtab_at(pc__aggtab *t, size_t i);
pc__agg_entry *pc__aggtab_find(pc__aggtab *t, const struct pc_bpf_agg_key *k);
/* Removes entry i (the last entry takes its place). */
void pc__aggtab_remove(pc__aggtab *t, size_t i);

/* An opener arrived: the failure numbered seq of key k, as item it (ts_mono_ns its kernel
 * time). Records it (making the entry when needed, due window_ns + grace_ns after it) and
 * returns the entry, or NULL when the table is full (the caller then stops counting that key
 * in the kernel). A number not above the entry's accounted one means the kernel made the key
 * anew (it was deleted): the entry starts again from there. */
pc__agg_entry *pc__aggtab_opened(pc__aggtab *t, const struct pc_bpf_agg_key *k, uint64_t seq,
                                 const pc_ebpf_item *it, uint64_t due_ns);

/* Settles e against the kernel's seq: returns the failures to report as repeats (0: none)
 * and marks them handed on. A seq below what is accounted (never expected) settles nothing. */
uint64_t pc__agg_settle(pc__agg_entry *e, uint64_t seq);

/* ---- fair queue ---- */

typedef struct pc__fairq pc__fairq;

/* A queue of at most cap items (cap >= 1). PC_OK or PC_ENOMEM. */
int pc__fairq_new(size_t cap, pc__fairq **out);
void pc__fairq_free(pc__fairq *q);
size_t pc__fairq_len(const pc__fairq *q);

/* Queues it under its attempt's uid. When the queue is full, the uid holding the most items
 * gives up its oldest one (copied to *dropped, true returned in *did_drop); if that is it's
 * own uid (or a tie with it), it itself is refused instead (copied to *dropped). Returns true
 * when it was queued. */
bool pc__fairq_push(pc__fairq *q, const pc_ebpf_item *it, pc_ebpf_item *dropped, bool *did_drop);

/* Takes the oldest item of the next uid in turn. False when empty. */
bool pc__fairq_pop(pc__fairq *q, pc_ebpf_item *out);

/* ---- losses per uid ---- */

#define PC__UIDLOST_SLOTS 1024u

typedef struct pc__uidlost {
  uint32_t uid[PC__UIDLOST_SLOTS];
  uint64_t lost[PC__UIDLOST_SLOTS]; /* 0 = free slot */
  uint64_t other;                   /* uids that found the table full */
} pc__uidlost;

void pc__uidlost_add(pc__uidlost *u, uint32_t uid, uint64_t n);
/* Writes "uid U N, uid V M, ..." (the n biggest, biggest first; "other uids K" when some
 * had no slot) into buf; "" when nothing was lost. */
void pc__uidlost_top(const pc__uidlost *u, size_t n, char *buf, size_t cap);

/* The failures an item stands for: its repeats, at least 1; 0 for a success. */
uint64_t pc__item_failures(const pc_ebpf_item *it);

#endif
