# Installation and the Debian package (issue 18, Linux half). Included at the end of the
# top-level CMakeLists.txt, after every target exists.
#
#   cmake --install build                           the program and everything below (give
#                                                   the prefix at configure time: the unit's
#                                                   paths are computed then)
#   packaging/linux/build-deb.sh                     the .deb (CPack DEB generator, prefix /usr)
#
# What goes where (prefix /usr; GNUInstallDirs maps sysconfdir to /etc for that prefix):
#   bin/portclash                                   the program
#   share/portclash/rules/*.rules                   the default catalog as text (it is built
#                                                   into the program; a start for --rules)
#   share/doc/portclash/                            README.md, rules/FORMAT.md,
#                                                   portclash.conf.example, copyright, changelog
#   share/man/man1/portclash.1.gz                   generated from --help (help2man)
#   share/bash-completion/completions/portclash     generated from --help
#   share/zsh/vendor-completions/_portclash         (site-functions for other prefixes)
#   /etc/portclash/portclash.conf                   the unit's options (a conffile)
#   /lib/systemd/system/portclash.service           PC_SYSTEMD_UNIT_DIR; paths adjusted to
#                                                   the prefix
# The man page and the completions are generated at build time by running the built
# program, so a cross build (MinGW) installs neither; the Windows packages are made by
# packaging/windows/.
include(GNUInstallDirs)

set(pc_pkg_dir ${CMAKE_SOURCE_DIR}/packaging/linux)

install(TARGETS portclash RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(WIN32)
  return()
endif()

install(DIRECTORY ${CMAKE_SOURCE_DIR}/rules/default/ DESTINATION ${CMAKE_INSTALL_DATADIR}/portclash/rules
        FILES_MATCHING PATTERN "*.rules")
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/packaging/portclash.conf.example
              ${pc_pkg_dir}/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/rules/FORMAT.md DESTINATION ${CMAKE_INSTALL_DOCDIR}/rules)
install(FILES ${pc_pkg_dir}/portclash.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/portclash)

# The unit: the checked-in file names /usr/bin/portclash and /etc/portclash/portclash.conf
# (it is usable as it is); other prefixes get their own paths.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(pc_unit_default /lib/systemd/system) # Debian 12 (pkg-config systemd says the same)
else()
  set(pc_unit_default ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(PC_SYSTEMD_UNIT_DIR ${pc_unit_default} CACHE PATH "Where the systemd unit is installed")
file(READ ${pc_pkg_dir}/portclash.service pc_unit)
string(REPLACE "/usr/bin/portclash" "${CMAKE_INSTALL_FULL_BINDIR}/portclash" pc_unit "${pc_unit}")
string(REPLACE "/etc/portclash/" "${CMAKE_INSTALL_FULL_SYSCONFDIR}/portclash/" pc_unit "${pc_unit}")
string(REPLACE "/usr/share/doc/portclash/" "${CMAKE_INSTALL_FULL_DOCDIR}/" pc_unit "${pc_unit}")
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/packaging/portclash.service CONTENT "${pc_unit}" @ONLY)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${pc_pkg_dir}/portclash.service)
install(FILES ${CMAKE_BINARY_DIR}/packaging/portclash.service DESTINATION ${PC_SYSTEMD_UNIT_DIR})

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(pc_zsh_default ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions) # Debian's fpath
else()
  set(pc_zsh_default ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
set(PC_ZSH_COMPLETION_DIR ${pc_zsh_default} CACHE PATH "Where the zsh completion is installed")

# Debian changelog (a native package needs one): one entry for this version, dated from
# SOURCE_DATE_EPOCH when set (build-deb.sh sets it from the last commit), so builds repeat.
set(PC_DEB_MAINTAINER "portclash developers <portclash@users.noreply.github.com>"
    CACHE STRING "Maintainer of the Debian package (Name <address>)")
string(TIMESTAMP pc_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/packaging/changelog CONTENT
"portclash (${PROJECT_VERSION}) unstable; urgency=medium

  * Built from the portclash sources; README.md says what this version does.

 -- ${PC_DEB_MAINTAINER}  ${pc_deb_date}
" @ONLY)

# Generated from the built program: the man page (help2man) and the completions.
if(NOT CMAKE_CROSSCOMPILING)
  set(pc_gen ${CMAKE_BINARY_DIR}/packaging)
  add_custom_command(OUTPUT ${pc_gen}/completions/portclash ${pc_gen}/completions/_portclash
    COMMAND bash ${pc_pkg_dir}/gen-completions.sh $<TARGET_FILE:portclash> ${pc_gen}/completions
    DEPENDS portclash ${pc_pkg_dir}/gen-completions.sh
    COMMENT "Generating the bash and zsh completions from portclash --help"
    VERBATIM)
  add_custom_command(OUTPUT ${pc_gen}/changelog.gz
    COMMAND gzip -9n -c ${pc_gen}/changelog > ${pc_gen}/changelog.gz
    DEPENDS ${pc_gen}/changelog
    VERBATIM)
  set(pc_generated ${pc_gen}/completions/portclash ${pc_gen}/completions/_portclash ${pc_gen}/changelog.gz)
  find_program(PC_HELP2MAN help2man)
  if(PC_HELP2MAN)
    add_custom_command(OUTPUT ${pc_gen}/portclash.1 ${pc_gen}/portclash.1.gz
      COMMAND bash ${pc_pkg_dir}/gen-manpage.sh $<TARGET_FILE:portclash> ${pc_gen}/portclash.1
              ${pc_pkg_dir}/portclash.h2m
      COMMAND gzip -9n -c ${pc_gen}/portclash.1 > ${pc_gen}/portclash.1.gz
      DEPENDS portclash ${pc_pkg_dir}/gen-manpage.sh ${pc_pkg_dir}/portclash.h2m
      COMMENT "Generating the man page portclash(1) from portclash --help (help2man)"
      VERBATIM)
    list(APPEND pc_generated ${pc_gen}/portclash.1.gz)
    install(FILES ${pc_gen}/portclash.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  else()
    message(STATUS "help2man not found: no man page (apt-get install help2man; packaging/deps/tests-packaging.txt)")
  endif()
  add_custom_target(pc_docs ALL DEPENDS ${pc_generated})
  install(FILES ${pc_gen}/completions/portclash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  install(FILES ${pc_gen}/completions/_portclash DESTINATION ${PC_ZSH_COMPLETION_DIR})
  install(FILES ${pc_gen}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
endif()

# ---- Debian package (cpack -G DEB; packaging/linux/build-deb.sh) ----------------------------
set(pc_deb_ctl ${CMAKE_BINARY_DIR}/packaging/deb)
file(MAKE_DIRECTORY ${pc_deb_ctl})
file(CONFIGURE OUTPUT ${pc_deb_ctl}/conffiles CONTENT
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/portclash/portclash.conf\n" @ONLY)
foreach(script postinst prerm postrm)
  configure_file(${pc_pkg_dir}/deb/${script} ${pc_deb_ctl}/${script} COPYONLY)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME portclash)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${PC_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "explain socket bind failures as they happen")
# The synopsis line is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_PACKAGE_DESCRIPTION "portclash catches failed bind() and listen() calls (EADDRINUSE, EACCES, ...)
of every process with eBPF, says which process failed on which address and
port, who holds the port, why it failed and how to fix it. It can run as a
systemd service writing JSON findings to a rotated log or to syslog, and it
also analyses Windows ETW captures (.etl) offline.")
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# dpkg-shlibdeps gives the versioned libc6, libpcre2-8-0 and libbpf1; libelf1 is named too:
# libbpf reads the embedded BPF object with it (today through libbpf1's own dependency).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libelf1")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${pc_deb_ctl}/conffiles ${pc_deb_ctl}/postinst ${pc_deb_ctl}/prerm
                                       ${pc_deb_ctl}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                                                GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
include(CPack)
