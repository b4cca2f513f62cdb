# Cross compilation for 64-bit Windows with Debian's MinGW-w64 (gcc-mingw-w64-x86-64).
#
#   cmake -S . -B build-win -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=packaging/cmake/toolchain-mingw64.cmake \
#     -DMINGW_EXTRA_PREFIX=<prefix of the cross-built PCRE2>   (packaging/windows/bootstrap-pcre2.sh)
#
# Tests run through Wine (CMAKE_CROSSCOMPILING_EMULATOR); see packaging/windows/test-windows.sh.
# Recipe proven in shared/reference/toolchain.md sections 2, 3 and 5.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${MINGW_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${MINGW_TRIPLE}-windres)

# Toolchain files are read again by every try_compile; forward the prefix to them.
set(MINGW_EXTRA_PREFIX "${MINGW_EXTRA_PREFIX}" CACHE PATH "Extra find root (cross-built PCRE2)")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MINGW_EXTRA_PREFIX)

# The cross pkg-config wrapper honours PKG_CONFIG_LIBDIR, so only the target's .pc files are
# seen (never the build machine's libpcre2-dev). The prefix must also be a find root, or the
# imported target cannot re-root the -L directory (toolchain.md section 3, "Pitfalls").
set(PKG_CONFIG_EXECUTABLE ${MINGW_TRIPLE}-pkg-config CACHE FILEPATH "pkg-config for the target")
if(MINGW_EXTRA_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR} "${MINGW_EXTRA_PREFIX}/lib/pkgconfig")
endif()
set(CMAKE_FIND_ROOT_PATH /usr/${MINGW_TRIPLE} ${MINGW_EXTRA_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# No DLLs besides the system's next to the exes: libgcc is linked statically (C only, win32
# thread model, so there is no libwinpthread either).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static-libgcc")

# Run the cross-compiled tests under Wine. Debian's "wine" package provides /usr/bin/wine
# (which starts wine64 when there is no wine32); there is no wine64 on PATH.
find_program(WINE_EXECUTABLE NAMES wine wine64)
if(WINE_EXECUTABLE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${WINE_EXECUTABLE})
endif()
