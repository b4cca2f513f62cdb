# The Linux live source (issue 7): conversion unit test, end-to-end test with real failing
# binds (root + BPF; skips with 77 otherwise), and the live-source benchmark.
add_executable(pc_monitor_dev ${CMAKE_CURRENT_LIST_DIR}/ebpf/monitor_main.c)
target_link_libraries(pc_monitor_dev PRIVATE pc_cmd_monitor)
pc_apply_warnings(pc_monitor_dev)

if(PC_HAVE_EBPF)
  pc_add_test(NAME test_ebpf_convert SOURCES ebpf/test_ebpf_convert.c LIBS pc_source_ebpf)
endif()
