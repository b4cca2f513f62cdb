# End-to-end CLI cases: the real binary, real files, exact output.
set(cli ${CMAKE_CURRENT_SOURCE_DIR}/e2e/cli_case.sh)
set(e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
function(pc_cli_case name exit_code stdout_file stderr_text)
  add_test(NAME cli_${name} COMMAND bash ${cli} ${exit_code} ${stdout_file} ${stderr_text} -- ${ARGN})
  # Commands that remember state (ranges snapshots, learned ports) keep it in the build tree.
  set_tests_properties(cli_${name} PROPERTIES ENVIRONMENT "PC_STATE_DIR=${CMAKE_BINARY_DIR}/test-state")
endfunction()

set(demo ${CMAKE_SOURCE_DIR}/demo)
set(demo_hoststate --netsh-excluded ${demo}/netsh-excluded-udp.txt --netsh-excluded ${demo}/netsh-excluded-tcp.txt
    --netsh-dynamic ${demo}/netsh-dynamic-tcp.txt --netstat ${demo}/netstat-ano.txt --tasklist ${demo}/tasklist.csv)
pc_cli_case(analyze_demo 0 ${e2e}/demo.expected - $<TARGET_FILE:portclash> analyze ${demo}/bind-failures.records
  ${demo_hoststate} --host demo-host --no-color)
pc_cli_case(analyze_demo_json 0 ${e2e}/demo-json.expected - $<TARGET_FILE:portclash> analyze ${demo}/bind-failures.records
  ${demo_hoststate} --host demo-host --format json)
# Without host state nothing may be claimed about ranges or owners: generic explanations.
pc_cli_case(analyze_demo_without_hoststate 0 ${e2e}/demo-no-hoststate.expected - $<TARGET_FILE:portclash> analyze
  ${demo}/bind-failures.records --host demo-host --format json)
pc_cli_case(analyze_bad_line_names_file_and_line 2 - "bad-line.records:2: event 1030 v0 has no property 'Bogus'"
  $<TARGET_FILE:portclash> analyze ${e2e}/bad-line.records)
pc_cli_case(analyze_missing_file 2 - "/nonexistent/capture.etl: cannot open: No such file or directory" $<TARGET_FILE:portclash> analyze /nonexistent/capture.etl)
pc_cli_case(analyze_no_file 2 - "usage: portclash analyze" $<TARGET_FILE:portclash> analyze)
pc_cli_case(unknown_command 2 - "unknown command 'frobnicate'" $<TARGET_FILE:portclash> frobnicate)
pc_cli_case(help 0 - - $<TARGET_FILE:portclash> --help)
# Options come from the option table (tests/options): its messages through the real binary.
pc_cli_case(analyze_bad_window 2 - "portclash analyze: --window needs a number of seconds (0..86400), got 'x'"
  $<TARGET_FILE:portclash> analyze ${demo}/bind-failures.records --window x)
pc_cli_case(explain_help 0 - - $<TARGET_FILE:portclash> explain --help)
pc_cli_case(help_options_keys 0 - - $<TARGET_FILE:portclash> help-options --keys)
pc_cli_case(rules_check_builtin 0 - - $<TARGET_FILE:portclash> rules check)
pc_cli_case(analyze_bad_rules_dir 2 - "/nonexistent:1:1: cannot open the directory" $<TARGET_FILE:portclash> analyze ${demo}/bind-failures.records --rules /nonexistent)
pc_cli_case(schema_check_builtin_identical 0 - - $<TARGET_FILE:portclash> schema check ${CMAKE_SOURCE_DIR}/parsers/schemas/builtin.schema)
pc_cli_case(schema_check_edited_dump 1 ${e2e}/schema/edited-dump.expected - $<TARGET_FILE:portclash> schema check ${e2e}/schema/edited-dump.schema)

# analyze on real ETL files: the demo capture written as ETL (64-bit, 32-bit, XPRESS-compressed,
# records spread over CPUs) must give the same findings as the fixture, with source "etl".
if(TARGET pc_etl_writer)
  add_executable(records_to_etl e2e/records_to_etl.c)
  target_link_libraries(records_to_etl PRIVATE pc_etl_writer pc_parsers)
  pc_apply_warnings(records_to_etl)
  foreach(variant "64;" "32;--ptr32" "xpress;--compress")
    list(GET variant 0 name)
    list(GET variant 1 flag)
    set(etl ${CMAKE_CURRENT_BINARY_DIR}/demo-${name}.etl)
    add_test(NAME etl_make_demo_${name} COMMAND records_to_etl ${demo}/bind-failures.records ${etl} ${flag})
    set_tests_properties(etl_make_demo_${name} PROPERTIES FIXTURES_SETUP demo_etl_${name})
    pc_cli_case(analyze_demo_etl_${name} 0 ${e2e}/demo-etl-json.expected - $<TARGET_FILE:portclash> analyze ${etl}
      ${demo_hoststate} --host demo-host --format json)
    set_tests_properties(cli_analyze_demo_etl_${name} PROPERTIES FIXTURES_REQUIRED demo_etl_${name})
  endforeach()
  # A capture cut in the middle: the findings before the damage are still printed, the
  # error names the byte offset, exit status 2.
  set(cut ${CMAKE_CURRENT_BINARY_DIR}/demo-cut.etl)
  add_test(NAME etl_make_demo_cut COMMAND bash -c "head -c 150000 '${CMAKE_CURRENT_BINARY_DIR}/demo-64.etl' > '${cut}'")
  set_tests_properties(etl_make_demo_cut PROPERTIES FIXTURES_REQUIRED demo_etl_64 FIXTURES_SETUP demo_etl_cut)
  pc_cli_case(analyze_cut_etl_reports_offset 2 - "demo-cut.etl: byte 0x" $<TARGET_FILE:portclash> analyze ${cut} --format json)
  set_tests_properties(cli_analyze_cut_etl_reports_offset PROPERTIES FIXTURES_REQUIRED demo_etl_cut)
  # A Windows `collect` folder (the demo capture and text under the names collect gives them)
  # analysed here: the same findings as the capture with every host-state option by hand.
  if(NOT WIN32)
    add_test(NAME cli_analyze_windows_collect_folder
      COMMAND bash ${e2e}/windows_collect_folder.sh $<TARGET_FILE:portclash> ${demo}
        ${CMAKE_CURRENT_BINARY_DIR}/demo-64.etl ${e2e}/demo-etl-json.expected)
    set_tests_properties(cli_analyze_windows_collect_folder PROPERTIES FIXTURES_REQUIRED demo_etl_64 LABELS e2e)
  endif()
  # Hostile inputs (a decompression bomb, FIFOs, /dev/zero): exit 2 with a message within a
  # second. POSIX only (mkfifo, symlinks to /dev/zero).
  add_executable(etl_bomb e2e/etl_bomb.c)
  target_link_libraries(etl_bomb PRIVATE pc_etl_writer)
  pc_apply_warnings(etl_bomb)
  if(NOT WIN32)
    add_test(NAME cli_hostile_inputs
      COMMAND bash ${e2e}/hostile_inputs.sh $<TARGET_FILE:portclash> $<TARGET_FILE:etl_bomb> ${demo})
  endif()
endif()
if(PC_SHARED_DIR AND EXISTS ${PC_SHARED_DIR}/samples/etl/HTTP_Server.etl)
  # A real Windows 7 capture of another provider: read to the end, nothing to report.
  pc_cli_case(analyze_real_capture_without_binds 0 ${e2e}/empty.expected "records: 2041 (decoded 0, other providers 2041"
    $<TARGET_FILE:portclash> analyze ${PC_SHARED_DIR}/samples/etl/HTTP_Server.etl --summary --format json)
endif()

# explain, offline from the demo's netsh/netstat/tasklist text: the facts, then the rules' finding
# for the bind (text and JSON): HTTP.sys (PID 4), an excluded range, another process, a free port.
set(explain_80 explain 80 --netsh-excluded ${demo}/netsh-excluded-tcp.txt --netstat ${demo}/netstat-ano.txt
    --tasklist ${demo}/tasklist.csv)
set(explain_50010 explain 50010 --proto udp --netsh-excluded ${demo}/netsh-excluded-udp.txt
    --netstat ${demo}/netstat-ano.txt)
set(explain_hs --netsh-excluded ${demo}/netsh-excluded-tcp.txt --netsh-dynamic ${demo}/netsh-dynamic-tcp.txt
    --netstat ${demo}/netstat-ano.txt --tasklist ${demo}/tasklist.csv)
pc_cli_case(explain_offline_httpsys 0 ${e2e}/explain-80-offline.expected - $<TARGET_FILE:portclash> ${explain_80})
pc_cli_case(explain_offline_httpsys_json 0 ${e2e}/explain-80-offline-json.expected - $<TARGET_FILE:portclash>
  ${explain_80} --format json)
# HTTP.sys: who is behind a PID 4 listener, from stored netsh http outputs in three languages
# (reconstructed, see tests/e2e/httpsys/README.md): rules C07, C08, C09, C10 end to end.
set(hsys ${e2e}/httpsys)
set(hsys_in --netstat ${hsys}/netstat-ano.txt --tasklist ${hsys}/tasklist-svc.csv --netsh-http ${hsys}/servicestate-en.txt)
pc_cli_case(analyze_httpsys_c07_to_c10_json 0 ${e2e}/analyze-httpsys-json.expected - $<TARGET_FILE:portclash> analyze
  ${hsys}/binds.records ${hsys_in} --netsh-http ${hsys}/servicestate-de.txt --netsh-http ${hsys}/urlacl-fr.txt
  --host e2e-host --format json)
pc_cli_case(explain_offline_httpsys_owner_named 0 ${e2e}/explain-80-httpsys.expected - $<TARGET_FILE:portclash>
  explain 80 ${hsys_in} --netsh-http ${hsys}/urlacl-fr.txt)
pc_cli_case(analyze_bad_netsh_http_names_file_and_line 2 - "http_bad_port.txt:5: a URL without a valid port"
  $<TARGET_FILE:portclash> analyze ${hsys}/binds.records --netsh-http ${CMAKE_CURRENT_SOURCE_DIR}/hoststate/data/http_bad_port.txt)
pc_cli_case(explain_offline_udp_excluded_json 0 ${e2e}/explain-50010-udp-offline.expected - $<TARGET_FILE:portclash>
  ${explain_50010} --format json)
pc_cli_case(explain_offline_udp_excluded 0 ${e2e}/explain-50010-udp-offline-text.expected - $<TARGET_FILE:portclash>
  ${explain_50010})
pc_cli_case(explain_offline_held 0 ${e2e}/explain-3000-held-offline.expected - $<TARGET_FILE:portclash> explain 3000
  ${explain_hs})
pc_cli_case(explain_offline_held_json 0 ${e2e}/explain-3000-held-offline-json.expected - $<TARGET_FILE:portclash>
  explain 3000 ${explain_hs} --format json)
pc_cli_case(explain_offline_free 0 ${e2e}/explain-3001-free-offline.expected - $<TARGET_FILE:portclash> explain 3001
  ${explain_hs})
pc_cli_case(explain_offline_free_json 0 ${e2e}/explain-3001-free-offline-json.expected - $<TARGET_FILE:portclash>
  explain 3001 ${explain_hs} --format json)

# ranges --diff: a first run saves the TCP ranges, the second (with the UDP file too) reports
# exactly the two UDP ranges that appeared.
set(diff_state ${CMAKE_CURRENT_BINARY_DIR}/ranges-diff-state)
add_test(NAME cli_ranges_diff
  COMMAND bash -c "rm -rf '${diff_state}' && export PC_STATE_DIR='${diff_state}' && \
'$<TARGET_FILE:portclash>' ranges --netsh-excluded '${demo}/netsh-excluded-tcp.txt' >/dev/null && \
'$<TARGET_FILE:portclash>' ranges --diff --format json --netsh-excluded '${demo}/netsh-excluded-udp.txt' \
--netsh-excluded '${demo}/netsh-excluded-tcp.txt' | python3 -c \"import json,sys; d=json.load(sys.stdin); \
a=[(r['proto'],r['start'],r['end']) for r in d['excluded_added']]; \
assert a==[('udp',50000,50059),('udp',50060,50159)], a; assert not d['excluded_removed'], d; print('1 passed, 0 failed')\"")

# The watch list through the live Linux monitor (root + eBPF; skips with 77 otherwise).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  add_test(NAME monitor_watch_e2e COMMAND bash ${e2e}/monitor_watch_e2e.sh $<TARGET_FILE:portclash>)
  set_tests_properties(monitor_watch_e2e PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 60)
endif()
# Issue 14: the holder's SO_EXCLUSIVEADDRUSE seen in the capture reaches the rules as
# owner_exclusive (no netstat: only the stream names the holder; tasklist confirms it exists).
pc_cli_case(analyze_holder_options_from_stream 0 ${e2e}/holder-exclusive.expected - $<TARGET_FILE:portclash> analyze
  ${e2e}/holder-exclusive.records --netsh-excluded ${demo}/netsh-excluded-tcp.txt --tasklist ${e2e}/holder-tasklist.csv
  --host demo-host --format json)

# Issue 17: one failed bind per class (tests/e2e/issue17/failures.records), explained with the
# host state in English and in German; without netsh the known holder is still named; the same
# capture written as an ETL from build 9600 (Server 2012 R2) gives KB3039044 (C30). `explain`
# answers from the same texts.
set(i17 ${e2e}/issue17)
set(i17_en --netsh-excluded ${i17}/netsh-excluded-tcp.en.txt --netsh-dynamic ${i17}/netsh-dynamic-tcp.en.txt
    --netstat ${i17}/netstat.en.txt --tasklist ${i17}/tasklist.csv)
set(i17_de --netsh-excluded ${i17}/netsh-excluded-tcp.de.txt --netsh-dynamic ${i17}/netsh-dynamic-tcp.de.txt
    --netstat ${i17}/netstat.de.txt --tasklist ${i17}/tasklist.csv)
pc_cli_case(analyze_issue17_en 0 ${i17}/analyze.expected - $<TARGET_FILE:portclash> analyze ${i17}/failures.records
  ${i17_en} --host h --no-color)
pc_cli_case(analyze_issue17_de 0 ${i17}/analyze.expected - $<TARGET_FILE:portclash> analyze ${i17}/failures.records
  ${i17_de} --host h --no-color)
pc_cli_case(analyze_issue17_no_netsh 0 ${i17}/analyze-no-netsh.expected - $<TARGET_FILE:portclash> analyze
  ${i17}/failures.records --netstat ${i17}/netstat.en.txt --tasklist ${i17}/tasklist.csv --host h --no-color)
if(TARGET records_to_etl)
  set(i17_etl ${CMAKE_CURRENT_BINARY_DIR}/issue17-9600.etl)
  add_test(NAME etl_make_issue17_9600 COMMAND records_to_etl ${i17}/failures.records ${i17_etl} --build 9600)
  set_tests_properties(etl_make_issue17_9600 PROPERTIES FIXTURES_SETUP issue17_etl)
  pc_cli_case(analyze_issue17_9600_de 0 ${i17}/analyze-9600.expected - $<TARGET_FILE:portclash> analyze ${i17_etl}
    ${i17_de} --host h --no-color)
  set_tests_properties(cli_analyze_issue17_9600_de PROPERTIES FIXTURES_REQUIRED issue17_etl)
endif()
foreach(lang en de)
  pc_cli_case(explain_issue17_1433_${lang} 0 ${i17}/explain-1433.expected - $<TARGET_FILE:portclash> explain 1433
    ${i17_${lang}})
  pc_cli_case(explain_issue17_3000_${lang} 0 ${i17}/explain-3000.expected - $<TARGET_FILE:portclash> explain 3000
    ${i17_${lang}})
  pc_cli_case(explain_issue17_50001_${lang} 0 ${i17}/explain-50001.expected - $<TARGET_FILE:portclash> explain 50001
    ${i17_${lang}})
endforeach()
pc_cli_case(explain_issue17_9000_no_netsh 0 ${i17}/explain-9000-no-netsh.expected - $<TARGET_FILE:portclash> explain
  9000 --address 10.0.0.5 --netstat ${i17}/netstat.de.txt --tasklist ${i17}/tasklist.csv)
