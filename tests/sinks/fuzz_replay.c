/* fuzz_replay.c - runs a fuzz target's seed corpus in ordinary (non-libFuzzer) builds, so
 * the invariants of fuzz_format.c are checked by every test run, sanitizers included.
 * usage: fuzz_replay_format DIR */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  DIR *d = opendir(argv[1]);
  if (!d) {
    perror(argv[1]);
    return 1;
  }
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    FILE *fp = fopen(path, "rb");
    if (!fp) continue;
    static unsigned char buf[1 << 20];
    size_t len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, len);
    n++;
  }
  closedir(d);
  printf("%d corpus files passed\n", n);
  return n > 0 ? 0 : 1;
}
