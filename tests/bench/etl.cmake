# bench_etl: ETL read throughput and peak RSS on a generated file (not a ctest).
add_executable(bench_etl ${CMAKE_CURRENT_LIST_DIR}/bench_etl.c)
target_link_libraries(bench_etl PRIVATE pc_parsers pc_etl_writer)
pc_apply_warnings(bench_etl)
# bench_replay: `portclash analyze` over an ETL file, records per CPU second (issue 19).
if(NOT WIN32)
  add_executable(bench_replay ${CMAKE_CURRENT_LIST_DIR}/bench_replay.c)
  target_link_libraries(bench_replay PRIVATE pc_cli pc_parsers pc_etl_writer pc_bench_gen)
  pc_apply_warnings(bench_replay)
endif()
