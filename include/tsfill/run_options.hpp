// Options of one pipeline run that are not policies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE

struct carry_seed;  // batches.hpp

struct run_options {
  // NaN counts as missing (like a null) in every floating value column.
  bool nan_is_null = false;
  // Record, per filled cell, how many slots away its value came from
  // (result_column::source_offsets).
  bool source_offsets = false;
  // Record, per cell, the slot start of the observation its value came from
  // (result_column::source_times): what a provenance column shows.
  bool source_times = false;
  // Keep each value column's original values (result_column::original). Off, the lean
  // form: the result holds the filled values, statuses and both validity bitmaps only,
  // 8 bytes less per cell and column of 8-byte values, and the run writes that much less.
  bool keep_original = true;
  // Refuse grids larger than this many cells (a stray far-away timestamp otherwise makes a
  // data-driven grid enormous). Cells are 32-bit indices, so at most 2^32 - 2.
  std::size_t max_cells = (std::size_t{1} << 32) - 2;
  // Refuse, with a resource_error and before allocating them, grids whose cells would need
  // more memory than this: per cell its slot time (8 bytes), per value column the original
  // and filled values, a status byte and two validity bits (and 4 bytes of source offset,
  // 8 of source time, when asked), 8 more bytes per cell of a grid that keeps only observed slots,
  // and 64 per segment.
  std::size_t max_bytes = SIZE_MAX;
  // Threads for the work that splits: slot and partition of blocks of rows, moving unsorted
  // rows into partition order (a column per thread), the scatter of rows onto cells and the
  // gather, fill and bitmaps (a partition per task). The result, and the error for bad
  // input, are the same for any number of threads.
  unsigned threads = 1;

  // --- batches: one job run partition range by partition range (see batches.hpp) ---------
  // Only partitions with ids in [first_partition, last_partition] get cells; rows of other
  // partitions count as outside the grid. Grids that add partitions without rows
  // (grid::range) add only those inside.
  std::int64_t first_partition = INT64_MIN;
  std::int64_t last_partition = INT64_MAX;
  // The keys a grid over all keys (grid::range, session grids) gives cells to: when set,
  // these key tuples (columns named and typed like the input's key columns) as well as the
  // keys of the rows. A batch passes the keys of the whole input, so its grid is the one
  // run's. Not owned; grids over the keys of each partition ignore it.
  const std::vector<key_column>* key_universe = nullptr;
  // Per key, the last observation before this run, for fills that carry values in
  // (fill::forward{.carry_in = true}): the previous batch's carry_out(). Not owned.
  const carry_seed* carry_in = nullptr;
};

TSFILL_END_NAMESPACE
