# Debian package: `cpack --config build/CPackConfig.cmake` (or `cmake --build build -t package`)
# writes smbsign_<version>_wireshark<major.minor>_<arch>.deb, installing the plugin into the
# system plugin folder of the Wireshark it was built against, the profile and the docs.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smbsign)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Wireshark plugin: SMB signing verdict per session")
set(CPACK_PACKAGE_DESCRIPTION "smbsign tells for every SMB session in a capture how client \
and server are configured for SMB signing, whether signing is in use, the outcome Microsoft's \
signing matrix (KB887429) predicts, what happened, and whether the two agree.")
set(CPACK_PACKAGE_CONTACT "smbsign maintainers <maintainers@users.noreply.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Package only the "deb" install rules (system paths, relative to /usr), never the
# `cmake --install` ones, which may point into the configuring user's home.
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};${PROJECT_NAME};deb;/")
# The file name says the Wireshark series: a plugin loads only into the major.minor it was
# built for, so users pick the package of their Wireshark.
execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE _deb_arch
                ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _deb_arch)
    set(_deb_arch "${CMAKE_SYSTEM_PROCESSOR}")
endif()
set(CPACK_DEBIAN_FILE_NAME "smbsign_${PROJECT_VERSION}_wireshark${Wireshark_MAJOR_VERSION}.${Wireshark_MINOR_VERSION}_${_deb_arch}.deb")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)

# The plugin only loads into the Wireshark major.minor it was built for: depend on the
# package that ships this libwireshark, within that release series.
get_target_property(_epan_lib epan IMPORTED_LOCATION_NONE)
if(NOT _epan_lib)
    get_target_property(_epan_lib epan LOCATION)
endif()
get_filename_component(_epan_real "${_epan_lib}" REALPATH)
execute_process(COMMAND dpkg-query -S "${_epan_real}" OUTPUT_VARIABLE _owner
                ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE ":.*" "" _libws_pkg "${_owner}")
if(_libws_pkg)
    math(EXPR _next_minor "${Wireshark_MINOR_VERSION} + 1")
    set(CPACK_DEBIAN_PACKAGE_DEPENDS
        "${_libws_pkg} (>= ${Wireshark_MAJOR_VERSION}.${Wireshark_MINOR_VERSION}), ${_libws_pkg} (<< ${Wireshark_MAJOR_VERSION}.${_next_minor})")
    set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "tshark | wireshark")
    message(STATUS "Debian package will depend on ${_libws_pkg}")
else()
    message(STATUS "dpkg-query does not know ${_epan_real}: the .deb gets no libwireshark dependency")
endif()
include(CPack)
