# gibkit_add_plugin(<target> SOURCES <src>... [LIBRARIES <lib>...] [ABI_ONLY] [NO_INSTALL]
#                   [SUBDIRECTORY <dir>])
#
# Builds a gibkit plugin: a shared module loaded by the kernel at run time,
# linked against the SDK (statically, so no C++ type crosses the plugin ABI)
# with hidden visibility, so that only the exported entry point is visible.
# Used in-tree and, through the installed gibkit package, by third parties.
# ABI_ONLY: a plugin written against the C ABI alone (gibkit/plugin_abi.h),
#   e.g. in C: it gets the headers (gibkit::abi), not the C++ SDK library.
# NO_INSTALL: test-only plugins that must not ship.
# SUBDIRECTORY <dir>: not a plugin but a library a plugin opens itself (its
#   heavy dependencies, loaded only when used: docs/plugins.md, "Rules for
#   plugin code"), built the same way into <plugin dir>/<dir>, which the
#   kernel does not scan.
function(gibkit_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL;ABI_ONLY" "SUBDIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  if(ARG_ABI_ONLY)
    target_link_libraries(${target} PRIVATE gibkit::abi ${ARG_LIBRARIES})
  else()
    target_link_libraries(${target} PRIVATE gibkit::sdk ${ARG_LIBRARIES})
  endif()
  # In-tree only: the installed package has no warnings target, so a third
  # party's plugin builds with its own flags.
  if(TARGET gibkit_warnings)
    target_link_libraries(${target} PRIVATE gibkit_warnings)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  set(subdirectory "")
  if(ARG_SUBDIRECTORY)
    set(subdirectory "/${ARG_SUBDIRECTORY}")
  endif()
  if(DEFINED GIBKIT_PLUGIN_OUTPUT_DIR)
    # In-tree: next to gibd in the build, and installed where gibd looks
    # (<bin>/../lib/gibkit/plugins).
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${GIBKIT_PLUGIN_OUTPUT_DIR}${subdirectory})
    if(NOT ARG_NO_INSTALL)
      install(TARGETS ${target} LIBRARY DESTINATION lib/gibkit/plugins${subdirectory} COMPONENT runtime)
    endif()
  endif()
endfunction()
