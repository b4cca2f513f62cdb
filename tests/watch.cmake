# Watch list, learned ports, port_at_risk warnings, range snapshots and `ranges --diff`
# (issue 9). Unit tests, cases as data (tests/watch/cases/NAME/{script,expected}), the Linux
# live end-to-end test and the fuzz target.
pc_add_test(NAME test_watch_unit SOURCES watch/test_watch_unit.c LIBS pc_watch)

# The case driver uses mkdtemp/open_memstream (POSIX), like the other data-driven tests.
if(NOT WIN32)
  pc_add_test(NAME test_watch_cases SOURCES watch/test_watch_cases.c LIBS pc_cli)
endif()

# Live: changes /proc/sys/net/ipv4/ip_local_reserved_ports (restored by a trap) and starts a
# listener, then polls the live host state. Needs root; exits 77 (skipped) otherwise.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  add_executable(watch_live_driver watch/watch_live_driver.c)
  target_link_libraries(watch_live_driver PRIVATE pc_watch)
  pc_apply_warnings(watch_live_driver)
  add_test(NAME watch_live_e2e
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/watch/watch_live_e2e.sh $<TARGET_FILE:watch_live_driver>)
  set_tests_properties(watch_live_e2e PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()

pc_add_fuzz(NAME watch SOURCES fuzz/fuzz_watch.c LIBS pc_watch)
