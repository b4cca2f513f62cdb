# The habits of the tree (CONTRIBUTING.md), checked by ctest as well as by CI:
#  * layering: the libraries depend downwards only (DESIGN.md data flow), a static check of the
#    CMake links and the #include lines of every library folder;
#  * style: clang-format and no banned functions (packaging/check-style.sh).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND NOT WIN32)
  add_test(NAME layering COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/layering/check_layers.py
                                 ${CMAKE_SOURCE_DIR})
endif()
if(NOT WIN32)
  add_test(NAME style COMMAND bash ${CMAKE_SOURCE_DIR}/packaging/check-style.sh ${CMAKE_SOURCE_DIR})
  set_tests_properties(style PROPERTIES SKIP_RETURN_CODE 77)
endif()

# Every test gets the label of its area, so that `ctest -L unit` (or e2e, ebpf, windows,
# fuzz) runs one kind. Deferred to the end of this directory, when every test exists.
function(pc__label_tests)
  get_property(all_tests DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} PROPERTY TESTS)
  foreach(t ${all_tests})
    get_test_property(${t} LABELS have)
    if(have)
      continue()
    endif()
    if(t MATCHES "^fuzz_")
      set(label fuzz)
    elseif(t MATCHES "ebpf")
      set(label ebpf)
    elseif(t MATCHES "^(test_)?win_")
      set(label windows)
    elseif(t MATCHES "^cli_|_e2e$|^etl_make_")
      set(label e2e)
    else()
      set(label unit)
    endif()
    set_tests_properties(${t} PROPERTIES LABELS ${label})
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} CALL pc__label_tests)
