# Builds examples/space-capped out of tree against the SDK installed from
# this build, then has the kernel (gibd) load and validate it.
# Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, GIBD, PLUGIN_DIR, BUILD_TYPE,
# and optionally CXX_COMPILER (the plugin author's compiler, e.g. clang++).
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix --component sdk)
set(compiler)
if(CXX_COMPILER)
  set(compiler -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/space-capped -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=${BUILD_TYPE} ${compiler})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${GIBD} plugins --plugin-dir ${WORK_DIR}/build/plugins)
if(NOT last_output MATCHES "space space-capped 1.0.0 \\(SDK 1\\.[0-9]+\\)")
  message(FATAL_ERROR "gibd did not list the example plugin:\n${last_output}")
endif()
run(${GIBD} validate ${SOURCE_DIR}/examples/space-capped/capped-node.yaml
    --plugin-dir ${PLUGIN_DIR} --plugin-dir ${WORK_DIR}/build/plugins)
if(NOT last_output MATCHES "^OK")
  message(FATAL_ERROR "unexpected validate output:\n${last_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
