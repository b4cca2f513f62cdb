/* pc_ntstatus.h - NTSTATUS to Winsock error mapping, and NTSTATUS names. The WSA names
 * (pc_wsa_name) live in pc_core's pc_errnames.h, included here for the callers that want both.
 *
 * The table follows etw-facts.md §4.2. Where public sources disagree (CONFLICTING and
 * TOO_MANY_ADDRESSES) it follows current libuv, which tracks what Windows' own mswsock
 * returns; the comment at each entry says so. */
#ifndef PC_NTSTATUS_H
#define PC_NTSTATUS_H

#include <stdint.h>

#include "pc_errnames.h"

#define PC_STATUS_SUCCESS 0x00000000u
#define PC_STATUS_PENDING 0x00000103u
#define PC_STATUS_ACCESS_DENIED 0xC0000022u
#define PC_STATUS_SHARING_VIOLATION 0xC0000043u
#define PC_STATUS_ADDRESS_ALREADY_EXISTS 0xC000020Au
#define PC_STATUS_ADDRESS_ALREADY_ASSOCIATED 0xC0000238u
#define PC_STATUS_CONFLICTING_ADDRESSES 0xC0000018u
#define PC_STATUS_TOO_MANY_ADDRESSES 0xC0000209u
#define PC_STATUS_INVALID_ADDRESS 0xC0000141u
#define PC_STATUS_INVALID_ADDRESS_COMPONENT 0xC0000207u

#define PC_WSAEACCES 10013u
#define PC_WSAEINVAL 10022u
#define PC_WSAEADDRINUSE 10048u
#define PC_WSAEADDRNOTAVAIL 10049u
#define PC_WSAENOBUFS 10055u

/* True for NTSTATUS values of severity error or warning (the top two bits). */
static inline int pc_ntstatus_failed(uint32_t st) {
  return (st >> 30) >= 2;
}

/* Maps a failing NTSTATUS to the WSA error Winsock would return; 0 for success, for
 * non-failure codes and for codes with no known mapping. */
uint32_t pc_ntstatus_to_wsa(uint32_t status);

/* "STATUS_SHARING_VIOLATION", or NULL when the value is not in the table. */
const char *pc_ntstatus_name(uint32_t status);

#endif
