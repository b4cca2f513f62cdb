# The live Linux source against its budgets; skips (exit 0) without root/BPF.
add_executable(bench_ebpf ${CMAKE_CURRENT_LIST_DIR}/../bench/bench_ebpf.c)
target_link_libraries(bench_ebpf PRIVATE pc_cli)
pc_apply_warnings(bench_ebpf)
