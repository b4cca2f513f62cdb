# Benchmarks: plain executables (not ctest), run by packaging/bench.sh.
add_library(pc_bench_gen STATIC ${CMAKE_CURRENT_LIST_DIR}/bench_gen.c)
target_include_directories(pc_bench_gen PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_bench_gen PUBLIC pc_core pc_format)
pc_apply_warnings(pc_bench_gen)
add_executable(bench_pipeline ${CMAKE_CURRENT_LIST_DIR}/bench_pipeline.c)
target_link_libraries(bench_pipeline PRIVATE pc_bench_gen pc_cli)
pc_apply_warnings(bench_pipeline)
