# pc_storm: the busy-host storm benchmark (issue 19), run by `packaging/bench.sh --storm`, and
# its smoke run in ctest (1 k/s, one port, 2 s, against the real binary; root + BPF, else
# skipped with 77) so that the harness does not rot. Linux with eBPF only.
find_package(Threads REQUIRED)
add_executable(pc_storm ${CMAKE_CURRENT_LIST_DIR}/storm.c ${CMAKE_CURRENT_LIST_DIR}/bench_busy.c)
target_include_directories(pc_storm PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_storm PRIVATE Threads::Threads)
pc_apply_warnings(pc_storm)
add_test(NAME ebpf_storm_smoke COMMAND pc_storm --smoke --portclash $<TARGET_FILE:portclash>)
set_tests_properties(ebpf_storm_smoke PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 240 LABELS ebpf)
