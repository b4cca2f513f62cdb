# Windows-only parts of the program: the live ETW source, the TDH schema source, the Windows
# `monitor` and `schema dump` commands, the Windows host-state back end. Compiled only when
# targeting Windows (MinGW cross build); the native Linux build never sees these files.
if(NOT WIN32)
  return()
endif()

# PCRE2 for MinGW is a static library (packaging/windows/bootstrap-pcre2.sh). Its CMake-made
# libpcre2-8.pc lacks -DPCRE2_STATIC, without which every call is an __imp_ reference to a
# DLL that does not exist (toolchain.md section 3, "Pitfalls").
if(TARGET PkgConfig::PCRE2)
  set_property(TARGET PkgConfig::PCRE2 APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS PCRE2_STATIC)
endif()
