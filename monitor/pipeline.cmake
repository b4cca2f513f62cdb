# pc_pipeline: the portable core of the program (correlator, tables, pipeline glue).
add_library(pc_pipeline STATIC
  ${CMAKE_CURRENT_LIST_DIR}/bmap.c
  ${CMAKE_CURRENT_LIST_DIR}/correlator.c
  ${CMAKE_CURRENT_LIST_DIR}/attempt_text.c)
target_include_directories(pc_pipeline PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_pipeline PUBLIC pc_parsers)
pc_apply_warnings(pc_pipeline)
