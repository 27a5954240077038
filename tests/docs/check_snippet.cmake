# Checks that a documentation page's copy of a source file (the fenced block after
# "<!-- snippet: PATH -->") is identical to the file. Run with
#   cmake -DPAGE=... -DSNIPPET=path/relative/to/source -DSOURCE_DIR=... -P check_snippet.cmake
file(READ "${PAGE}" readme)
file(READ "${SOURCE_DIR}/${SNIPPET}" source)
string(FIND "${readme}" "<!-- snippet: ${SNIPPET} -->" marker)
if(marker EQUAL -1)
  message(FATAL_ERROR "${PAGE} has no snippet marker for ${SNIPPET}")
endif()
string(SUBSTRING "${readme}" ${marker} -1 rest)
string(FIND "${rest}" "```cpp\n" open)
math(EXPR begin "${open} + 7")
string(SUBSTRING "${rest}" ${begin} -1 rest)
string(FIND "${rest}" "```" close)
string(SUBSTRING "${rest}" 0 ${close} block)
# The page's copy starts after the file's first comment line.
string(FIND "${source}" "\n" first_newline)
math(EXPR after "${first_newline} + 1")
string(SUBSTRING "${source}" ${after} -1 body)
if(NOT block STREQUAL body)
  message(FATAL_ERROR "${PAGE}: its copy of ${SNIPPET} differs from the file; update the page")
endif()
