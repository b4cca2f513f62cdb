# The option table (monitor/cli/options.c): parsing, --help of every command, the example
# configuration and the README's option list against the table.
pc_add_test(NAME test_options SOURCES options/test_options.c LIBS pc_cli)

# The generated man page renders without a single groff warning.
find_program(PC_GROFF groff)
if(PC_GROFF AND NOT CMAKE_CROSSCOMPILING)
  add_test(NAME man_page_renders
    COMMAND bash -c "out=$('$<TARGET_FILE:portclash>' help-options --man | '${PC_GROFF}' -man -ww -z 2>&1) && \
test -z \"$out\" || { echo \"$out\"; exit 1; }")
endif()

# argv parsing on arbitrary arguments.
pc_add_fuzz(NAME options SOURCES fuzz/fuzz_options.c LIBS pc_cli)
