# The Linux live source (`portclash monitor`): an eBPF CO-RE program plus its loader.
#
# Optional. It is built when clang (with the bpf target), bpftool and libbpf are found; the
# rest of portclash builds without it, and `portclash monitor` then says how to get it.
#   -DPC_EBPF=AUTO (default) | ON (fail when something is missing) | OFF
# Defines:
#   PC_HAVE_EBPF      TRUE when the source is built (a cache entry: visible in every directory)
#   pc_source_ebpf    static library: the loader (pc_source_ebpf.h), BPF object embedded
#   pc_cmd_monitor    static library: pc_cmd_monitor() for main.c (Linux or the stub)
# The BPF object is compiled against the checked-in minimal kernel-types header
# (monitor/bpf/pc_kernel_types.h), never against a generated vmlinux.h, so the build does
# not depend on the build host's kernel; libbpf relocates it on the target at load time.
set(PC_EBPF "AUTO" CACHE STRING "Build the eBPF live source: AUTO, ON or OFF")
set(PC_HAVE_EBPF FALSE)
set(pc_ebpf_missing "")

# On Windows the monitor command is the ETW one (monitor/windows.cmake, library pc_win).
if(WIN32)
  return()
endif()

if(PC_EBPF AND NOT PC_EBPF STREQUAL "OFF")
  if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
    set(pc_ebpf_missing "a Linux target")
  else()
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
      set(PC_BPF_ARCH x86)
    elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
      set(PC_BPF_ARCH arm64)
    else()
      list(APPEND pc_ebpf_missing "a supported CPU (x86_64 or aarch64, not ${CMAKE_SYSTEM_PROCESSOR})")
    endif()
    find_program(PC_BPF_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
    find_program(PC_BPFTOOL bpftool PATHS /usr/sbin /usr/local/sbin /sbin)
    pkg_check_modules(LIBBPF QUIET IMPORTED_TARGET libbpf>=0.8)
    if(NOT PC_BPF_CLANG)
      list(APPEND pc_ebpf_missing "clang")
    endif()
    if(NOT PC_BPFTOOL)
      list(APPEND pc_ebpf_missing "bpftool")
    endif()
    if(NOT LIBBPF_FOUND)
      list(APPEND pc_ebpf_missing "libbpf >= 0.8 (libbpf-dev)")
    endif()
    find_package(Threads)
  endif()
  if(pc_ebpf_missing STREQUAL "")
    set(PC_HAVE_EBPF TRUE)
  elseif(PC_EBPF STREQUAL "ON")
    message(FATAL_ERROR "PC_EBPF=ON but the eBPF source cannot be built: missing ${pc_ebpf_missing}")
  endif()
endif()

if(PC_HAVE_EBPF)
  set(pc_bpf_src ${CMAKE_CURRENT_LIST_DIR}/bpf/pc_bind.bpf.c)
  set(pc_bpf_out ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  file(MAKE_DIRECTORY ${pc_bpf_out})
  set(pc_bpf_inc)
  foreach(d ${LIBBPF_INCLUDE_DIRS})
    list(APPEND pc_bpf_inc -I${d})
  endforeach()
  # -g gives the BTF and CO-RE relocations; -O2 is what the verifier can follow.
  add_custom_command(OUTPUT ${pc_bpf_out}/pc_bind.bpf.o
    COMMAND ${PC_BPF_CLANG} -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_${PC_BPF_ARCH}
            -I${CMAKE_CURRENT_LIST_DIR}/bpf ${pc_bpf_inc} -c ${pc_bpf_src} -o ${pc_bpf_out}/pc_bind.bpf.o
    DEPENDS ${pc_bpf_src} ${CMAKE_CURRENT_LIST_DIR}/bpf/pc_bpf_event.h
            ${CMAKE_CURRENT_LIST_DIR}/bpf/pc_kernel_types.h
    COMMENT "Compiling the eBPF program pc_bind.bpf.c"
    VERBATIM)
  # `gen object` strips the DWARF (the skeleton embeds a third of the size); the skeleton
  # embeds the object into the loader, so the installed binary is self-contained.
  add_custom_command(OUTPUT ${pc_bpf_out}/pc_bind.skel.h
    COMMAND ${PC_BPFTOOL} gen object ${pc_bpf_out}/pc_bind.linked.o ${pc_bpf_out}/pc_bind.bpf.o
    COMMAND ${PC_BPFTOOL} gen skeleton ${pc_bpf_out}/pc_bind.linked.o name pc_bind_bpf > ${pc_bpf_out}/pc_bind.skel.h
    DEPENDS ${pc_bpf_out}/pc_bind.bpf.o
    COMMENT "Generating the eBPF skeleton pc_bind.skel.h"
    VERBATIM)
  add_custom_target(pc_bind_skel DEPENDS ${pc_bpf_out}/pc_bind.skel.h)

  add_library(pc_source_ebpf STATIC ${CMAKE_CURRENT_LIST_DIR}/source_ebpf-linux.c)
  add_dependencies(pc_source_ebpf pc_bind_skel)
  target_include_directories(pc_source_ebpf PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_LIST_DIR}/bpf)
  # SYSTEM: the generated skeleton is not held to the project's warning flags.
  target_include_directories(pc_source_ebpf SYSTEM PRIVATE ${pc_bpf_out})
  target_link_libraries(pc_source_ebpf PUBLIC pc_core PkgConfig::LIBBPF Threads::Threads)
  pc_apply_warnings(pc_source_ebpf)

  add_library(pc_cmd_monitor STATIC ${CMAKE_CURRENT_LIST_DIR}/cmd_monitor-linux.c)
  target_link_libraries(pc_cmd_monitor PUBLIC pc_source_ebpf pc_findings)
  set(PC_HAVE_EBPF TRUE CACHE INTERNAL "The eBPF live source is built")
  message(STATUS "eBPF live source: yes (${PC_BPF_CLANG}, ${PC_BPFTOOL}, libbpf ${LIBBPF_VERSION})")
else()
  set(PC_HAVE_EBPF FALSE CACHE INTERNAL "The eBPF live source is built")
  add_library(pc_cmd_monitor STATIC ${CMAKE_CURRENT_LIST_DIR}/cmd_monitor-none.c)
  target_link_libraries(pc_cmd_monitor PUBLIC pc_core)
  if(PC_EBPF STREQUAL "OFF")
    message(STATUS "eBPF live source: no (PC_EBPF=OFF)")
  else()
    string(REPLACE ";" ", " pc_ebpf_missing_text "${pc_ebpf_missing}")
    message(STATUS "eBPF live source: no, missing ${pc_ebpf_missing_text}; `portclash monitor` will say so. "
                   "Install libbpf-dev bpftool clang (packaging/deps/base-ebpf.txt) to build it.")
  endif()
endif()
target_include_directories(pc_cmd_monitor PUBLIC ${CMAKE_CURRENT_LIST_DIR})
pc_apply_warnings(pc_cmd_monitor)
