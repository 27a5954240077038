// Options of one pipeline run that are not policies.
#pragma once

#include <cstddef>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE

struct run_options {
  // NaN counts as missing (like a null) in every floating value column.
  bool nan_is_null = false;
  // Record, per filled cell, how many slots away its value came from
  // (result_column::source_offsets).
  bool source_offsets = false;
  // Refuse grids larger than this many cells (a stray far-away timestamp otherwise makes a
  // data-driven grid enormous). Cells are 32-bit indices, so at most 2^32 - 2.
  std::size_t max_cells = (std::size_t{1} << 32) - 2;
  // Threads for the work that splits: slot and partition of blocks of rows, moving unsorted
  // rows into partition order (a column per thread), the scatter of rows onto cells and the
  // gather, fill and bitmaps (a partition per task). The result, and the error for bad
  // input, are the same for any number of threads.
  unsigned threads = 1;
};

TSFILL_END_NAMESPACE
