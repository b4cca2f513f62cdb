# Host state: text parsers, offline/live back ends, enrich, explain/ranges; fuzz targets.
pc_add_test(NAME test_hoststate_text SOURCES hoststate/test_hoststate_text.c LIBS pc_parsers)
pc_add_test(NAME test_hoststate_offline SOURCES hoststate/test_hoststate_offline.c LIBS pc_cli)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  pc_add_test(NAME test_hoststate_live SOURCES hoststate/test_hoststate_live.c LIBS pc_cli)
  pc_add_test(NAME test_hoststate_netns SOURCES hoststate/test_netns.c LIBS pc_hoststate)
  pc_add_test(NAME test_hoststate_busy SOURCES hoststate/test_hoststate_busy.c LIBS pc_hoststate)
  # Benchmark (run by packaging/bench.sh): owner lookups on a host with 20 000 sockets.
  add_executable(bench_owners bench/bench_owners.c bench/bench_busy.c)
  target_include_directories(bench_owners PRIVATE bench)
  target_link_libraries(bench_owners PRIVATE pc_hoststate)
  pc_apply_warnings(bench_owners)
endif()

pc_add_fuzz(NAME netsh SOURCES fuzz/fuzz_netsh.c LIBS pc_parsers)
pc_add_fuzz(NAME netstat SOURCES fuzz/fuzz_netstat.c LIBS pc_parsers)
pc_add_fuzz(NAME tasklist SOURCES fuzz/fuzz_tasklist.c LIBS pc_parsers)
pc_add_fuzz(NAME netsh_http SOURCES fuzz/fuzz_netsh_http.c LIBS pc_parsers)
