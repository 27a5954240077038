// tsfill version. The single source of truth is project(VERSION) in CMakeLists.txt;
// a test checks that these macros agree with it.
#pragma once

#define TSFILL_VERSION_MAJOR 0
#define TSFILL_VERSION_MINOR 1
#define TSFILL_VERSION_PATCH 0
#define TSFILL_VERSION \
  (TSFILL_VERSION_MAJOR * 10000 + TSFILL_VERSION_MINOR * 100 + TSFILL_VERSION_PATCH)
