#include <gtest/gtest.h>

#include <tsfill/version.hpp>

// The macros must match project(VERSION) in CMakeLists.txt (passed in by the build).
TEST(version, header_matches_cmake_project_version) {
  EXPECT_EQ(TSFILL_VERSION_MAJOR, TSFILL_CMAKE_VERSION_MAJOR);
  EXPECT_EQ(TSFILL_VERSION_MINOR, TSFILL_CMAKE_VERSION_MINOR);
  EXPECT_EQ(TSFILL_VERSION_PATCH, TSFILL_CMAKE_VERSION_PATCH);
}
