/* portclash service on platforms without a Windows service manager: say what to use instead. */
#include <stdio.h>

#include "pc_error.h"
#include "pc_service.h"

int pc_cmd_service(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fputs(
      "portclash service: Windows service mode (install|uninstall|run) exists only on Windows.\n"
      "On Linux run the monitor under systemd: install packaging/linux/portclash.service\n"
      "(systemctl enable --now portclash).\n",
      stderr);
  return PC_EXIT_FAILURE;
}
