# pc_hoststate: excluded/dynamic port ranges, port owners, process details. One portable core
# (hoststate.c, the offline back end) plus the live back end of the platform.
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(PC_HOSTSTATE_LIVE ${CMAKE_CURRENT_LIST_DIR}/hoststate-linux.c)
elseif(WIN32)
  set(PC_HOSTSTATE_LIVE ${CMAKE_CURRENT_LIST_DIR}/hoststate-win.c) # its libraries: monitor/windows.cmake
else()
  set(PC_HOSTSTATE_LIVE ${CMAKE_CURRENT_LIST_DIR}/hoststate-none.c)
endif()
add_library(pc_hoststate STATIC
  ${CMAKE_CURRENT_LIST_DIR}/hoststate.c
  ${CMAKE_CURRENT_LIST_DIR}/hoststate-offline.c
  ${PC_HOSTSTATE_LIVE})
target_include_directories(pc_hoststate PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_hoststate PUBLIC pc_parsers)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  # The Linux back end opens sock_diag sockets in other namespaces from a helper thread.
  find_package(Threads REQUIRED)
  target_link_libraries(pc_hoststate PUBLIC Threads::Threads)
endif()
pc_apply_warnings(pc_hoststate)

# The `explain` and `ranges` subcommands (main.c links this library and dispatches to them).
add_library(pc_cmd_hoststate STATIC
  ${CMAKE_CURRENT_LIST_DIR}/cmd_explain.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_ranges.c)
target_link_libraries(pc_cmd_hoststate PUBLIC pc_hoststate pc_findings pc_watch pc_format)
pc_apply_warnings(pc_cmd_hoststate)
