# pc_watch: warnings before a bind fails (issue 9): the watch list, learned ports, the
# port_at_risk detector, range snapshots and `ranges --diff`, and the state directory.
if(WIN32)
  set(PC_STATE_DIR_OS ${CMAKE_CURRENT_LIST_DIR}/state_dir-win.c)
else()
  set(PC_STATE_DIR_OS ${CMAKE_CURRENT_LIST_DIR}/state_dir-posix.c)
endif()
add_library(pc_watch STATIC
  ${CMAKE_CURRENT_LIST_DIR}/watch_list.c
  ${CMAKE_CURRENT_LIST_DIR}/learned_ports.c
  ${CMAKE_CURRENT_LIST_DIR}/watcher.c
  ${CMAKE_CURRENT_LIST_DIR}/risk_findings.c
  ${CMAKE_CURRENT_LIST_DIR}/ranges_diff.c
  ${CMAKE_CURRENT_LIST_DIR}/state_dir.c
  ${PC_STATE_DIR_OS})
target_include_directories(pc_watch PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_watch PUBLIC pc_findings)
pc_apply_warnings(pc_watch)
