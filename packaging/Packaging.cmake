# Installation layout and the Debian package.
#
#   cmake --install build                      # into / (prefix /usr), as a distribution does
#   DESTDIR=/tmp/root cmake --install build    # into a staging root
#   cpack --config build/CPackConfig.cmake -B build/package   # build/package/slotgate_<version>_<arch>.deb
#
# Prefix /usr by default: slotgate is a system daemon whose unit file names its binary, and
# /etc/slotgate is where its config lives (FHS), whatever the prefix.
if(CMAKE_INSTALL_PREFIX_INITIALIZED_TO_DEFAULT)
  set(CMAKE_INSTALL_PREFIX /usr CACHE PATH "install prefix" FORCE)
endif()
include(GNUInstallDirs)

set(SLOTGATE_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/slotgate)
set(SLOTGATE_CONFIG_DIR /etc/slotgate)
set(SLOTGATE_CONFIG ${SLOTGATE_CONFIG_DIR}/slotgate.yaml)
set(SLOTGATE_ENV_FILE ${SLOTGATE_CONFIG_DIR}/slotgate.env)
set(SLOTGATE_DOC_DIR ${CMAKE_INSTALL_FULL_DOCDIR})
set(SLOTGATE_UNIT_DIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
configure_file(${CMAKE_CURRENT_LIST_DIR}/slotgate.service.in
  ${CMAKE_BINARY_DIR}/packaging/slotgate.service @ONLY)

if(TARGET slotgate)
  install(TARGETS slotgate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES ${CMAKE_BINARY_DIR}/packaging/slotgate.service DESTINATION ${SLOTGATE_UNIT_DIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/slotgate.yaml DESTINATION ${SLOTGATE_CONFIG_DIR})
install(FILES ${CMAKE_CURRENT_LIST_DIR}/slotgate.env DESTINATION ${SLOTGATE_CONFIG_DIR}
  PERMISSIONS OWNER_READ OWNER_WRITE)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/conf/grafana/slotgate-dashboard.json
  DESTINATION ${CMAKE_INSTALL_DATADIR}/slotgate/grafana)
install(FILES ${PROJECT_SOURCE_DIR}/conf/prometheus/slotgate.rules.yml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/slotgate/prometheus)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/examples/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/slotgate/examples)

# Only the install() rules above go into the package (tests, the mock provider and
# benchmarks install nothing).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME slotgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "slotgate maintainers <slotgate@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "LLM API gateway with per-key concurrency slots")
set(CPACK_PACKAGE_DESCRIPTION
  "slotgate is a reverse proxy that OpenAI and Anthropic SDK clients point their base URL at. \
It resolves model names through a cached alias resolver, holds per-key concurrency slots and \
circuit breakers (in process or shared through Redis), streams answers without buffering and \
exports Prometheus metrics.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binary itself (dpkg-shlibdeps), so they match what it links.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server, prometheus")
# The config and the secrets file are the operator's: upgrades keep their edits.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${SLOTGATE_CONFIG}\n${SLOTGATE_ENV_FILE}\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles)
include(CPack)
