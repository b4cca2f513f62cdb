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

# pc_win_util: Windows helpers (Winsock start-up, starting a child process) shared by the
# syslog sink (pc_sinks), the host state (pc_hoststate) and the service (pc_win).
add_library(pc_win_util STATIC ${CMAKE_CURRENT_LIST_DIR}/win_util-win.c)
target_include_directories(pc_win_util PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_win_util PUBLIC ws2_32)
pc_apply_warnings(pc_win_util)

# pc_win: the Windows sources and commands, as a library so the tests link the real code.
add_library(pc_win STATIC
  ${CMAKE_CURRENT_LIST_DIR}/source_etw-win.c
  ${CMAKE_CURRENT_LIST_DIR}/schema_source-win.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_schema_dump-win.c
  ${CMAKE_CURRENT_LIST_DIR}/cmd_monitor-win.c
  ${CMAKE_CURRENT_LIST_DIR}/service-win.c
  ${CMAKE_CURRENT_LIST_DIR}/service_acl-win.c)
target_include_directories(pc_win PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_win PUBLIC pc_pipeline pc_findings pc_win_util advapi32)
pc_apply_warnings(pc_win)

# The live host state (hoststate-win.c, chosen in hoststate.cmake): IP Helper tables, Winsock
# for the test bind, the service manager and process tokens (advapi32).
if(TARGET pc_hoststate)
  target_link_libraries(pc_hoststate PUBLIC pc_win_util iphlpapi ws2_32 advapi32)
endif()
