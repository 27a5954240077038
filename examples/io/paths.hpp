// Paths and names: extensions, globs, and which files an INPUT means (a file, or every
// .csv/.parquet file under a directory, in path order).
#pragma once

#include <string>
#include <vector>

namespace tsfill_io {

// `path` ends in `ext` (".csv") after at least one other character.
bool has_extension(const std::string& path, const std::string& ext);

// `path` without trailing slashes ("out/" -> "out"; "/" stays).
std::string without_trailing_slash(std::string path);

// fnmatch-style glob match ('*', '?', '[...]').
bool glob_match(const std::string& pattern, const std::string& name);
bool has_glob(const std::string& pattern);

// The files the INPUTs name, in order: a file as given; a directory as every .csv, .tsv,
// .parquet and .pq file under it (recursively, sorted by path), skipping hidden names
// (starting with '.' or '_': other writers' staging files, as Spark and pyarrow skip them).
// A directory without such files is an error naming it.
std::vector<std::string> discover_inputs(const std::vector<std::string>& inputs);

}  // namespace tsfill_io
