# pc_cmd_etl: `portclash etl info` (linked into the program by monitor/CMakeLists.txt).
add_library(pc_cmd_etl STATIC ${CMAKE_CURRENT_LIST_DIR}/cmd_etl_info.c)
target_include_directories(pc_cmd_etl PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_cmd_etl PUBLIC pc_parsers pc_format)
pc_apply_warnings(pc_cmd_etl)
