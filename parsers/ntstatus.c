#include <stddef.h>

#include "pc_ntstatus.h"

static const struct {
  uint32_t status;
  uint32_t wsa;
  const char *name;
} nt_table[] = {
    {PC_STATUS_SUCCESS, 0, "STATUS_SUCCESS"},
    {PC_STATUS_PENDING, 0, "STATUS_PENDING"},
    {PC_STATUS_ACCESS_DENIED, PC_WSAEACCES, "STATUS_ACCESS_DENIED"},
    /* What IOCTL_AFD_BIND completes with for an address in use (Wine's AFD test on Windows). */
    {PC_STATUS_SHARING_VIOLATION, PC_WSAEADDRINUSE, "STATUS_SHARING_VIOLATION"},
    {PC_STATUS_ADDRESS_ALREADY_EXISTS, PC_WSAEADDRINUSE, "STATUS_ADDRESS_ALREADY_EXISTS"},
    /* The socket itself is already bound. */
    {PC_STATUS_ADDRESS_ALREADY_ASSOCIATED, PC_WSAEINVAL, "STATUS_ADDRESS_ALREADY_ASSOCIATED"},
    /* Wine and old libuv say WSAENOBUFS; current libuv says WSAEADDRNOTAVAIL. */
    {PC_STATUS_CONFLICTING_ADDRESSES, PC_WSAEADDRNOTAVAIL, "STATUS_CONFLICTING_ADDRESSES"},
    /* Wine and old libuv say WSAENOBUFS; current libuv says WSAEADDRINUSE. */
    {PC_STATUS_TOO_MANY_ADDRESSES, PC_WSAEADDRINUSE, "STATUS_TOO_MANY_ADDRESSES"},
    {PC_STATUS_INVALID_ADDRESS, PC_WSAEADDRNOTAVAIL, "STATUS_INVALID_ADDRESS"},
    {PC_STATUS_INVALID_ADDRESS_COMPONENT, PC_WSAEADDRNOTAVAIL, "STATUS_INVALID_ADDRESS_COMPONENT"},
    {0xC000000Du, PC_WSAEINVAL, "STATUS_INVALID_PARAMETER"},
    {0xC0000008u, 10038u, "STATUS_INVALID_HANDLE"},
    {0xC0000017u, PC_WSAENOBUFS, "STATUS_NO_MEMORY"},
    {0xC000009Au, PC_WSAENOBUFS, "STATUS_INSUFFICIENT_RESOURCES"},
    {0xC00000BBu, 10045u, "STATUS_NOT_SUPPORTED"},
    {0xC0000120u, 995u, "STATUS_CANCELLED"},
    {0xC0000236u, 10061u, "STATUS_CONNECTION_REFUSED"},
    {0xC000023Cu, 10051u, "STATUS_NETWORK_UNREACHABLE"},
    {0xC00000B5u, 10060u, "STATUS_IO_TIMEOUT"},
};

uint32_t pc_ntstatus_to_wsa(uint32_t status) {
  for (size_t i = 0; i < sizeof nt_table / sizeof nt_table[0]; i++)
    if (nt_table[i].status == status) return nt_table[i].wsa;
  /* FACILITY_NTWIN32 wraps a Win32 error (which for Winsock is the WSA code itself). */
  if ((status & 0x3FFF0000u) == 0x00070000u && pc_ntstatus_failed(status)) return status & 0xFFFFu;
  return 0;
}

const char *pc_ntstatus_name(uint32_t status) {
  for (size_t i = 0; i < sizeof nt_table / sizeof nt_table[0]; i++)
    if (nt_table[i].status == status) return nt_table[i].name;
  return NULL;
}
