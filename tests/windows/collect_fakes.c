/* collect_fakes.c - canned tools and collect folders for the Windows tests (collect_fakes.h). */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include "collect_fakes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "pc_error.h"

static struct {
  unsigned port, holder_pid, self_pid;
  char image[MAX_PATH];
  int runs;
} T;

void pc_fake_tools_set(unsigned port, unsigned holder_pid) {
  T.port = port;
  T.holder_pid = holder_pid;
  T.self_pid = (unsigned)GetCurrentProcessId();
  T.runs = 0;
  /* The image name the live process lookup gives, for the canned tasklist. */
  char full[MAX_PATH];
  DWORD n = GetModuleFileNameA(NULL, full, sizeof full);
  if (n == 0 || n >= sizeof full) full[0] = '\0';
  const char *base = strrchr(full, '\\');
  snprintf(T.image, sizeof T.image, "%s", base ? base + 1 : full);
}

static const char *canned(const char *tool, const char *args) {
  static char out[2048];
  const char *proto = strstr(args, "udp") ? "udp" : "tcp";
  if (strcmp(tool, "netsh") == 0 && strstr(args, "excludedportrange"))
    snprintf(
        out, sizeof out,
        "\r\nProtocol %s Port Exclusion Ranges\r\n\r\nStart Port    End Port\r\n----------    --------\r\n"
        "      5357        5357\r\n     50000       50059     *\r\n\r\n* - Administered port exclusions.\r\n",
        proto);
  else if (strcmp(tool, "netsh") == 0 && strstr(args, "dynamicport"))
    snprintf(out, sizeof out,
             "\r\nProtocol %s Dynamic Port Range\r\n---------------------------------\r\nStart Port      : "
             "49152\r\nNumber of Ports : 16384\r\n",
             proto);
  else if (strcmp(tool, "netsh") == 0 && strstr(args, "urlacl"))
    snprintf(out, sizeof out, "\r\nURL Reservations:\r\n-----------------\r\n\r\n");
  else if (strcmp(tool, "netsh") == 0)
    snprintf(out, sizeof out,
             "\r\nSnapshot of HTTP service state (Request Queue View):\r\n"
             "-----------------------------------------------------\r\n\r\n");
  else if (strcmp(tool, "netstat") == 0)
    snprintf(out, sizeof out,
             "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State     "
             "      "
             "PID\r\n  TCP    127.0.0.1:%u        0.0.0.0:0              LISTENING       %u\r\n",
             T.port, T.holder_pid);
  else if (strcmp(tool, "tasklist") == 0)
    snprintf(out, sizeof out, "\"Image Name\",\"PID\",\"Services\"\r\n\"%s\",\"%u\",\"N/A\"\r\n", T.image,
             T.self_pid);
  else
    return NULL;
  return out;
}

pc_err pc_fake_tools_run(void *ctx, const char *const *argv, uint32_t timeout_ms, size_t max,
                         pc_os_run_result *res) {
  (void)ctx, (void)timeout_ms, (void)max;
  memset(res, 0, sizeof *res);
  char args[256] = "";
  size_t n = 0;
  for (int i = 1; argv[i] && n < sizeof args; i++)
    n += (size_t)snprintf(args + n, sizeof args - n, "%s%s", i > 1 ? " " : "", argv[i]);
  const char *out = canned(argv[0], args);
  if (!out) return PC_ENOENT;
  res->output = _strdup(out);
  if (!res->output) return PC_ENOMEM;
  T.runs++;
  res->len = strlen(out);
  res->exit_code = 0;
  return PC_OK;
}

char *pc_fake_tools_hoststate(void *ctx, const char *tool, const char *args, size_t *len) {
  (void)ctx;
  const char *out = canned(tool, args);
  if (!out) return NULL;
  *len = strlen(out);
  return _strdup(out);
}

int pc_fake_tools_runs(void) {
  return T.runs;
}

char *pc_test_read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(1 << 16);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

int pc_test_findings_without_times(const char *text, char lines[][2048], int cap) {
  int n = 0;
  for (const char *p = text; *p && n < cap;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len && p[0] == '{') {
      char *o = lines[n];
      size_t k = 0;
      for (size_t i = 0; i < len && k + 1 < 2048;) {
        /* Drop `"ts":"...",` and `,"ts_last":"..."` members (and a CR before the LF). */
        if (strncmp(p + i, "\"ts\":\"", 6) == 0 || strncmp(p + i, ",\"ts_last\":\"", 12) == 0) {
          size_t j = i + (p[i] == ',' ? 12 : 6);
          while (j < len && p[j] != '"') j++;
          i = j + 1;
          if (i < len && p[i] == ',' && p[i - 1] == '"' && k && o[k - 1] == '{') i++;
          continue;
        }
        if (p[i] == '\r' && i + 1 == len) break;
        o[k++] = p[i++];
      }
      o[k] = 0;
      n++;
    }
    p += len + (e ? 1 : 0);
  }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (strcmp(lines[i], lines[j]) > 0) {
        char t[2048];
        memcpy(t, lines[i], 2048);
        memcpy(lines[i], lines[j], 2048);
        memcpy(lines[j], t, 2048);
      }
  return n;
}

bool pc_test_collect_manifest(const char *dir, pc_collect_manifest *m, char **text) {
  char path[MAX_PATH * 2], err[600];
  snprintf(path, sizeof path, "%s\\manifest.json", dir);
  *text = pc_test_read_text(path);
  if (!*text) {
    printf("%s cannot be read\n", path);
    return false;
  }
  if (pc_collect_manifest_parse(*text, strlen(*text), path, m, err, sizeof err) != PC_OK) {
    printf("%s\n", err);
    return false;
  }
  if (!m->complete || strcmp(m->os, "windows") != 0 || strcmp(m->source, "etw") != 0) {
    printf("%s: complete %d, os '%s', source '%s'\n", path, m->complete, m->os, m->source);
    return false;
  }
  return true;
}

bool pc_test_remove_folder(const char *dir) {
  char pattern[MAX_PATH * 2], path[MAX_PATH * 2];
  snprintf(pattern, sizeof pattern, "%s\\*", dir);
  WIN32_FIND_DATAA fd;
  HANDLE h = FindFirstFileA(pattern, &fd);
  if (h != INVALID_HANDLE_VALUE) {
    do {
      snprintf(path, sizeof path, "%s\\%s", dir, fd.cFileName);
      if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) DeleteFileA(path);
    } while (FindNextFileA(h, &fd));
    FindClose(h);
  }
  return RemoveDirectoryA(dir) != 0;
}
