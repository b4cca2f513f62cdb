# Fuzz targets for the decoders, the schema text and the fixture reader (other areas add theirs).
pc_add_fuzz(NAME decode SOURCES fuzz/fuzz_decode.c LIBS pc_pipeline)
pc_add_fuzz(NAME schema SOURCES fuzz/fuzz_schema.c LIBS pc_parsers)
pc_add_fuzz(NAME fixture SOURCES fuzz/fuzz_fixture.c LIBS pc_parsers)
