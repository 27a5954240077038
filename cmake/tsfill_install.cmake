# Install rules: headers, exported targets (tsfill::tsfill, and tsfill::eigen when Eigen was
# found), a config file and an architecture-independent version file, plus pkg-config.
include(CMakePackageConfigHelpers)

set(TSFILL_CMAKE_DIR "${CMAKE_INSTALL_DATADIR}/cmake/tsfill")

install(TARGETS tsfill EXPORT tsfillTargets FILE_SET HEADERS)
install(EXPORT tsfillTargets NAMESPACE tsfill:: DESTINATION "${TSFILL_CMAKE_DIR}")
export(EXPORT tsfillTargets NAMESPACE tsfill::
       FILE "${PROJECT_BINARY_DIR}/tsfillTargets.cmake")

if(TARGET tsfill_eigen)
  install(TARGETS tsfill_eigen EXPORT tsfillEigenTargets FILE_SET HEADERS)
  install(EXPORT tsfillEigenTargets NAMESPACE tsfill:: DESTINATION "${TSFILL_CMAKE_DIR}")
endif()

if(TARGET tsfill_calendar)
  install(TARGETS tsfill_calendar EXPORT tsfillCalendarTargets FILE_SET HEADERS)
  install(EXPORT tsfillCalendarTargets NAMESPACE tsfill:: DESTINATION "${TSFILL_CMAKE_DIR}")
endif()

install(TARGETS tsfill_history EXPORT tsfillHistoryTargets FILE_SET HEADERS)
install(EXPORT tsfillHistoryTargets NAMESPACE tsfill:: DESTINATION "${TSFILL_CMAKE_DIR}")

if(TARGET tsfill_backfill)
  install(TARGETS tsfill_backfill EXPORT tsfillBackfillTargets FILE_SET HEADERS)
  install(EXPORT tsfillBackfillTargets NAMESPACE tsfill:: DESTINATION "${TSFILL_CMAKE_DIR}")
endif()

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/tsfillConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/tsfillConfig.cmake" INSTALL_DESTINATION "${TSFILL_CMAKE_DIR}")
# ARCH_INDEPENDENT: a header-only package works for 32- and 64-bit consumers alike.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/tsfillConfigVersion.cmake" COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/tsfillConfig.cmake"
              "${PROJECT_BINARY_DIR}/tsfillConfigVersion.cmake" DESTINATION "${TSFILL_CMAKE_DIR}")

configure_file("${PROJECT_SOURCE_DIR}/cmake/tsfill.pc.in" "${PROJECT_BINARY_DIR}/tsfill.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/tsfill.pc" DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")
