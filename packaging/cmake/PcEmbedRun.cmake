# Script half of pc_embed_file: INPUT, OUTPUT and SYMBOL are passed with -D.
include(${CMAKE_CURRENT_LIST_DIR}/PcEmbedHex.cmake)
pc_embed_hex(${INPUT} bytes len)
file(WRITE ${OUTPUT} "/* Generated from ${INPUT}; do not edit. */\n#include <stddef.h>\nconst char ${SYMBOL}[] = {\n${bytes}0x00};\nconst size_t ${SYMBOL}_len = ${len};\n")
