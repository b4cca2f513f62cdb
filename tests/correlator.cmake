pc_add_test(NAME test_correlator SOURCES correlator/test_correlator.c LIBS pc_pipeline)
pc_add_test(NAME test_bmap SOURCES correlator/test_bmap.c LIBS pc_pipeline)
pc_add_test(NAME test_correlator_props SOURCES correlator/test_correlator_props.c LIBS pc_pipeline)
pc_add_test(NAME test_reorder SOURCES correlator/test_reorder.c LIBS pc_pipeline)
