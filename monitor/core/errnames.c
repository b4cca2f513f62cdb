/* The one table of OS error names (see pc_errnames.h). Lookups are linear: the tables are a
 * few dozen entries, and the rule engine looks a name up once per evaluation. */
#include <string.h>

#include "pc_errnames.h"

typedef struct err_name {
  uint32_t num;
  const char *name;
} err_name;

static const err_name k_wsa[] = {
    {995u, "WSA_OPERATION_ABORTED"}, {10004u, "WSAEINTR"},           {10009u, "WSAEBADF"},
    {10013u, "WSAEACCES"},           {10014u, "WSAEFAULT"},          {10022u, "WSAEINVAL"},
    {10024u, "WSAEMFILE"},           {10035u, "WSAEWOULDBLOCK"},     {10036u, "WSAEINPROGRESS"},
    {10038u, "WSAENOTSOCK"},         {10043u, "WSAEPROTONOSUPPORT"}, {10045u, "WSAEOPNOTSUPP"},
    {10047u, "WSAEAFNOSUPPORT"},     {10048u, "WSAEADDRINUSE"},      {10049u, "WSAEADDRNOTAVAIL"},
    {10050u, "WSAENETDOWN"},         {10051u, "WSAENETUNREACH"},     {10055u, "WSAENOBUFS"},
    {10056u, "WSAEISCONN"},          {10060u, "WSAETIMEDOUT"},       {10061u, "WSAECONNREFUSED"},
    {10093u, "WSANOTINITIALISED"},
};

/* asm-generic/errno-base.h and asm-generic/errno.h: the same on x86, arm and arm64. */
static const err_name k_errno[] = {
    {1u, "EPERM"},         {9u, "EBADF"},       {12u, "ENOMEM"},        {13u, "EACCES"},
    {22u, "EINVAL"},       {24u, "EMFILE"},     {88u, "ENOTSOCK"},      {95u, "EOPNOTSUPP"},
    {97u, "EAFNOSUPPORT"}, {98u, "EADDRINUSE"}, {99u, "EADDRNOTAVAIL"}, {105u, "ENOBUFS"},
};

static const char *find_num(const err_name *t, size_t n, uint32_t num) {
  for (size_t i = 0; i < n; i++)
    if (t[i].num == num) return t[i].name;
  return NULL;
}

static bool find_name(const err_name *t, size_t n, const char *name, uint32_t *num) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(t[i].name, name) == 0) {
      *num = t[i].num;
      return true;
    }
  }
  return false;
}

const char *pc_wsa_name(uint32_t wsa) {
  return find_num(k_wsa, sizeof k_wsa / sizeof k_wsa[0], wsa);
}

const char *pc_errno_name(uint32_t err) {
  return find_num(k_errno, sizeof k_errno / sizeof k_errno[0], err);
}

bool pc_os_error_from_name(const char *name, uint32_t *num, bool *is_errno) {
  if (find_name(k_wsa, sizeof k_wsa / sizeof k_wsa[0], name, num)) {
    *is_errno = false;
    return true;
  }
  if (find_name(k_errno, sizeof k_errno / sizeof k_errno[0], name, num)) {
    *is_errno = true;
    return true;
  }
  return false;
}
