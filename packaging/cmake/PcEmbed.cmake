# pc_embed_file(TARGET target INPUT file SYMBOL name): compiles the bytes of INPUT into
# TARGET as `const char name[]` (NUL-terminated) and `const size_t name_len`, regenerated
# whenever INPUT changes. Used for data that ships inside the binary (schemas, rules).
set(PC_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/PcEmbedRun.cmake)
set(PC_EMBED_HEX ${CMAKE_CURRENT_LIST_DIR}/PcEmbedHex.cmake)
function(pc_embed_file)
  cmake_parse_arguments(E "" "TARGET;INPUT;SYMBOL" "" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embed_${E_SYMBOL}.c)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${E_INPUT} -DOUTPUT=${out} -DSYMBOL=${E_SYMBOL} -P ${PC_EMBED_SCRIPT}
    DEPENDS ${E_INPUT} ${PC_EMBED_SCRIPT} ${PC_EMBED_HEX}
    COMMENT "Embedding ${E_INPUT}")
  target_sources(${E_TARGET} PRIVATE ${out})
endfunction()
