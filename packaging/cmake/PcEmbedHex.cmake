# pc_embed_hex(FILE bytes_var len_var): reads FILE and sets bytes_var to its bytes as C
# initializers ("0x2f,0x2a,...", 16 a line) and len_var to its size. The bytes are written as
# hex so that any content (quotes, backslashes, non-ASCII text) survives unchanged. Shared by
# the embedding scripts (PcEmbedRun.cmake, rules/embed.cmake), which differ only in the C
# they wrap around the bytes.
function(pc_embed_hex file bytes_var len_var)
  file(READ "${file}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n"
         bytes "${bytes}")
  set(${bytes_var} "${bytes}" PARENT_SCOPE)
  set(${len_var} "${len}" PARENT_SCOPE)
endfunction()
