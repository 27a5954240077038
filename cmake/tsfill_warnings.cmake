# Warnings for tsfill's own tests, benchmarks and examples. Never attached to the library
# targets, so consumers never inherit them.
function(tsfill_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(
      ${target}
      PRIVATE -Wall
              -Wextra
              -Wpedantic
              -Wshadow             # a local hides another variable
              -Wconversion         # implicit narrowing
              -Wsign-conversion
              -Wold-style-cast
              -Wcast-qual
              -Wnon-virtual-dtor
              -Woverloaded-virtual
              -Wformat=2
              # not -Wnull-dereference: g++ 12 -O3 reports false positives inside libstdc++
              -Wdouble-promotion)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wduplicated-cond -Wlogical-op)
      if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        # g++ 12 at -O3 reports -Wrestrict inside libstdc++ for std::string concatenation
        # (GCC bug 105329), a false positive.
        target_compile_options(${target} PRIVATE -Wno-restrict)
      endif()
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
  endif()
  if(TSFILL_WARNINGS_AS_ERRORS)
    set_target_properties(${target} PROPERTIES COMPILE_WARNING_AS_ERROR ON)
  endif()
endfunction()
