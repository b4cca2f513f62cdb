pc_add_test(NAME test_decoders SOURCES decoders/test_decoders.c LIBS pc_parsers)

# Built-in schemas against every manifest in ../shared, and test vectors made from the
# manifests alone; both skip (77) when the shared data is absent.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  set(vectors ${CMAKE_CURRENT_BINARY_DIR}/manifest_vectors.txt)
  add_test(NAME schema_matches_manifests
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/decoders/manifests.py check
            ${PC_SHARED_DIR} ${CMAKE_SOURCE_DIR}/parsers/schemas/builtin.schema)
  add_test(NAME manifest_vectors_generate
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/decoders/manifests.py vectors ${PC_SHARED_DIR} ${vectors})
  set_tests_properties(schema_matches_manifests manifest_vectors_generate PROPERTIES SKIP_RETURN_CODE 77)
  set_tests_properties(manifest_vectors_generate PROPERTIES FIXTURES_SETUP manifest_vectors)
  pc_add_test(NAME test_decoder_vectors SOURCES decoders/test_decoder_vectors.c LIBS pc_parsers)
  set_tests_properties(test_decoder_vectors PROPERTIES FIXTURES_REQUIRED manifest_vectors
    ENVIRONMENT "PC_VECTORS=${vectors};PC_SHARED_DIR=${PC_SHARED_DIR}")
else()
  message(WARNING "python3 not found: the manifest cross-check tests are not built")
endif()
pc_add_test(NAME test_reconcile SOURCES decoders/test_reconcile.c LIBS pc_pipeline)
include(bench/pipeline.cmake)
