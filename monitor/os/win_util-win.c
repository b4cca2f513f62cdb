/* win_util-win.c - Windows helpers shared by several libraries (win_util.h). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <winsock2.h>
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "win_util.h"

static INIT_ONCE g_wsa_once = INIT_ONCE_STATIC_INIT;
static int g_wsa_error;

static BOOL CALLBACK wsa_init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  WSADATA wd;
  g_wsa_error = WSAStartup(MAKEWORD(2, 2), &wd);
  return TRUE;
}

int pc_win_wsa_ready(void) {
  InitOnceExecuteOnce(&g_wsa_once, wsa_init, NULL, NULL);
  return g_wsa_error;
}

bool pc_win_spawn(const wchar_t *app, wchar_t *cmd, DWORD flags, HANDLE in, HANDLE out,
                  PROCESS_INFORMATION *pi) {
  HANDLE inherit[2] = {out, in};
  DWORD n_inherit = in != INVALID_HANDLE_VALUE ? 2 : 1;
  SIZE_T attr_size = 0;
  InitializeProcThreadAttributeList(NULL, 1, 0, &attr_size);
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = malloc(attr_size);
  bool have_attrs = attrs && InitializeProcThreadAttributeList(attrs, 1, 0, &attr_size) &&
                    UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherit,
                                              n_inherit * sizeof(HANDLE), NULL, NULL);
  STARTUPINFOEXW si;
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = have_attrs ? sizeof si : sizeof si.StartupInfo;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = in != INVALID_HANDLE_VALUE ? in : NULL;
  si.StartupInfo.hStdOutput = out;
  si.StartupInfo.hStdError = out;
  si.lpAttributeList = have_attrs ? attrs : NULL;
  memset(pi, 0, sizeof *pi);
  BOOL ok = CreateProcessW(app, cmd, NULL, NULL, TRUE,
                           CREATE_NO_WINDOW | flags | (have_attrs ? EXTENDED_STARTUPINFO_PRESENT : 0), NULL,
                           NULL, &si.StartupInfo, pi);
  DWORD e = GetLastError();
  if (have_attrs) DeleteProcThreadAttributeList(attrs);
  free(attrs);
  SetLastError(e);
  return ok != 0;
}
