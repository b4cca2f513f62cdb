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
# The exact PCRE2 this tree links, recorded in the build tree (pcre2-version.txt: "10.46"); the
# test win_pcre2_version checks it against the pin and against `portclash --version`.
file(WRITE ${CMAKE_BINARY_DIR}/pcre2-version.txt "${PCRE2_VERSION}\n")
message(STATUS "Windows build: PCRE2 ${PCRE2_VERSION} (${PCRE2_LINK_LIBRARIES})")

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
  ${CMAKE_CURRENT_LIST_DIR}/service-win.c)
target_include_directories(pc_win PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pc_win PUBLIC pc_pipeline pc_findings pc_win_util advapi32)
pc_apply_warnings(pc_win)

# The live host state (hoststate-win.c, chosen in hoststate.cmake): IP Helper tables, Winsock
# for the test bind, the service manager and process tokens (advapi32).
if(TARGET pc_hoststate)
  target_link_libraries(pc_hoststate PUBLIC pc_win_util iphlpapi ws2_32 advapi32)
endif()

# The message table of the Event Log source "portclash" (sink_eventlog_messages.mc; ids in
# pc_sink_eventlog.h), linked into portclash.exe as a resource: windmc makes the .rc and the
# binary table (Unicode, -U), windres a COFF object. The event source's registry key names
# portclash.exe as EventMessageFile, so Event Viewer reads its texts from there.
find_program(PC_WINDMC NAMES ${MINGW_TRIPLE}-windmc x86_64-w64-mingw32-windmc windmc)
if(NOT PC_WINDMC OR NOT CMAKE_RC_COMPILER)
  message(FATAL_ERROR "Windows build: windmc/windres missing (binutils-mingw-w64-x86-64)")
endif()
set(pc_mc_dir ${CMAKE_CURRENT_BINARY_DIR}/eventlog_messages)
set(PC_EVENTLOG_MESSAGES_OBJ ${pc_mc_dir}/sink_eventlog_messages.res.o)
add_custom_command(
  OUTPUT ${PC_EVENTLOG_MESSAGES_OBJ} ${pc_mc_dir}/sink_eventlog_messages.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${pc_mc_dir}
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_CURRENT_LIST_DIR}/sink_eventlog_messages.mc
          -DOUT=${pc_mc_dir}/sink_eventlog_messages.mc -P ${CMAKE_SOURCE_DIR}/packaging/cmake/PcCrlf.cmake
  COMMAND ${PC_WINDMC} -U -h ${pc_mc_dir} -r ${pc_mc_dir} ${pc_mc_dir}/sink_eventlog_messages.mc
  COMMAND ${CMAKE_RC_COMPILER} -I ${pc_mc_dir} -O coff -i ${pc_mc_dir}/sink_eventlog_messages.rc
          -o ${PC_EVENTLOG_MESSAGES_OBJ}
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/sink_eventlog_messages.mc ${CMAKE_SOURCE_DIR}/packaging/cmake/PcCrlf.cmake
  WORKING_DIRECTORY ${pc_mc_dir}
  COMMENT "Event Log message table (windmc, windres)"
  VERBATIM)
