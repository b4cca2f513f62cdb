# Warnings and sanitizers for every portclash target. Applied through pc_apply_warnings()
# so that third-party code built later (PCRE2 for MinGW) is not affected.
set(PC_WARNING_FLAGS -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla)
if(PC_WERROR)
  list(APPEND PC_WARNING_FLAGS -Werror)
endif()

if(PC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzzing needs coverage instrumentation in every library the targets link, not only in
# the harness.
if(PC_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

function(pc_apply_warnings target)
  target_compile_options(${target} PRIVATE ${PC_WARNING_FLAGS})
endfunction()
