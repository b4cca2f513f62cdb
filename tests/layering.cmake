# The libraries depend downwards only (DESIGN.md data flow): a static check of the CMake links
# and the #include lines of every library folder.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND NOT WIN32)
  add_test(NAME layering COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/layering/check_layers.py
                                 ${CMAKE_SOURCE_DIR})
  set_tests_properties(layering PROPERTIES LABELS unit)
endif()
