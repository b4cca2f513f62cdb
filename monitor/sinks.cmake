# pc_format: the pure formatters (text, JSON, RFC 5424/3164 syslog, CEF), with no threads or OS
# code: for the sinks, the JSON output of the commands, the fuzz target and the benchmark.
add_library(pc_format STATIC
  ${CMAKE_CURRENT_LIST_DIR}/format_util.c
  ${CMAKE_CURRENT_LIST_DIR}/format_text.c
  ${CMAKE_CURRENT_LIST_DIR}/format_json.c
  ${CMAKE_CURRENT_LIST_DIR}/format_syslog.c
  ${CMAKE_CURRENT_LIST_DIR}/format_cef.c)
target_include_directories(pc_format PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_format PUBLIC pc_core)
pc_apply_warnings(pc_format)

# pc_sinks: the formatters plus aggregation, and the console / log file / syslog transports
# behind bounded queues. The formatters come from pc_format, so that a program linking both
# (the commands' JSON and the sinks) has one copy of each object.
find_package(Threads REQUIRED)
if(WIN32)
  set(PC_SINKS_OS_SOURCES ${CMAKE_CURRENT_LIST_DIR}/sink_os-win.c ${CMAKE_CURRENT_LIST_DIR}/sink_syslog-win.c
                          ${CMAKE_CURRENT_LIST_DIR}/sink_eventlog-win.c)
else()
  set(PC_SINKS_OS_SOURCES ${CMAKE_CURRENT_LIST_DIR}/sink_os-posix.c
                          ${CMAKE_CURRENT_LIST_DIR}/sink_syslog-posix.c
                          ${CMAKE_CURRENT_LIST_DIR}/sink_eventlog-none.c)
endif()
add_library(pc_sinks STATIC
  ${CMAKE_CURRENT_LIST_DIR}/aggregate.c
  ${CMAKE_CURRENT_LIST_DIR}/sink_queue.c
  ${CMAKE_CURRENT_LIST_DIR}/sink_set.c
  ${CMAKE_CURRENT_LIST_DIR}/sink_console.c
  ${CMAKE_CURRENT_LIST_DIR}/sink_file.c
  ${CMAKE_CURRENT_LIST_DIR}/sink_syslog.c
  ${CMAKE_CURRENT_LIST_DIR}/sink_eventlog.c
  ${PC_SINKS_OS_SOURCES})
target_include_directories(pc_sinks PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(pc_sinks PRIVATE PC_VERSION_STRING="${PROJECT_VERSION}")
target_link_libraries(pc_sinks PUBLIC pc_format Threads::Threads)
if(WIN32)
  target_link_libraries(pc_sinks PUBLIC pc_win_util ws2_32 advapi32) # pc_win_util: monitor/windows.cmake
endif()
pc_apply_warnings(pc_sinks)
