# Builds an example plugin (examples/<EXAMPLE>) out of tree against the SDK
# installed from this build, as a third party would, then has the kernel
# (gibd) list it and validate a deployment that uses it. It also checks
# what the installed package promises a plugin author:
#  * no Boost: the package does not look for Boost, and the build reads no
#    Boost header (every compiler dependency file is scanned);
#  * none of our own warning flags: the internal gibkit_warnings target is
#    not in the package, and the plugin's compile flags have no -Werror.
# Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, GIBD, BUILD_TYPE,
#   EXAMPLE (folder under examples/), KIND and PLUGIN (what gibd plugins must
#   list: "<KIND> <PLUGIN> 1.0.0 (SDK 1.x)"),
#   DEPLOYMENT (YAML file in the example folder), EXTRA_PLUGIN_DIR (optional:
#   another plugin directory the deployment needs, e.g. the build's),
#   and optionally CXX_COMPILER / C_COMPILER (the plugin author's compiler,
#   e.g. clang++).
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component sdk)

# The package as installed: no Boost, no internal warnings target.
file(GLOB_RECURSE package_files ${prefix}/*.cmake)
list(FILTER package_files INCLUDE REGEX "/cmake/gibkit/")
if(NOT package_files)
  message(FATAL_ERROR "no gibkit CMake package under ${prefix}")
endif()
foreach(f IN LISTS package_files)
  file(READ ${f} text)
  if(text MATCHES "find_dependency\\(Boost|find_package\\(Boost|Boost::")
    message(FATAL_ERROR "the installed package mentions Boost (${f})")
  endif()
  if(f MATCHES "gibkitTargets" AND text MATCHES "warnings")
    message(FATAL_ERROR "the installed package exports the internal gibkit_warnings target (${f})")
  endif()
endforeach()

set(compilers)
if(CXX_COMPILER)
  list(APPEND compilers -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(C_COMPILER)
  list(APPEND compilers -DCMAKE_C_COMPILER=${C_COMPILER})
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${EXAMPLE} -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=${BUILD_TYPE} ${compilers})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)

# No Boost header was read: the compiler's dependency files list every
# header each source included. (Boost usually sits in /usr/include, a
# system directory, so the absence of a Boost include path alone proves
# nothing.)
file(GLOB_RECURSE depfiles ${WORK_DIR}/build/CMakeFiles/*.o.d)
if(NOT depfiles)
  message(FATAL_ERROR "no compiler dependency files to check for Boost headers")
endif()
set(saw_gibkit_header FALSE)
foreach(f IN LISTS depfiles)
  file(READ ${f} deps)
  if(deps MATCHES "[/ ]boost/")
    string(REGEX MATCH "[^ \n]*boost/[^ \n]*" first "${deps}")
    message(FATAL_ERROR "the example read a Boost header (${first}; ${f})")
  endif()
  if(deps MATCHES "include/gibkit/")
    set(saw_gibkit_header TRUE)
  endif()
endforeach()
if(NOT saw_gibkit_header)
  message(FATAL_ERROR "the dependency files list no gibkit header: the Boost check would prove nothing")
endif()
file(GLOB_RECURSE flag_files ${WORK_DIR}/build/CMakeFiles/*/flags.make)
foreach(f IN LISTS flag_files)
  file(READ ${f} flags)
  if(flags MATCHES "-Werror|-Wpedantic")
    message(FATAL_ERROR "the example inherited gibkit's warning flags (${f})")
  endif()
endforeach()

run(${GIBD} plugins --plugin-dir ${WORK_DIR}/build/plugins)
if(NOT last_output MATCHES "${KIND} ${PLUGIN} 1\\.0\\.0 \\(SDK 1\\.[0-9]+\\)")
  message(FATAL_ERROR "gibd did not list the example plugin:\n${last_output}")
endif()
set(plugin_dirs --plugin-dir ${WORK_DIR}/build/plugins)
if(EXTRA_PLUGIN_DIR)
  list(PREPEND plugin_dirs --plugin-dir ${EXTRA_PLUGIN_DIR})
endif()
run(${GIBD} validate ${SOURCE_DIR}/examples/${EXAMPLE}/${DEPLOYMENT} ${plugin_dirs})
if(NOT last_output MATCHES "^OK")
  message(FATAL_ERROR "unexpected validate output:\n${last_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
