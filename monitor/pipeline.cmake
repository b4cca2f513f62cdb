# pc_pipeline: the portable core of the program (correlator, tables, pipeline glue).
add_library(pc_pipeline STATIC
  ${CMAKE_CURRENT_LIST_DIR}/bmap.c
  ${CMAKE_CURRENT_LIST_DIR}/correlator.c
  ${CMAKE_CURRENT_LIST_DIR}/attempt_text.c
  ${CMAKE_CURRENT_LIST_DIR}/pipeline.c
  ${CMAKE_CURRENT_LIST_DIR}/schema_reconcile.c)
target_include_directories(pc_pipeline PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_pipeline PUBLIC pc_parsers)
pc_apply_warnings(pc_pipeline)

# The example configuration is compiled in (`service install` writes it where none exists), from
# the one documented file, so the two never differ.
set(pc_conf_example ${CMAKE_SOURCE_DIR}/packaging/portclash.conf.example)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${pc_conf_example})
file(READ ${pc_conf_example} pc_conf_hex HEX)
string(REGEX REPLACE "(..)" "0x\\1," pc_conf_bytes "${pc_conf_hex}")
file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/config_example.c @ONLY CONTENT
"/* Generated from packaging/portclash.conf.example by monitor/pipeline.cmake. */
#include \"pc_config.h\"
static const unsigned char example[] = {@pc_conf_bytes@ 0};
const char *pc_config_example(void) { return (const char *)example; }
")

# Findings: host state + rules + the public finding, and the options shared by the commands
# that produce findings.
add_library(pc_findings STATIC
  ${CMAKE_CURRENT_LIST_DIR}/explainer.c
  ${CMAKE_CURRENT_LIST_DIR}/finding_output.c
  ${CMAKE_CURRENT_LIST_DIR}/config.c
  ${CMAKE_CURRENT_BINARY_DIR}/config_example.c
  ${CMAKE_CURRENT_LIST_DIR}/run_options.c)
target_link_libraries(pc_findings PUBLIC pc_pipeline pc_rules pc_hoststate pc_sinks pc_watch)
pc_apply_warnings(pc_findings)

# The program.
add_executable(portclash
  ${CMAKE_CURRENT_LIST_DIR}/main.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_analyze.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_schema.c)
target_link_libraries(portclash PRIVATE pc_findings pc_cmd_hoststate pc_cmd_etl)
# The live monitor: ETW on Windows (pc_win), eBPF on Linux or a stub that says what is
# missing (pc_cmd_monitor, monitor/ebpf.cmake).
if(WIN32)
  target_link_libraries(portclash PRIVATE pc_win)
  target_sources(portclash PRIVATE ${PC_EVENTLOG_MESSAGES_OBJ}) # monitor/windows.cmake
else()
  target_link_libraries(portclash PRIVATE pc_cmd_monitor)
  target_sources(portclash PRIVATE ${CMAKE_CURRENT_LIST_DIR}/cmd_schema_dump-none.c
                                   ${CMAKE_CURRENT_LIST_DIR}/cmd_service-none.c)
endif()
pc_apply_warnings(portclash)
set_target_properties(portclash PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
