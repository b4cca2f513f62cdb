# End-to-end CLI cases: the real binary, real files, exact output.
set(cli ${CMAKE_CURRENT_SOURCE_DIR}/e2e/cli_case.sh)
set(e2e ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
function(pc_cli_case name exit_code stdout_file stderr_text)
  add_test(NAME cli_${name} COMMAND bash ${cli} ${exit_code} ${stdout_file} ${stderr_text} -- ${ARGN})
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
pc_cli_case(rules_check_builtin 0 - - $<TARGET_FILE:portclash> rules check)
pc_cli_case(analyze_bad_rules_dir 2 - "/nonexistent:1:1: cannot open the directory" $<TARGET_FILE:portclash> analyze ${demo}/bind-failures.records --rules /nonexistent)
pc_cli_case(schema_check_builtin_identical 0 - - $<TARGET_FILE:portclash> schema check ${CMAKE_SOURCE_DIR}/parsers/schemas/builtin.schema)
pc_cli_case(schema_check_edited_dump 1 ${e2e}/schema/edited-dump.expected - $<TARGET_FILE:portclash> schema check ${e2e}/schema/edited-dump.schema)
