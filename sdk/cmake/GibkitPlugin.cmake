# gibkit_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...] [NO_INSTALL])
#
# Builds a gibkit plugin: a shared module loaded by the kernel at run time,
# linked against the SDK (statically, so no C++ type crosses the plugin ABI)
# with hidden visibility, so that only the exported entry point is visible.
# Used in-tree and, through the installed gibkit package, by third parties.
# NO_INSTALL: test-only plugins that must not ship.
function(gibkit_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE gibkit::sdk ${ARG_LIBRARIES})
  if(TARGET gibkit_warnings)
    target_link_libraries(${target} PRIVATE gibkit_warnings)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(DEFINED GIBKIT_PLUGIN_OUTPUT_DIR)
    # In-tree: next to gibd in the build, and installed where gibd looks
    # (<bin>/../lib/gibkit/plugins).
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${GIBKIT_PLUGIN_OUTPUT_DIR})
    if(NOT ARG_NO_INSTALL)
      install(TARGETS ${target} LIBRARY DESTINATION lib/gibkit/plugins COMPONENT runtime)
    endif()
  endif()
endfunction()
