/* service_acl-win.c - who may write what the service (LocalSystem) trusts: the folder
 * %ProgramData%\portclash, its configuration file, a rules folder, the folder of a log file.
 *
 * Why: every user may create folders and files under %ProgramData%, and a new folder there
 * inherits an ACL that lets its creator (CREATOR OWNER) and Users write. A user who creates
 * %ProgramData%\portclash before the service is installed owns it: they could plant a
 * portclash.conf naming any log file or rules folder, or replace a log file by a junction so
 * that the service's rotation (DeleteFileW / MoveFileExW as SYSTEM) deletes or moves any file.
 * So the folder is created with a protected DACL (pc_service_win.h, PC_SVC_DATA_DIR_SDDL), an
 * existing one is repaired when an administrator owns it and refused when a user does, and
 * whatever the service reads or rotates must be owned by an administrator SID and not
 * writable by anyone else. Links are never followed while judging: the handle is opened with
 * FILE_FLAG_OPEN_REPARSE_POINT and a reparse point is refused.
 *
 * Contracts used (Microsoft docs): ConvertStringSecurityDescriptorToSecurityDescriptorW
 * (SDDL_REVISION_1; LocalFree the result), GetSecurityInfo / SetNamedSecurityInfoW
 * (PROTECTED_DACL_SECURITY_INFORMATION stops inheritance), GetAce / ACCESS_ALLOWED_ACE,
 * CreateWellKnownSid, "File Security and Access Rights". */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <string.h>

#include "pc_service_win.h"

/* Rights that let a holder change the object or its contents. FILE_WRITE_DATA is also
 * FILE_ADD_FILE, FILE_APPEND_DATA also FILE_ADD_SUBDIRECTORY on a folder. */
#define WRITE_RIGHTS                                                                                         \
  (FILE_WRITE_DATA | FILE_APPEND_DATA | FILE_WRITE_EA | FILE_DELETE_CHILD | FILE_WRITE_ATTRIBUTES | DELETE | \
   WRITE_DAC | WRITE_OWNER | GENERIC_WRITE | GENERIC_ALL | MAXIMUM_ALLOWED)

/* NT SERVICE\TrustedInstaller, which owns most of the system's own files. */
#define TRUSTED_INSTALLER_SID L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"

static bool is_well_known(PSID sid, WELL_KNOWN_SID_TYPE type) {
  BYTE buf[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof buf;
  if (!CreateWellKnownSid(type, NULL, buf, &size)) return false;
  return EqualSid(sid, (PSID)buf) != FALSE;
}

/* True when sid is the user of this process's token and that token is LocalSystem or a member
 * of Administrators: the service itself, or the elevated administrator running `install` (the
 * default owner of what an administrator creates may be the account instead of the group). */
static bool is_self_admin(PSID sid) {
  HANDLE tok;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) return false;
  union {
    TOKEN_USER tu;
    BYTE raw[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
  } u;
  DWORD got = 0;
  bool same = GetTokenInformation(tok, TokenUser, &u, sizeof u, &got) && EqualSid(sid, u.tu.User.Sid);
  CloseHandle(tok);
  if (!same) return false;
  if (is_well_known(sid, WinLocalSystemSid)) return true;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof admins;
  BOOL member = FALSE;
  if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &size)) return false;
  return CheckTokenMembership(NULL, (PSID)admins, &member) && member;
}

bool pc__sid_is_admin(PSID sid) {
  if (!sid || !IsValidSid(sid)) return false;
  if (is_well_known(sid, WinLocalSystemSid) || is_well_known(sid, WinBuiltinAdministratorsSid)) return true;
  if (is_self_admin(sid)) return true;
  PSID ti = NULL;
  bool yes = false;
  if (ConvertStringSidToSidW(TRUSTED_INSTALLER_SID, &ti)) {
    yes = EqualSid(sid, ti) != FALSE;
    LocalFree(ti);
  }
  return yes;
}

bool pc__dacl_lets_others_write(PACL dacl) {
  if (!dacl) return true; /* a NULL DACL grants everyone everything */
  ACL_SIZE_INFORMATION info;
  if (!GetAclInformation(dacl, &info, sizeof info, AclSizeInformation)) return true;
  for (DWORD i = 0; i < info.AceCount; i++) {
    void *ace = NULL;
    if (!GetAce(dacl, i, &ace)) return true;
    const ACE_HEADER *h = ace;
    if (h->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
    const ACCESS_ALLOWED_ACE *a = ace;
    if (!(a->Mask & WRITE_RIGHTS)) continue;
    /* An inherit-only ACE does not apply to the folder itself but to what is created in it
     * later: still a way in, so it counts. */
    if (!pc__sid_is_admin((PSID)&a->SidStart)) return true;
  }
  return false;
}

/* message = path (UTF-8) + text + extra (may be NULL). */
static void say(char *msg, size_t cap, const wchar_t *path, const char *text, const char *extra) {
  if (!msg || !cap) return;
  char p[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, path, -1, p, sizeof p, NULL, NULL);
  p[sizeof p - 1] = '\0';
  snprintf(msg, cap, "%s%s%s", p, text, extra ? extra : "");
}

/* Reads the owner and DACL of path (a link is judged, not followed). */
static pc__trust inspect(const pc__acl_ops *ops, const wchar_t *path, bool *owner_admin, bool *others_write,
                         char *msg, size_t cap) {
  HANDLE h = ops->open_no_follow(ops->ctx, path);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
      say(msg, cap, path, " does not exist", NULL);
      return PC_TRUST_MISSING;
    }
    char x[64];
    snprintf(x, sizeof x, " (error %lu)", (unsigned long)e);
    say(msg, cap, path, " cannot be opened to read its security", x);
    return PC_TRUST_ERROR;
  }
  DWORD attrs = 0;
  if (!ops->attributes(ops->ctx, h, &attrs)) {
    ops->close_handle(ops->ctx, h);
    say(msg, cap, path, ": its attributes cannot be read", NULL);
    return PC_TRUST_ERROR;
  }
  if (attrs & FILE_ATTRIBUTE_REPARSE_POINT) {
    ops->close_handle(ops->ctx, h);
    say(msg, cap, path, " is a reparse point (a junction or link): refused, it is never followed", NULL);
    return PC_TRUST_REFUSED;
  }
  PSID owner = NULL;
  PACL dacl = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  DWORD rc = ops->get_security(ops->ctx, h, &owner, &dacl, &sd);
  ops->close_handle(ops->ctx, h);
  if (rc != ERROR_SUCCESS) {
    char x[64];
    snprintf(x, sizeof x, " (error %lu)", (unsigned long)rc);
    say(msg, cap, path, ": its owner and DACL cannot be read", x);
    return PC_TRUST_ERROR;
  }
  *owner_admin = pc__sid_is_admin(owner);
  *others_write = pc__dacl_lets_others_write(dacl);
  if (sd) LocalFree(sd);
  return PC_TRUST_OK;
}

pc__trust pc__path_trusted(const pc__acl_ops *ops, const wchar_t *path, char *msg, size_t cap) {
  bool owner_admin = false, others_write = true;
  pc__trust t = inspect(ops, path, &owner_admin, &others_write, msg, cap);
  if (t != PC_TRUST_OK) return t;
  if (!owner_admin) {
    say(msg, cap, path, " is owned by an account that is not an administrator: refused", NULL);
    return PC_TRUST_REFUSED;
  }
  if (others_write) {
    say(msg, cap, path, " can be changed by accounts that are not administrators: refused", NULL);
    return PC_TRUST_REFUSED;
  }
  say(msg, cap, path, ": owner and DACL admin-only", NULL);
  return PC_TRUST_OK;
}

pc__trust pc__data_dir_secure(const pc__acl_ops *ops, const wchar_t *dir, char *msg, size_t cap) {
  PSECURITY_DESCRIPTOR sd = NULL;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(PC_SVC_DATA_DIR_SDDL, SDDL_REVISION_1, &sd,
                                                            NULL)) {
    say(msg, cap, dir, ": the protected DACL cannot be built", NULL);
    return PC_TRUST_ERROR;
  }
  SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
  if (ops->create_directory(ops->ctx, dir, &sa)) {
    LocalFree(sd);
    say(msg, cap, dir, " created with a protected DACL (SYSTEM and Administrators full control, Users read)",
        NULL);
    return PC_TRUST_OK;
  }
  DWORD e = GetLastError();
  if (e != ERROR_ALREADY_EXISTS) {
    LocalFree(sd);
    char x[64];
    snprintf(x, sizeof x, " (error %lu)", (unsigned long)e);
    say(msg, cap, dir, " cannot be created", x);
    return PC_TRUST_ERROR;
  }
  bool owner_admin = false, others_write = true;
  pc__trust t = inspect(ops, dir, &owner_admin, &others_write, msg, cap);
  if (t != PC_TRUST_OK) {
    LocalFree(sd);
    return t == PC_TRUST_MISSING ? PC_TRUST_ERROR : t;
  }
  if (!owner_admin) {
    /* Its owner may have put anything inside (a configuration, links): repairing the DACL
     * would not make the contents trustworthy. */
    LocalFree(sd);
    say(msg, cap, dir,
        " is owned by an account that is not an administrator (created by a user before the install?): "
        "refused; delete it and install again",
        NULL);
    return PC_TRUST_REFUSED;
  }
  if (!others_write) {
    LocalFree(sd);
    say(msg, cap, dir, ": owner and DACL admin-only", NULL);
    return PC_TRUST_OK;
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = NULL;
  GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof admins;
  DWORD rc = CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &size)
                 ? ops->set_security(ops->ctx, dir, (PSID)admins, dacl)
                 : GetLastError();
  LocalFree(sd);
  if (rc != ERROR_SUCCESS) {
    char x[64];
    snprintf(x, sizeof x, " (error %lu)", (unsigned long)rc);
    say(msg, cap, dir, " can be changed by non-administrators and its DACL could not be repaired: refused",
        x);
    return PC_TRUST_REFUSED;
  }
  say(msg, cap, dir, " could be changed by non-administrators: its DACL was replaced by the protected one",
      NULL);
  return PC_TRUST_REPAIRED;
}

/* ---- The real functions ---- */

static BOOL sys_create_directory(void *c, const wchar_t *path, SECURITY_ATTRIBUTES *sa) {
  (void)c;
  return CreateDirectoryW(path, sa);
}
static HANDLE sys_open_no_follow(void *c, const wchar_t *path) {
  (void)c;
  return CreateFileW(path, READ_CONTROL | FILE_READ_ATTRIBUTES,
                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                     FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, NULL);
}
static bool sys_attributes(void *c, HANDLE h, DWORD *attrs) {
  (void)c;
  BY_HANDLE_FILE_INFORMATION fi;
  if (!GetFileInformationByHandle(h, &fi)) return false;
  *attrs = fi.dwFileAttributes;
  return true;
}
static DWORD sys_get_security(void *c, HANDLE h, PSID *owner, PACL *dacl, PSECURITY_DESCRIPTOR *sd) {
  (void)c;
  return GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, owner,
                         NULL, dacl, NULL, sd);
}
static DWORD sys_set_security(void *c, const wchar_t *path, PSID owner, PACL dacl) {
  (void)c;
  return SetNamedSecurityInfoW(
      (LPWSTR)path, SE_FILE_OBJECT,
      OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, owner,
      NULL, dacl, NULL);
}
static void sys_close(void *c, HANDLE h) {
  (void)c;
  CloseHandle(h);
}

const pc__acl_ops pc__acl_ops_system = {NULL,           sys_create_directory, sys_open_no_follow,
                                        sys_attributes, sys_get_security,     sys_set_security,
                                        sys_close};
