# The option table (monitor/cli/options.c): parsing, --help of every command, the example
# configuration and the README's option list against the table.
pc_add_test(NAME test_options SOURCES options/test_options.c LIBS pc_cli)
