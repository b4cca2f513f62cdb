/* service_driver.c - a stand-in for portclash.exe in the service test: dispatches "service ..."
 * to pc_cmd_service and "monitor ..." to pc_cmd_monitor, so the test does not depend on
 * main.c's command table. The service manager starts this program as the service
 * ("<driver> service run ..."), which starts it again as the monitor ("<driver> monitor ..."). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pc_service.h"

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "service") == 0) return pc_cmd_service(argc - 1, argv + 1);
  if (argc >= 2 && strcmp(argv[1], "monitor") == 0) return pc_cmd_monitor(argc - 1, argv + 1);
  fputs("usage: pc_service_driver service|monitor ...\n", stderr);
  return 2;
}
