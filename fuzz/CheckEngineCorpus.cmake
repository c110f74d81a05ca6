# Fails when fuzz/corpus/engine differs from what kiln-engine-fuzz-corpus
# writes today (a seed changed, added or removed without regenerating).
#   cmake -DGENERATOR=<kiln-engine-fuzz-corpus> -DCORPUS=<dir> -DWORK=<dir>
#         -P CheckEngineCorpus.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(COMMAND "${GENERATOR}" "${WORK}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} failed (${status})")
endif()
file(GLOB expected RELATIVE "${WORK}" "${WORK}/*")
file(GLOB committed RELATIVE "${CORPUS}" "${CORPUS}/*")
list(SORT expected)
list(SORT committed)
if(NOT expected STREQUAL committed)
  message(FATAL_ERROR "fuzz/corpus/engine has files ${committed}, the "
                      "generator writes ${expected}; regenerate it (see "
                      "docs/fuzzing.md)")
endif()
foreach(name IN LISTS expected)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files
                          "${WORK}/${name}" "${CORPUS}/${name}"
                  RESULT_VARIABLE different)
  if(different)
    message(FATAL_ERROR "fuzz/corpus/engine/${name} is out of date; "
                        "regenerate the corpus (see docs/fuzzing.md)")
  endif()
endforeach()
