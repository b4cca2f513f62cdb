# The one source interface (pc_source.h) over the file sources; the live sources are covered
# by the eBPF end-to-end test (tests/ebpf.cmake) and the fake ETW controller (tests/windows).
pc_add_test(NAME test_source SOURCES source/test_source.c LIBS pc_source)
set_tests_properties(test_source PROPERTIES FIXTURES_REQUIRED demo_etl_64
  ENVIRONMENT "PC_SOURCE_DIR=${CMAKE_SOURCE_DIR};PC_TEST_ETL=${CMAKE_CURRENT_BINARY_DIR}/demo-64.etl")
