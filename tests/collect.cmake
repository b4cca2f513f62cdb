# `portclash collect` and `analyze DIR` (issue 16): the readers and the folder without a live
# source (unit), and their fuzz target. The live round trips are in ebpf.cmake (Linux) and
# windows.cmake (Wine, fake controller).
pc_add_test(NAME test_collect SOURCES collect/test_collect.c LIBS pc_cli)
pc_add_fuzz(NAME collect SOURCES fuzz/fuzz_collect.c LIBS pc_cli)
