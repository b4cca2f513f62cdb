# Rules: cases as data, diagnostics, engine behaviour, the bench and the fuzz target.
pc_add_test(NAME test_rules_cases SOURCES rules/test_rules_cases.c LIBS pc_rules)
pc_add_test(NAME test_rules_errors SOURCES rules/test_rules_errors.c LIBS pc_rules)
pc_add_test(NAME test_rules_engine SOURCES rules/test_rules_engine.c LIBS pc_rules pc_cli)
pc_add_test(NAME test_rules_index SOURCES rules/test_rules_index.c LIBS pc_rules)

# Benchmark (not a test): median/p99 ns per evaluation, default catalog and synthetic sets.
add_executable(bench_rules bench/bench_rules.c)
target_link_libraries(bench_rules PRIVATE pc_rules)
pc_apply_warnings(bench_rules)

pc_add_fuzz(NAME rules SOURCES fuzz/fuzz_rules.c LIBS pc_rules)
