# Packaging (issue 18, Linux half): the learned ports survive a restart in the environment
# of portclash.service (STATE_DIRECTORY, HOME=/, nothing else writable).
if(WIN32)
  return()
endif()

add_executable(state_unit_driver packaging/state_unit_driver.c)
target_link_libraries(state_unit_driver PRIVATE pc_watch)
pc_apply_warnings(state_unit_driver)
add_test(NAME state_unit_env
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/packaging/state_unit_env.sh $<TARGET_FILE:state_unit_driver>)
set_tests_properties(state_unit_env PROPERTIES SKIP_RETURN_CODE 77)
