pc_add_test(NAME test_correlator SOURCES correlator/test_correlator.c LIBS pc_pipeline)
