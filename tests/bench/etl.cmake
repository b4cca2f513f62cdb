# bench_etl: ETL read throughput and peak RSS on a generated file (not a ctest).
add_executable(bench_etl ${CMAKE_CURRENT_LIST_DIR}/bench_etl.c)
target_link_libraries(bench_etl PRIVATE pc_parsers pc_etl_writer)
pc_apply_warnings(bench_etl)
