target_sources(pc_parsers PRIVATE ${CMAKE_CURRENT_LIST_DIR}/reader_placeholder.c)
