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
