# ETW payload decoding: schemas as data, the walker, decoders, NTSTATUS and sockaddr.
include(${CMAKE_SOURCE_DIR}/packaging/cmake/PcEmbed.cmake)
target_sources(pc_parsers PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/schema_text.c
  ${CMAKE_CURRENT_LIST_DIR}/schema_walk.c
  ${CMAKE_CURRENT_LIST_DIR}/schema_builtin.c
  ${CMAKE_CURRENT_LIST_DIR}/decode.c
  ${CMAKE_CURRENT_LIST_DIR}/ntstatus.c
  ${CMAKE_CURRENT_LIST_DIR}/sockaddr.c
  ${CMAKE_CURRENT_LIST_DIR}/fixture.c)
pc_embed_file(TARGET pc_parsers INPUT ${CMAKE_CURRENT_LIST_DIR}/schemas/builtin.schema SYMBOL pc__builtin_schema)
