# The Linux live source (issue 7): conversion unit test, end-to-end test with real failing
# binds (root + BPF; skips with 77 otherwise), and the live-source benchmark. Linux only.
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()

if(PC_HAVE_EBPF)
  pc_add_test(NAME test_ebpf_convert SOURCES ebpf/test_ebpf_convert.c LIBS pc_source)
  # The user-space half of the kernel-side counting: repeats, fair queue, uid losses.
  pc_add_test(NAME test_agg_fairq SOURCES ebpf/test_agg_fairq.c LIBS pc_source)
endif()

# End-to-end: real failures against the real binary. Root + BPF, else skipped (77) with the
# reason.
add_executable(pc_bind_trigger ${CMAKE_CURRENT_LIST_DIR}/ebpf/bind_trigger.c)
pc_apply_warnings(pc_bind_trigger)
add_executable(pc_bind_storm ${CMAKE_CURRENT_LIST_DIR}/ebpf/bind_storm.c)
pc_apply_warnings(pc_bind_storm)
if(PC_HAVE_EBPF)
  add_test(NAME ebpf_monitor_e2e
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/ebpf/monitor_e2e.sh $<TARGET_FILE:portclash>
            $<TARGET_FILE:portclash> $<TARGET_FILE:pc_bind_trigger>)
  # The test attaches system-wide hooks and makes real failures: run it alone so that other
  # tests' binds do not interleave with its checks, and give loading time on a busy machine.
  set_tests_properties(ebpf_monitor_e2e PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 120)
endif()

# Kernel-side counting, per-uid fairness and learned ports (issues 19, 20): storms of real
# failures from root and from uid 65534. Root + BPF, else skipped (77).
if(PC_HAVE_EBPF)
  add_test(NAME ebpf_storm_e2e
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/ebpf/storm_e2e.sh $<TARGET_FILE:portclash> $<TARGET_FILE:pc_bind_storm>)
  set_tests_properties(ebpf_storm_e2e PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 180)
endif()

# `portclash selftest` for real, and failing when the bind() hook is left detached.
if(PC_HAVE_EBPF)
  add_test(NAME ebpf_selftest_e2e COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/ebpf/selftest_e2e.sh $<TARGET_FILE:portclash>)
  set_tests_properties(ebpf_selftest_e2e PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 120)
endif()

# `portclash collect` -> `analyze DIR` for real: the same findings as the live run; Ctrl+C.
if(PC_HAVE_EBPF)
  add_test(NAME ebpf_collect_e2e
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/ebpf/collect_e2e.sh $<TARGET_FILE:portclash> $<TARGET_FILE:pc_bind_trigger>)
  set_tests_properties(ebpf_collect_e2e PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 180)
endif()

# Benchmark (run by packaging/bench.sh like every tests/bench_* executable).
if(PC_HAVE_EBPF)
  include(${CMAKE_CURRENT_LIST_DIR}/ebpf/bench.cmake)
  include(${CMAKE_CURRENT_LIST_DIR}/bench/storm.cmake)
endif()
