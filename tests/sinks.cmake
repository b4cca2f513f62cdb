# Sinks: formatters (byte-exact), aggregation, queue bounds, log rotation, and an
# end-to-end run against a real rsyslog on 127.0.0.1 (skipped without rsyslogd).
pc_add_test(NAME test_format SOURCES sinks/test_format.c LIBS pc_format)
pc_add_test(NAME test_json_writer SOURCES sinks/test_json_writer.c LIBS pc_format)
pc_add_test(NAME test_aggregate SOURCES sinks/test_aggregate.c LIBS pc_explain)
pc_add_test(NAME test_sinks SOURCES sinks/test_sinks.c LIBS pc_sinks pc_explain)
pc_add_test(NAME test_eventlog_encode SOURCES sinks/test_eventlog_encode.c LIBS pc_sinks)

# The end-to-end test against a real rsyslogd: syslog_driver feeds findings through the
# sink; the script runs its own rsyslogd under the build tree (skips with 77 without it).
add_executable(syslog_driver sinks/syslog_driver.c)
target_link_libraries(syslog_driver PRIVATE pc_sinks pc_explain)
pc_apply_warnings(syslog_driver)
find_program(PC_PYTHON3 python3)
if(PC_PYTHON3)
  add_test(NAME sinks_rsyslog_e2e
    COMMAND ${PC_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/sinks/rsyslog_e2e.py
            $<TARGET_FILE:syslog_driver> ${CMAKE_CURRENT_BINARY_DIR}/rsyslog-e2e)
  set_tests_properties(sinks_rsyslog_e2e PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 60)
endif()

# Fuzzing the formatters (clang, -DPC_FUZZ=ON), and the seed corpus replayed in every build.
pc_add_fuzz(NAME format SOURCES fuzz/fuzz_format.c LIBS pc_format)
add_executable(fuzz_replay_format sinks/fuzz_replay.c fuzz/fuzz_format.c)
target_link_libraries(fuzz_replay_format PRIVATE pc_format)
pc_apply_warnings(fuzz_replay_format)
add_test(NAME fuzz_replay_format
  COMMAND fuzz_replay_format ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/format)

# Formatter throughput (not a test): prints ns per finding for each format.
add_executable(bench_format bench/bench_format.c)
target_link_libraries(bench_format PRIVATE pc_format)
pc_apply_warnings(bench_format)

# The monitor's loop, signals and loss records without root: monitor_driver is `portclash
# monitor` with a scripted source (stdin commands) in place of eBPF; the script checks SIGHUP
# reopening the log after a rename, SIGTERM/SIGINT/SIGQUIT with findings in flight, and the
# events_lost / limit_hit records in JSON and syslog. POSIX signals: not on Windows.
if(TARGET pc_cli AND PC_HAVE_EBPF AND PC_PYTHON3)
  add_executable(monitor_driver sinks/monitor_driver.c)
  target_link_libraries(monitor_driver PRIVATE pc_cli)
  pc_apply_warnings(monitor_driver)
  add_test(NAME monitor_signals_e2e
    COMMAND ${PC_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/sinks/monitor_signals_e2e.py $<TARGET_FILE:monitor_driver>)
  set_tests_properties(monitor_signals_e2e PROPERTIES TIMEOUT 120 ENVIRONMENT "PC_STATE_DIR=${CMAKE_BINARY_DIR}/test-state-signals")
endif()
