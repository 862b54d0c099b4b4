# Packaging: a man page per command made at build time from docs/ (scripts/manpage.sh, with
# Debian's lowdown), bash/zsh/fish completions, the shipped policies and manifests as examples,
# and CPack's Debian package. Included from the top-level CMakeLists.txt after GNUInstallDirs.

option(KW_MAN "Build the man pages from docs/ (needs lowdown)" ON)
if(KW_MAN)
  find_program(KW_LOWDOWN lowdown)
  if(NOT KW_LOWDOWN)
    message(FATAL_ERROR "lowdown not found: the man pages are made with it "
                        "(apt-get install lowdown, or scripts/deps.sh), or configure with -DKW_MAN=OFF")
  endif()
  file(GLOB KW_COMMAND_DOCS CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/docs/commands/*.md")
  set(KW_MAN_PAGES)
  foreach(md "${CMAKE_SOURCE_DIR}/docs/keywarden.md" ${KW_COMMAND_DOCS})
    get_filename_component(page ${md} NAME_WE)
    if(NOT page STREQUAL "keywarden")
      set(page "keywarden-${page}")
    endif()
    set(out "${CMAKE_BINARY_DIR}/man/${page}.1.gz")
    add_custom_command(
      OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_BINARY_DIR}/man"
      COMMAND ${CMAKE_COMMAND} -E env LOWDOWN=${KW_LOWDOWN} ASAN_OPTIONS=detect_leaks=0
              sh "${CMAKE_SOURCE_DIR}/scripts/manpage.sh" $<TARGET_FILE:keywarden> ${md} ${page}
              ${PROJECT_VERSION} ${out}
      DEPENDS ${md} "${CMAKE_SOURCE_DIR}/scripts/manpage.sh" keywarden
      COMMENT "man page ${page}(1)" VERBATIM)
    list(APPEND KW_MAN_PAGES ${out})
  endforeach()
  add_custom_target(man ALL DEPENDS ${KW_MAN_PAGES})
  install(FILES ${KW_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

install(FILES completions/keywarden.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME keywarden)
install(FILES completions/_keywarden DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES completions/keywarden.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
install(DIRECTORY policies manifests DESTINATION ${CMAKE_INSTALL_DATADIR}/keywarden)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright) # Debian's place for it

# cpack -G DEB: the package installs where CMAKE_INSTALL_PREFIX says (configure with
# -DCMAKE_INSTALL_PREFIX=/usr for a distribution), so that --help names the right docs folder.
set(CPACK_PACKAGE_NAME keywarden)
set(CPACK_PACKAGE_VENDOR "keywarden")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "provision AWS IAM service accounts from manifests and guard their keys")
set(CPACK_PACKAGE_DESCRIPTION
    "keywarden provisions AWS IAM service accounts from declarative YAML manifests: user, group,\n"
    "least-privilege group policy, tags and a virtual MFA device, with access keys issued only\n"
    "after every step is confirmed, delivered straight to their targets, rotated, audited.")
set(CPACK_PACKAGE_CONTACT "keywarden maintainers <keywarden@localhost>")
set(CPACK_RESOURCE_FILE_LICENSE "${CMAKE_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON) # Depends: from the libraries the binary links (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "awscli, bash-completion")
set(CPACK_STRIP_FILES ON)
include(CPack)
