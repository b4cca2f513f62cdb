# Host-state text parsers: netsh excluded/dynamic ranges, netstat -ano, tasklist CSV.
target_sources(pc_parsers PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/netsh_http.c
  ${CMAKE_CURRENT_LIST_DIR}/netsh_ranges.c
  ${CMAKE_CURRENT_LIST_DIR}/netstat_ano.c
  ${CMAKE_CURRENT_LIST_DIR}/tasklist_csv.c
  ${CMAKE_CURRENT_LIST_DIR}/text_input.c)
