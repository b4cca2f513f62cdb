# ETL reader tests: real samples (skipped without PC_SHARED_DIR), writer round trips,
# corruption and truncation, XPRESS; plus the `etl info` command and the benchmark.
add_library(pc_etl_writer STATIC etl/etl_writer.c)
target_include_directories(pc_etl_writer PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/etl)
target_link_libraries(pc_etl_writer PUBLIC pc_core)
pc_apply_warnings(pc_etl_writer)

pc_add_test(NAME test_etl
  SOURCES etl/test_etl_samples.c etl/test_etl_roundtrip.c etl/test_etl_corrupt.c
  LIBS pc_parsers pc_etl_writer)
pc_add_test(NAME test_etl_xpress SOURCES etl/test_etl_xpress.c LIBS pc_parsers pc_etl_writer)
pc_add_test(NAME test_etl_info SOURCES etl/test_etl_info.c LIBS pc_cli pc_etl_writer)

pc_add_fuzz(NAME etl SOURCES fuzz/fuzz_etl.c LIBS pc_parsers)
pc_add_fuzz(NAME xpress SOURCES fuzz/fuzz_xpress.c LIBS pc_parsers)
# Writer + reader: the same records with any number of CPUs read back in the same order.
pc_add_fuzz(NAME etl_cpus SOURCES fuzz/fuzz_etl_cpus.c LIBS pc_parsers pc_etl_writer)

include(bench/etl.cmake)

# The same capture with 1, 4 and 64 CPUs (the benchmark generator is POSIX-only).
if(NOT WIN32)
  pc_add_test(NAME test_etl_cpus SOURCES etl/test_etl_cpus.c LIBS pc_cli pc_parsers pc_etl_writer pc_bench_gen)
endif()
