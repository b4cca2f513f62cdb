# Rules: cases as data, diagnostics, engine behaviour, the bench and the fuzz target.
pc_add_test(NAME test_rules_cases SOURCES rules/test_rules_cases.c LIBS pc_rules)
pc_add_test(NAME test_rules_errors SOURCES rules/test_rules_errors.c LIBS pc_rules)
pc_add_test(NAME test_rules_engine SOURCES rules/test_rules_engine.c rules/gen_rules.c LIBS pc_rules pc_cli)
pc_add_test(NAME test_rules_index SOURCES rules/test_rules_index.c LIBS pc_rules)
# Issue 17: Microsoft's sharing tables as data (sharing-table.tsv); fixes complete with full facts.
pc_add_test(NAME test_sharing_table SOURCES rules/test_sharing_table.c LIBS pc_rules pc_explain)
# Runs /bin/sh on the rendered fixes: POSIX hosts only.
if(NOT WIN32)
  pc_add_test(NAME test_rules_quoting SOURCES rules/test_rules_quoting.c LIBS pc_rules)
endif()

# Benchmark (not a test): median/p99 ns per evaluation, default catalog and synthetic sets.
add_executable(bench_rules bench/bench_rules.c rules/gen_rules.c)
target_include_directories(bench_rules PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/rules)
target_link_libraries(bench_rules PRIVATE pc_rules)
pc_apply_warnings(bench_rules)

pc_add_fuzz(NAME rules SOURCES fuzz/fuzz_rules.c LIBS pc_rules)
# Values through every fix context, checked with each shell's quoting rules.
pc_add_fuzz(NAME template SOURCES fuzz/fuzz_template.c LIBS pc_rules)
if(TARGET fuzz_template)
  target_include_directories(fuzz_template PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/rules)
endif()
