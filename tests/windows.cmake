# Windows (MinGW cross build) tests, run under Wine through CMAKE_CROSSCOMPILING_EMULATOR
# (packaging/windows/test-windows.sh). Included by tests/CMakeLists.txt on every platform;
# everything here is for WIN32 only.
if(NOT WIN32)
  return()
endif()

# ---- Portable tests and tools that cannot be built or run for Windows ----------------
# One entry per name: "name|why". A listed target is left out of the default build
# (EXCLUDE_FROM_ALL); a listed test, and any test whose executable is left out, is marked
# DISABLED so ctest shows it as "Not Run (Disabled)" instead of failing. Remove an entry
# when its reason goes away; the configure step prints the list so it is never silent.
set(PC_WINDOWS_EXCLUDED
  "sinks_rsyslog_e2e|needs a native rsyslogd and python driving syslog_driver"
  # The Linux eBPF end-to-end helpers (tests/ebpf.cmake): Linux only.
  "pc_bind_trigger|includes <arpa/inet.h>, drives the Linux eBPF end-to-end test only"
  "pc_monitor_dev|the Linux eBPF monitor driver (Windows has its own monitor in pc_cli)"
  # POSIX-only functions in the test sources.
  # Benchmarks: POSIX timing APIs.
  "pc_bench_gen|includes <sys/resource.h>"
  "bench_etl|includes <sys/resource.h>"
  "bench_rules|uses timespec_get/TIME_UTC"
  "bench_format|uses clock_gettime (only in winpthreads, not linked)"
  # Host-side scripts: they run on Linux and would call a Windows exe directly (no Wine) or
  # need python/bash.
  "schema_matches_manifests|python on the build machine, already run by the native build"
  "manifest_vectors_generate|python on the build machine, already run by the native build"
  "test_decoder_vectors|needs manifest_vectors_generate (python)"
  "etl_make_demo_cut|bash on the build machine, feeds the cli_ tests only")
# Every end-to-end CLI case: tests/e2e/cli_case.sh is a bash script calling portclash.exe
# directly (not through Wine) and comparing LF output (Windows writes CRLF).
set(PC_WINDOWS_EXCLUDED_TEST_REGEX "^cli_")

# Wine may exit 0 after an unhandled exception in a stub (toolchain.md section 4, "Exit status
# after a crash is unreliable"), so its crash messages fail a test whatever the exit code.
set(PC_WINE_FAIL_REGEX "unimplemented function;Unhandled exception;Unhandled page fault;starting debugger")

# ---- The Windows-only tests ----------------------------------------------------------
if(WIN32)
  pc_add_test(NAME test_win_etw_source SOURCES windows/test_etw_source.c LIBS pc_cli)
  pc_add_test(NAME test_win_tdh_source SOURCES windows/test_tdh_source.c LIBS pc_cli)
  pc_add_test(NAME test_win_cmd_monitor SOURCES windows/test_cmd_monitor.c windows/etw_synth.c LIBS pc_cli ws2_32)
  # The live host state against real sockets of the test process (win.c).
  pc_add_test(NAME test_win_hoststate SOURCES windows/test_hoststate_win.c LIBS pc_hoststate ws2_32)
  # Service mode against the service manager (Wine's SCM here): install, query, start, stop,
  # uninstall a check-mode service run by pc_service_driver (pc_cmd_service without main.c).
  add_executable(pc_service_driver windows/service_driver.c)
  target_link_libraries(pc_service_driver PRIVATE pc_cli)
  pc_apply_warnings(pc_service_driver)
  pc_add_test(NAME test_win_service SOURCES windows/test_service_win.c LIBS advapi32)
  # The service's decisions with the OS calls replaced (restarts, ACL checks).
  pc_add_test(NAME test_win_service_supervise SOURCES windows/test_service_supervise.c LIBS pc_cli)
  add_dependencies(test_win_service pc_service_driver)
  set_tests_properties(test_win_service PROPERTIES RUN_SERIAL TRUE TIMEOUT 90)
  # Real Winsock conflicts between two sockets of one process (the cells of the sharing matrix
  # where Windows and Wine agree are asserted, the others printed), and the host state's view.
  # The Event Log sink through a fake advapi32 table, the message table of portclash.exe
  # (FormatMessageW on the exe loaded as a data file) and the event source's registry key.
  pc_add_test(NAME test_win_eventlog SOURCES windows/test_eventlog_win.c LIBS pc_sinks advapi32)
  # Serial: it installs a service and writes the event source key, as test_win_service and
  # win_msi do.
  add_dependencies(test_win_eventlog pc_service_driver)
  set_tests_properties(test_win_eventlog PROPERTIES RUN_SERIAL TRUE TIMEOUT 90)
  if(TARGET portclash)
    add_dependencies(test_win_eventlog portclash)
    set_property(TEST test_win_eventlog APPEND PROPERTY ENVIRONMENT "PC_PORTCLASH_EXE=$<TARGET_FILE:portclash>")
  endif()
  # collect -> analyze DIR: injected tool runner, fake controller that also writes the ETL file.
  pc_add_test(NAME test_win_collect SOURCES windows/test_collect_win.c windows/etw_synth.c LIBS pc_cli pc_etl_writer
              ws2_32)
  set_tests_properties(test_win_collect PROPERTIES TIMEOUT 90)
  pc_add_test(NAME test_win_winsock_conflicts SOURCES windows/test_winsock_conflicts.c LIBS pc_hoststate ws2_32)
  # `portclash selftest` with real Winsock provocations and a fake ETW controller delivering the
  # events inferred for each (the controller is test code only), a silent controller, no
  # administrator, and a simulated Ctrl+C / console close.
  pc_add_test(NAME test_win_selftest SOURCES windows/test_selftest_win.c windows/etw_synth.c LIBS pc_cli ws2_32)
  set_tests_properties(test_win_selftest PROPERTIES TIMEOUT 240)
endif()

# A crash must fail a test: the helper writes through a null pointer; WILL_FAIL makes the test
# pass only if its run failed (exit status, or Wine's crash message through the fail regex set
# in pc__windows_finalize_tests). If crashes stopped failing tests, this one would fail.
add_executable(pc_crash_helper windows/crash_helper.c)
pc_apply_warnings(pc_crash_helper)
add_test(NAME win_crash_fails_a_test COMMAND pc_crash_helper)
set_tests_properties(win_crash_fails_a_test PROPERTIES WILL_FAIL TRUE)

# The PCRE2 bootstrap stops on a tarball whose SHA-256 differs from the pin (offline check).
add_test(NAME win_pcre2_checksum_mismatch_fails
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/windows/pcre2_checksum_mismatch.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/pcre2-mismatch)

# ---- portclash.exe end to end under Wine ------------------------------------------------
# The native cli_ cases (tests/e2e.cmake) call the program directly from bash, so they are
# disabled above; these run portclash.exe through Wine with the same inputs and compare with
# the same expected files, CRLF turned into LF (tests/windows/wine_cli_case.sh).
if(TARGET portclash AND CMAKE_CROSSCOMPILING_EMULATOR)
  set(wcase ${CMAKE_CURRENT_SOURCE_DIR}/windows/wine_cli_case.sh)
  set(e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
  set(demo ${CMAKE_SOURCE_DIR}/demo)
  set(demo_hs --netsh-excluded ${demo}/netsh-excluded-udp.txt --netsh-excluded ${demo}/netsh-excluded-tcp.txt
      --netsh-dynamic ${demo}/netsh-dynamic-tcp.txt --netstat ${demo}/netstat-ano.txt --tasklist ${demo}/tasklist.csv)
  function(pc__wine_cli_case name exit_code stdout_file stderr_text)
    add_test(NAME win_cli_${name}
      COMMAND bash ${wcase} ${exit_code} ${stdout_file} ${stderr_text} -- ${CMAKE_CROSSCOMPILING_EMULATOR}
              $<TARGET_FILE:portclash> ${ARGN})
  endfunction()
  pc__wine_cli_case(analyze_demo_json 0 ${e2e}/demo-json.expected - analyze ${demo}/bind-failures.records
    ${demo_hs} --host demo-host --format json)
  pc__wine_cli_case(analyze_demo_text 0 ${e2e}/demo.expected - analyze ${demo}/bind-failures.records
    ${demo_hs} --host demo-host --no-color)
  pc__wine_cli_case(analyze_demo_without_hoststate 0 ${e2e}/demo-no-hoststate.expected - analyze
    ${demo}/bind-failures.records --host demo-host --format json)
  set(explain_80 explain 80 --netsh-excluded ${demo}/netsh-excluded-tcp.txt --netstat ${demo}/netstat-ano.txt
      --tasklist ${demo}/tasklist.csv)
  set(explain_50010 explain 50010 --proto udp --netsh-excluded ${demo}/netsh-excluded-udp.txt
      --netstat ${demo}/netstat-ano.txt)
  set(explain_hs --netsh-excluded ${demo}/netsh-excluded-tcp.txt --netsh-dynamic ${demo}/netsh-dynamic-tcp.txt
      --netstat ${demo}/netstat-ano.txt --tasklist ${demo}/tasklist.csv)
  pc__wine_cli_case(explain_offline_httpsys 0 ${e2e}/explain-80-offline.expected - ${explain_80})
  pc__wine_cli_case(explain_offline_httpsys_json 0 ${e2e}/explain-80-offline-json.expected - ${explain_80} --format json)
  pc__wine_cli_case(explain_offline_udp_excluded_json 0 ${e2e}/explain-50010-udp-offline.expected - ${explain_50010}
    --format json)
  pc__wine_cli_case(explain_offline_udp_excluded 0 ${e2e}/explain-50010-udp-offline-text.expected - ${explain_50010})
  pc__wine_cli_case(explain_offline_held 0 ${e2e}/explain-3000-held-offline.expected - explain 3000 ${explain_hs})
  pc__wine_cli_case(explain_offline_held_json 0 ${e2e}/explain-3000-held-offline-json.expected - explain 3000
    ${explain_hs} --format json)
  pc__wine_cli_case(explain_offline_free 0 ${e2e}/explain-3001-free-offline.expected - explain 3001 ${explain_hs})
  pc__wine_cli_case(explain_offline_free_json 0 ${e2e}/explain-3001-free-offline-json.expected - explain 3001
    ${explain_hs} --format json)
  pc__wine_cli_case(analyze_bad_line_names_file_and_line 2 - "bad-line.records:2: event 1030 v0 has no property 'Bogus'"
    analyze ${e2e}/bad-line.records)
  set(hsys ${e2e}/httpsys)
  pc__wine_cli_case(analyze_httpsys_c07_to_c10_json 0 ${e2e}/analyze-httpsys-json.expected - analyze
    ${hsys}/binds.records --netstat ${hsys}/netstat-ano.txt --tasklist ${hsys}/tasklist-svc.csv
    --netsh-http ${hsys}/servicestate-en.txt --netsh-http ${hsys}/servicestate-de.txt
    --netsh-http ${hsys}/urlacl-fr.txt --host e2e-host --format json)
  pc__wine_cli_case(rules_check_builtin 0 - - rules check)
  pc__wine_cli_case(help 0 - - --help)
  # The Windows rows of the option table: in monitor's help, refused with a clear message.
  pc__wine_cli_case(monitor_help_has_windows_options 0 - - monitor --help)
  pc__wine_cli_case(monitor_linux_option_refused 2 - "--hooks exists in the Linux version of portclash only"
    monitor --hooks raw)
  # The real self-test under Wine's ETW stubs: OpenTrace refuses, exit 3 with what to do
  # (test_win_selftest runs it with a fake controller).
  pc__wine_cli_case(selftest_etw_refused_exit_3 3 - "access denied when starting the ETW session"
    selftest --no-os-schemas)
  # The PCRE2 linked is the pinned one, recorded in the build tree and shown by --version.
  add_test(NAME win_pcre2_version
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/windows/wine_pcre2_version.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}
            ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:portclash>)
  # explain against a port held by a native Linux process (python3 listener).
  add_test(NAME win_explain_port_held_by_linux_process
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/windows/wine_explain_linux_holder.sh ${CMAKE_CROSSCOMPILING_EMULATOR}
            $<TARGET_FILE:portclash>)
endif()

# ---- The MSI (packaging/windows/build-msi.sh) -----------------------------------------------
# Built with wixl, checked with msiinfo/msiextract, installed and uninstalled with Wine's
# msiexec (packaging/windows/test-msi.sh). Serial: it registers a service in the prefix.
find_program(PC_WIXL wixl)
find_program(PC_MSIINFO msiinfo)
if(TARGET portclash AND PC_WIXL AND PC_MSIINFO)
  add_test(NAME win_msi COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/windows/test-msi.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(win_msi PROPERTIES RUN_SERIAL TRUE TIMEOUT 120)
else()
  message(STATUS "Windows build: no MSI test (wixl and msiinfo are in packaging/deps/tests-windows.txt)")
endif()

# ---- The ZIP (packaging/windows/build-zip.sh) -----------------------------------------------
# Lists and checks its contents, then runs the extracted portclash.exe under Wine.
if(TARGET portclash)
  add_test(NAME win_zip COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/windows/test-zip.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(win_zip PROPERTIES TIMEOUT 120)
endif()

# Every build-system target of the project (all directories are processed by then).
function(pc__windows_collect_targets dir out)
  get_property(here DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(s IN LISTS subs)
    pc__windows_collect_targets(${s} more)
    list(APPEND here ${more})
  endforeach()
  set(${out} ${here} PARENT_SCOPE)
endfunction()

# Runs once tests/CMakeLists.txt is done, so tests added after this file are covered too.
function(pc__windows_finalize_tests)
  set(excluded_names "")
  foreach(entry IN LISTS PC_WINDOWS_EXCLUDED)
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 name)
    list(GET parts 1 why)
    list(APPEND excluded_names ${name})
    if(TARGET ${name})
      set_target_properties(${name} PROPERTIES EXCLUDE_FROM_ALL TRUE)
      message(STATUS "Windows build: not building ${name}: ${why}")
    endif()
  endforeach()
  # Whatever links a left-out target is left out too (to a fixed point), and said so.
  pc__windows_collect_targets(${CMAKE_SOURCE_DIR} all_targets)
  set(changed TRUE)
  while(changed)
    set(changed FALSE)
    foreach(tgt IN LISTS all_targets)
      get_target_property(ex ${tgt} EXCLUDE_FROM_ALL)
      if(ex)
        continue()
      endif()
      get_target_property(libs ${tgt} LINK_LIBRARIES)
      foreach(lib IN LISTS libs)
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
        if(TARGET ${lib})
          get_target_property(lib_ex ${lib} EXCLUDE_FROM_ALL)
          if(lib_ex)
            set_target_properties(${tgt} PROPERTIES EXCLUDE_FROM_ALL TRUE)
            message(STATUS "Windows build: not building ${tgt}: links ${lib}")
            set(changed TRUE)
            break()
          endif()
        endif()
      endforeach()
    endforeach()
  endwhile()
  get_property(all_tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} PROPERTY TESTS)
  set(n_disabled 0)
  foreach(t IN LISTS all_tests)
    set(skip_it FALSE)
    if(t IN_LIST excluded_names OR t MATCHES "${PC_WINDOWS_EXCLUDED_TEST_REGEX}")
      set(skip_it TRUE)
    elseif(TARGET ${t})
      get_target_property(ex ${t} EXCLUDE_FROM_ALL)
      if(ex)
        set(skip_it TRUE)
      endif()
    endif()
    if(skip_it)
      set_tests_properties(${t} PROPERTIES DISABLED TRUE)
      math(EXPR n_disabled "${n_disabled} + 1")
    else()
      # Every test has a time limit of its own (a hung Wine helper must not hold ctest up to
      # its global --timeout): 60 s unless the test set a longer one above.
      get_test_property(${t} TIMEOUT limit)
      if(NOT limit)
        set_tests_properties(${t} PROPERTIES TIMEOUT 60)
      endif()
      set_property(TEST ${t} APPEND PROPERTY FAIL_REGULAR_EXPRESSION ${PC_WINE_FAIL_REGEX})
      set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT "WINEDEBUG=-all")
    endif()
  endforeach()
  message(STATUS "Windows build: ${n_disabled} test(s) disabled (POSIX-only or host-side), see tests/windows.cmake")
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} CALL pc__windows_finalize_tests)
