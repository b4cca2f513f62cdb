# ETL file reader (+ XPRESS decompression). Portable: no Windows headers.
target_sources(pc_parsers PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/etl_reader.c
  ${CMAKE_CURRENT_LIST_DIR}/etl_format.c
  ${CMAKE_CURRENT_LIST_DIR}/etl_clock.c
  ${CMAKE_CURRENT_LIST_DIR}/etl_source.c
  ${CMAKE_CURRENT_LIST_DIR}/etl_counts.c
  ${CMAKE_CURRENT_LIST_DIR}/xpress.c)
