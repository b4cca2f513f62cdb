# Packaging (issue 18, Linux half): the state directory in the unit's environment, and the
# man page and completions generated from --help (packaging/cmake/PcInstall.cmake). The
# .deb itself is built, linted, installed and purged by packaging/linux/test-deb.sh.
if(WIN32)
  return()
endif()

add_executable(state_unit_driver packaging/state_unit_driver.c)
target_link_libraries(state_unit_driver PRIVATE pc_watch)
pc_apply_warnings(state_unit_driver)
add_test(NAME state_unit_env
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/packaging/state_unit_env.sh $<TARGET_FILE:state_unit_driver>)
set_tests_properties(state_unit_env PROPERTIES SKIP_RETURN_CODE 77)

if(NOT CMAKE_CROSSCOMPILING)
  add_test(NAME completions
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/completions_test.sh
            ${CMAKE_BINARY_DIR}/packaging/completions/portclash ${CMAKE_BINARY_DIR}/packaging/completions/_portclash
            $<TARGET_FILE:portclash>)
  add_test(NAME manpage
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/packaging/manpage_test.sh ${CMAKE_BINARY_DIR}/packaging/portclash.1
            $<TARGET_FILE:portclash>)
  set_tests_properties(manpage PROPERTIES SKIP_RETURN_CODE 77)
endif()
