/* pc_errnames.h - symbolic names of the OS error numbers a bind can report.
 *
 * Windows errors are Winsock (WSA) numbers. Linux errors are errno values as the kernel
 * numbers them (and so the eBPF source and the live test bind report them) on every
 * architecture portclash supports; the table spells them out so that the names do not depend
 * on the build host's <errno.h>. This is the one table of these names: the decoders, the rule
 * fields, the explainer and `portclash explain` all read it. */
#ifndef PC_ERRNAMES_H
#define PC_ERRNAMES_H

#include <stdbool.h>
#include <stdint.h>

/* "WSAEADDRINUSE" for 10048, or NULL when the number is not in the table. */
const char *pc_wsa_name(uint32_t wsa);

/* "EADDRINUSE" for 98 (Linux numbering), or NULL when the number is not in the table. */
const char *pc_errno_name(uint32_t err);

/* The reverse of both: finds name among the WSA and the Linux errno names. Returns true and
 * sets *num and *is_errno (true for a Linux errno name) when found, false otherwise. */
bool pc_os_error_from_name(const char *name, uint32_t *num, bool *is_errno);

#endif
