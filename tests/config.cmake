# The configuration file (monitor/cli/config.c): parser unit tests and its fuzz target.
pc_add_test(NAME test_config SOURCES config/test_config.c LIBS pc_cli)
pc_add_fuzz(NAME config SOURCES fuzz/fuzz_config.c LIBS pc_cli)
