#include <errno.h>

#include "pc_error.h"

const char *pc_strerror(int err) {
  switch (err) {
#define PC__ERR_MSG(name, num, msg) \
  case num:                         \
    return msg;
    PC_ERR_MAP(PC__ERR_MSG)
#undef PC__ERR_MSG
  }
  return "unknown error";
}

const char *pc_errname(int err) {
  switch (err) {
#define PC__ERR_NAME(name, num, msg) \
  case num:                          \
    return #name;
    PC_ERR_MAP(PC__ERR_NAME)
#undef PC__ERR_NAME
  }
  return "PC_E???";
}

pc_err pc_err_from_errno(int e) {
  switch (e) {
    case 0:
      return PC_OK;
    case ENOENT:
    case ENOTDIR:
      return PC_ENOENT;
    case EACCES:
    case EPERM:
      return PC_EPRIV;
    case ENOMEM:
      return PC_ENOMEM;
    case EEXIST:
      return PC_EEXIST;
    case EINTR:
    case EAGAIN:
      return PC_EAGAIN;
    case ENOSYS:
      return PC_ENOTSUP;
#ifdef EMSGSIZE
    case EMSGSIZE:
      return PC_ELIMIT;
#endif
#ifdef ETIMEDOUT
    case ETIMEDOUT:
      return PC_ETIMEOUT;
#endif
#if defined(ENOTSUP) && (!defined(EOPNOTSUPP) || ENOTSUP != EOPNOTSUPP)
    case ENOTSUP:
      return PC_ENOTSUP;
#endif
#ifdef EOPNOTSUPP
    case EOPNOTSUPP:
      return PC_ENOTSUP;
#endif
#ifdef ECONNREFUSED
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ENOTCONN:
    case ENETUNREACH:
    case EHOSTUNREACH:
#endif
    case EPIPE:
      return PC_ENET;
    default:
      return PC_EIO;
  }
}
