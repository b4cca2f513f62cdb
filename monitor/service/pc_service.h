/* pc_service.h - portclash as a Windows service (service-win.c); on other platforms the
 * command says what to use instead (service-none.c: the systemd unit). */
#ifndef PC_SERVICE_H
#define PC_SERVICE_H

/* portclash service install|uninstall|run. install/uninstall need an elevated console
 * (exit 3 otherwise); run is the service's own entry point, started by the service manager.
 * argv[0] is "service". Exit codes as every command (pc_error.h). */
int pc_cmd_service(int argc, char **argv);

/* A commented example configuration (every key, all commented out), as `service install`
 * writes it when there is none yet. Static text, LF line ends; generated at build time from
 * packaging/portclash.conf.example, so the two never differ. */
const char *pc_service_config_example(void);

#endif
