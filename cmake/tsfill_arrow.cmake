# Arrow C++ and Parquet for the command line's Parquet support, from an installed Arrow
# (find_package CONFIG: conda, vcpkg, Arrow's own packages) or else from the libraries and
# headers inside the pyarrow wheel of TSFILL_PYTHON (scripts/setup.sh installs it into
# .venv). The wheel ships no CMake files, so the target is made by hand.
# Result: target tsfill_arrow (INTERFACE) and TSFILL_HAVE_ARROW.
set(TSFILL_HAVE_ARROW OFF)
find_package(Arrow CONFIG QUIET)
find_package(Parquet CONFIG QUIET)
if(TARGET Arrow::arrow_shared AND TARGET Parquet::parquet_shared)
  add_library(tsfill_arrow INTERFACE)
  target_link_libraries(tsfill_arrow INTERFACE Parquet::parquet_shared Arrow::arrow_shared)
  set(TSFILL_HAVE_ARROW ON)
  message(STATUS "tsfill: Parquet support from Arrow ${Arrow_VERSION}")
  return()
endif()

set(TSFILL_PYTHON "${PROJECT_SOURCE_DIR}/.venv/bin/python"
    CACHE FILEPATH "Python whose pyarrow wheel provides Arrow C++ and Parquet")
if(NOT EXISTS "${TSFILL_PYTHON}")
  message(STATUS "tsfill: no Parquet support (no Arrow C++, and no ${TSFILL_PYTHON}; run scripts/setup.sh)")
  return()
endif()
# create_library_symlinks() makes libarrow.so -> libarrow.so.NNNN so the linker finds them.
execute_process(
  COMMAND "${TSFILL_PYTHON}" -c
          "import os, pyarrow; pyarrow.create_library_symlinks(); print(pyarrow.get_include()); print(os.path.dirname(pyarrow.__file__)); print(pyarrow.__version__)"
  OUTPUT_VARIABLE _tsfill_pyarrow
  RESULT_VARIABLE _tsfill_pyarrow_rc
  ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _tsfill_pyarrow_rc EQUAL 0)
  message(STATUS "tsfill: no Parquet support (pyarrow is not importable by ${TSFILL_PYTHON})")
  return()
endif()
string(REPLACE "\n" ";" _tsfill_pyarrow "${_tsfill_pyarrow}")
list(GET _tsfill_pyarrow 0 _tsfill_arrow_include)
list(GET _tsfill_pyarrow 1 _tsfill_arrow_dir)
list(GET _tsfill_pyarrow 2 _tsfill_arrow_version)
find_library(TSFILL_ARROW_LIBRARY arrow PATHS "${_tsfill_arrow_dir}" NO_DEFAULT_PATH)
find_library(TSFILL_PARQUET_LIBRARY parquet PATHS "${_tsfill_arrow_dir}" NO_DEFAULT_PATH)
if(NOT TSFILL_ARROW_LIBRARY OR NOT TSFILL_PARQUET_LIBRARY)
  message(STATUS "tsfill: no Parquet support (no libarrow/libparquet in ${_tsfill_arrow_dir})")
  return()
endif()
add_library(tsfill_arrow INTERFACE)
target_include_directories(tsfill_arrow SYSTEM INTERFACE "${_tsfill_arrow_include}")
target_link_libraries(tsfill_arrow INTERFACE "${TSFILL_PARQUET_LIBRARY}" "${TSFILL_ARROW_LIBRARY}")
target_link_options(tsfill_arrow INTERFACE "LINKER:-rpath,${_tsfill_arrow_dir}")
set(TSFILL_HAVE_ARROW ON)
message(STATUS "tsfill: Parquet support from the pyarrow ${_tsfill_arrow_version} wheel")
