# The Debian package (`cpack` in a build directory; docs/operations.md,
# "Installing the Debian package"): one .deb, "gibkit", with the runtime
# (gib, gibd, the bundled plugins, the systemd unit, the man pages) and the
# SDK (headers, static libraries, CMake package), installed under /usr.
# Included last by the top-level CMakeLists.txt, when every install rule is
# known.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gibkit)
set(CPACK_PACKAGE_VENDOR "gibkit")
set(CPACK_PACKAGE_CONTACT "gibkit maintainers <gibkit@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "gib and gibd: a node that stores ibgib timelines and syncs them with trusted peers\nthrough signed sagas, with plugins for spaces (LevelDB, PostgreSQL, memory),\nsigners (keystone, Ed25519) and transports (websocket), and the SDK to write more.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_FILE_NAME "gibkit_${PROJECT_VERSION}_amd64")
set(CPACK_COMPONENTS_ALL runtime sdk)
set(CPACK_DEB_COMPONENT_INSTALL OFF)  # one package with both components
# DESTDIR installs, so that CMAKE_INSTALL_PREFIX is /usr while cpack
# installs: the systemd unit (packaging/CMakeLists.txt) names /usr/bin/gibd.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The Debian 12 runtime packages (libbotan-2-19, libwebsockets17,
# libleveldb1d, libpqxx-6.4, ...) as dpkg-shlibdeps reads them from gib,
# gibd and every plugin, so the list follows what is linked.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Debug information stays in the build tree (RelWithDebInfo binaries are
# ~15 times larger than stripped ones).
set(CPACK_STRIP_FILES ON)
# cpack packages what the build made, as `cmake --install` installs it: its
# preinstall step (and `make install`) does not build the whole tree first.
# Build before packaging (tools/test.sh does).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
