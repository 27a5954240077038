// IWYU pragma: private, include <tsfill/pipeline.hpp>
// Stage 1 of a run, index: every row's key becomes a dense key index (in key order), its
// time a slot ordinal, and its (partition, key) a dense group index (in output order);
// input not grouped by partition is moved into partition order (value columns too:
// reorder_values).
// Instantiated on the slot and partition functions only.
//
// Speed: the slot and partition of fixed-width slots in fixed-length partitions are two
// multiply-shift divisions per row (fast_divide.hpp); partitions and groups use direct
// tables whenever their id ranges are small (the usual case: days x keys), so no row is
// hashed or sorted.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/dense_rank.hpp>
#include <tsfill/detail/fast_divide.hpp>
#include <tsfill/detail/kernels/scan.hpp>
#include <tsfill/detail/parallel.hpp>
#include <tsfill/error.hpp>
#include <tsfill/policies/partition.hpp>
#include <tsfill/vocabulary.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

// Slot functions whose slot k starts at anchor() + k * width(), and partition functions of
// a fixed length: both get the division-free per-row path.
template <class F>
concept ArithmeticSlotFunction = UniformSlotFunction<F> && requires(const F& f) {
  { f.anchor() } -> std::same_as<std::int64_t>;
};
template <class F>
concept FixedLengthPartitionFunction = PartitionFunction<F> && requires(const F& f) {
  { f.length() } -> std::same_as<std::int64_t>;
};

struct row_index {
  encoded_keys keys;
  buffer<std::int64_t> ord;     // per row: slot ordinal
  buffer<std::uint32_t> group;  // per row: (partition, key) group
  // Per group, groups sorted by (partition, key). Absent combinations may appear (with an
  // empty data range) when the direct table is used.
  std::vector<std::int64_t> group_pid;
  std::vector<std::uint32_t> group_key;
  std::vector<slot_range> group_data;
  bool time_sorted = true;  // the time column is non-decreasing
  // Rows that did not come grouped by partition are moved into partition order (stably)
  // before anything else reads them: dest[i] is the new position of input row i, and `time`
  // holds the times in the new order. Both are empty when the input was in order.
  buffer<std::uint32_t> dest;
  buffer<std::int64_t> time;
  bool reordered() const noexcept { return !dest.empty(); }
  // The input row of (possibly reordered) row r.
  std::size_t input_row(std::size_t r) const noexcept {
    if (!reordered()) return r;
    for (std::size_t i = 0; i < dest.size(); ++i)
      if (dest[i] == r) return i;
    return r;
  }
};

// Moves `in` into partition order: out[dest[i]] = in[i]. Reads in order and appends to one
// stream per partition, so it runs at about memcpy speed (no random reads).
template <class T>
buffer<T> reorder(const T* in, const buffer<std::uint32_t>& dest) {
  buffer<T> out(dest.size());
  const std::uint32_t* TSFILL_RESTRICT d = dest.data();
  T* TSFILL_RESTRICT o = out.data();
  for (std::size_t i = 0; i < dest.size(); ++i) o[d[i]] = in[i];
  return out;
}

// Slot ordinal and partition id of every row: ord[i] = ordinal, put_pid(i, id).
template <SlotFunction SF, PartitionFunction PF, class PutPid>
void slot_and_partition(std::span<const std::int64_t> time, const SF& sf, const PF& pf,
                        std::int64_t t_min, std::int64_t t_max, std::int64_t* TSFILL_RESTRICT ord,
                        PutPid&& put_pid) {
  const std::size_t n = time.size();
  const std::int64_t* TSFILL_RESTRICT t = time.data();
  if constexpr (ArithmeticSlotFunction<SF>) {
    // Slots relative to the first row's slot: u = t - base >= 0, ordinal = ord0 + u / width.
    const std::int64_t ord0 = sf.ordinal(t_min);
    const std::int64_t base = sf.start(ord0);
    const auto ubase = static_cast<std::uint64_t>(base);
    const bool fits = static_cast<std::uint64_t>(t_max) - ubase < (std::uint64_t{1} << 63);
    if (fits) {
      const fast_divider by_width(static_cast<std::uint64_t>(sf.width()));
      const auto width = static_cast<std::uint64_t>(sf.width());
      if constexpr (FixedLengthPartitionFunction<PF>) {
        // Partition of the slot start: pid0 + (start - pbase) / length.
        const std::int64_t pid0 = pf.id(base);
        const std::int64_t pbase = pf.begin(pid0);
        const auto offset = static_cast<std::uint64_t>(base - pbase);
        if (offset + (static_cast<std::uint64_t>(t_max) - ubase) < (std::uint64_t{1} << 63)) {
          const fast_divider by_length(static_cast<std::uint64_t>(pf.length()));
          for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t q = by_width.divide(static_cast<std::uint64_t>(t[i]) - ubase);
            ord[i] = ord0 + static_cast<std::int64_t>(q);
            put_pid(i, pid0 + static_cast<std::int64_t>(by_length.divide(offset + q * width)));
          }
          return;
        }
      } else if constexpr (std::is_same_v<PF, partition::none_function>) {
        for (std::size_t i = 0; i < n; ++i) {
          ord[i] = ord0 + static_cast<std::int64_t>(
                              by_width.divide(static_cast<std::uint64_t>(t[i]) - ubase));
          put_pid(i, std::int64_t{0});
        }
        return;
      }
      for (std::size_t i = 0; i < n; ++i) {
        ord[i] = ord0 + static_cast<std::int64_t>(
                            by_width.divide(static_cast<std::uint64_t>(t[i]) - ubase));
        put_pid(i, pf.id(sf.start(ord[i])));
      }
      return;
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    ord[i] = sf.ordinal(t[i]);
    put_pid(i, pf.id(sf.start(ord[i])));
  }
}

// The range of slot ordinals of each group's rows (empty for groups without rows). With
// threads and few groups against rows, each thread takes its share of the rows into its own
// table and the tables are merged.
inline std::vector<slot_range> group_slot_ranges(const buffer<std::uint32_t>& group,
                                                 const buffer<std::int64_t>& ord,
                                                 std::size_t groups, unsigned threads) {
  // Empty as {max, min}, so that including a slot is a min and a max without a branch.
  constexpr slot_range none{std::numeric_limits<std::int64_t>::max(),
                            std::numeric_limits<std::int64_t>::min()};
  const std::size_t n = group.size();
  const std::size_t shares = threads > 1 && groups * threads * 8 <= n ? threads : 1;
  std::vector<std::vector<slot_range>> tables(shares);
  parallel_for(shares, threads, [&](std::size_t t) {
    std::vector<slot_range>& table = tables[t];
    table.assign(groups, none);
    const std::uint32_t* TSFILL_RESTRICT g = group.data();
    const std::int64_t* TSFILL_RESTRICT o = ord.data();
    for (std::size_t i = n * t / shares, end = n * (t + 1) / shares; i < end; ++i) {
      slot_range& r = table[g[i]];
      r.first = std::min(r.first, o[i]);
      r.last = std::max(r.last, o[i]);
    }
  });
  std::vector<slot_range>& out = tables[0];
  for (std::size_t t = 1; t < shares; ++t)
    for (std::size_t k = 0; k < groups; ++k) {
      out[k].first = std::min(out[k].first, tables[t][k].first);
      out[k].last = std::max(out[k].last, tables[t][k].last);
    }
  for (slot_range& r : out)
    if (r.empty()) r = slot_range{};
  return std::move(out);
}

template <SlotFunction SF, PartitionFunction PF>
row_index index_rows(std::span<const std::int64_t> time, const std::vector<key_column>& key_cols,
                     const SF& sf, const PF& pf, unsigned threads = 1,
                     const std::vector<key_column>* key_universe = nullptr) {
  const std::size_t n = time.size();
  row_index ix;
  ix.keys = key_universe ? encode_keys_with(key_cols, *key_universe, n)
                         : encode_keys(key_cols, n, threads);
  if (n == 0) return ix;
  const std::size_t key_count = ix.keys.count;
  // The passes over all rows below run in blocks on `threads` threads (each streams its
  // part of the columns); only the ones that must see rows in order stay on one.
  constexpr std::size_t block = std::size_t{1} << 18;
  const std::size_t blocks = (n + block - 1) / block;

  std::vector<std::int64_t> block_min(blocks), block_max(blocks);
  std::vector<std::uint8_t> block_sorted(blocks);
  parallel_blocks(
      n, threads,
      [&](std::size_t begin, std::size_t end) {
        const column_scan<std::int64_t> r = scan_column<true>(time.data() + begin, end - begin);
        const std::int64_t lo = r.lo, hi = r.hi;
        const std::size_t descents = r.descents + (begin > 0 && time[begin] < time[begin - 1]);
        block_min[begin / block] = lo;
        block_max[begin / block] = hi;
        block_sorted[begin / block] = descents == 0;
      },
      block);
  const std::int64_t t_min = *std::min_element(block_min.begin(), block_min.end());
  const std::int64_t t_max = *std::max_element(block_max.begin(), block_max.end());
  ix.time_sorted =
      std::all_of(block_sorted.begin(), block_sorted.end(), [](std::uint8_t b) { return b != 0; });
  if constexpr (requires { sf.check_range(t_min, t_max); }) sf.check_range(t_min, t_max);

  // Partitions: ids are monotone in time, so their extremes are those of the extreme times.
  // A small id range (days) gets a direct table; otherwise the ids are ranked.
  const std::int64_t p_min = pf.id(sf.start(sf.ordinal(t_min)));
  const std::int64_t p_max = pf.id(sf.start(sf.ordinal(t_max)));
  const std::uint64_t p_span =
      static_cast<std::uint64_t>(p_max) - static_cast<std::uint64_t>(p_min);
  ix.ord = buffer<std::int64_t>(n);
  buffer<std::uint32_t> part(n);  // dense partition index per row; becomes the group index
  // Rows are independent here: with threads, blocks of rows are indexed at once.
  constexpr std::size_t block_rows = std::size_t{1} << 20;
  auto each_block = [&](auto&& put_pid) {
    parallel_for((n + block_rows - 1) / block_rows, threads, [&](std::size_t b) {
      const std::size_t begin = b * block_rows, count = std::min(block_rows, n - begin);
      slot_and_partition(time.subspan(begin, count), sf, pf, t_min, t_max, ix.ord.data() + begin,
                         [&](std::size_t i, std::int64_t pid) { put_pid(begin + i, pid); });
    });
  };
  std::vector<std::int64_t> data_pids;
  if (p_span < std::max<std::uint64_t>(4 * n, 1U << 16)) {
    // Each row's partition relative to the first, and a table of those present (marked in
    // the same pass); relative ids become ranks unless every partition in the span has rows.
    std::uint32_t* TSFILL_RESTRICT rel = part.data();
    std::vector<std::uint32_t> rank(static_cast<std::size_t>(p_span) + 1, 0);
    each_block([&](std::size_t i, std::int64_t pid) {
      const auto r = static_cast<std::uint32_t>(pid - p_min);
      rel[i] = r;
      std::atomic_ref<std::uint32_t> present(rank[r]);  // (written once: the line stays shared)
      if (!present.load(std::memory_order_relaxed)) present.store(1, std::memory_order_relaxed);
    });
    std::uint32_t next = 0;
    for (std::size_t p = 0; p < rank.size(); ++p) {
      if (!rank[p]) continue;
      data_pids.push_back(p_min + static_cast<std::int64_t>(p));
      rank[p] = next++;
    }
    if (data_pids.size() != rank.size())
      parallel_blocks(n, threads, [&](std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) rel[i] = rank[rel[i]];
      });
  } else {
    std::vector<std::uint64_t> codes(n);
    each_block([&](std::size_t i, std::int64_t pid) {
      codes[i] = static_cast<std::uint64_t>(pid) - static_cast<std::uint64_t>(p_min);
    });
    ranking r = dense_rank(codes.data(), n, p_span);
    for (std::uint32_t rep : r.representative)
      data_pids.push_back(p_min + static_cast<std::int64_t>(codes[rep]));
    part = std::move(r.rank);
  }
  const std::size_t parts = data_pids.size();

  // Rows not grouped by partition get their places from a stable counting sort by
  // partition (dest; they move at the end of the stage), so that every later pass reads
  // each partition's rows together (in input order within it). Rows in time order are
  // grouped (partitions are monotone in time) and need no look.
  std::vector<std::uint8_t> block_grouped(blocks, 1);
  if (!ix.time_sorted)
    parallel_blocks(
        n, threads,
        [&](std::size_t begin, std::size_t end) {
          const std::size_t descents = scan_column<true>(part.data() + begin, end - begin).descents;
          block_grouped[begin / block] =
              descents == 0 && (begin == 0 || part[begin] >= part[begin - 1]);
        },
        block);
  const bool grouped = std::all_of(block_grouped.begin(), block_grouped.end(),
                                   [](std::uint8_t b) { return b != 0; });
  if (!grouped) {
    ix.dest = buffer<std::uint32_t>(n);
    if (threads > 1 && parts * blocks <= (std::size_t{1} << 22)) {
      // Per block counts, then each block's first place for each partition (partitions in
      // order, blocks in order within one: still stable), then the places, block by block
      // at once.
      std::vector<std::uint32_t> place(blocks * parts, 0);
      parallel_blocks(
          n, threads,
          [&](std::size_t begin, std::size_t end) {
            std::uint32_t* counts = place.data() + begin / block * parts;
            for (std::size_t i = begin; i < end; ++i) ++counts[part[i]];
          },
          block);
      std::uint32_t running = 0;
      for (std::size_t p = 0; p < parts; ++p)
        for (std::size_t b = 0; b < blocks; ++b) {
          const std::uint32_t count = place[b * parts + p];
          place[b * parts + p] = running;
          running += count;
        }
      parallel_blocks(
          n, threads,
          [&](std::size_t begin, std::size_t end) {
            std::uint32_t* next = place.data() + begin / block * parts;
            for (std::size_t i = begin; i < end; ++i) ix.dest[i] = next[part[i]]++;
          },
          block);
    } else {
      std::vector<std::uint32_t> next(parts + 1, 0);
      for (std::size_t i = 0; i < n; ++i) ++next[part[i] + 1];
      for (std::size_t p = 0; p < parts; ++p) next[p + 1] += next[p];
      for (std::size_t i = 0; i < n; ++i) ix.dest[i] = next[part[i]]++;
    }
  }

  // Groups = (partition, key), in output order: a direct table when partitions x keys is
  // small (computed in place of the partition index), otherwise a ranking of the present
  // combinations.
  const std::uint64_t combos = static_cast<std::uint64_t>(parts) * key_count;
  const std::uint32_t* TSFILL_RESTRICT key = ix.keys.index.data();
  if (combos <= std::max<std::uint64_t>(8 * n, 1U << 20)) {
    std::uint32_t* TSFILL_RESTRICT g = part.data();
    const auto k = static_cast<std::uint32_t>(key_count);
    parallel_blocks(n, threads, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) g[i] = g[i] * k + key[i];
    });
    ix.group = std::move(part);
    ix.group_pid.resize(static_cast<std::size_t>(combos));
    ix.group_key.resize(static_cast<std::size_t>(combos));
    for (std::size_t p = 0; p < parts; ++p) {
      for (std::size_t j = 0; j < key_count; ++j) {
        ix.group_pid[p * key_count + j] = data_pids[p];
        ix.group_key[p * key_count + j] = static_cast<std::uint32_t>(j);
      }
    }
  } else {
    std::vector<std::uint64_t> codes(n);
    for (std::size_t i = 0; i < n; ++i)
      codes[i] = static_cast<std::uint64_t>(part[i]) * key_count + key[i];
    ranking r = dense_rank(codes.data(), n, combos - 1);
    for (std::uint32_t rep : r.representative) {
      ix.group_pid.push_back(data_pids[part[rep]]);
      ix.group_key.push_back(key[rep]);
    }
    ix.group = std::move(r.rank);
  }
  ix.keys.index = {};  // the group carries the key from here on
  ix.group_data = group_slot_ranges(ix.group, ix.ord, ix.group_pid.size(), threads);

  // Rows not grouped by partition move now: groups and slot ranges do not depend on the
  // order of rows, so three columns move (times, slots, groups), not a partition and a key
  // column besides.
  if (ix.reordered()) {
    buffer<std::int64_t> ord;
    buffer<std::uint32_t> group;
    parallel_for(3, threads, [&](std::size_t task) {
      if (task == 0) ix.time = reorder(time.data(), ix.dest);
      if (task == 1) ord = reorder(ix.ord.data(), ix.dest);
      if (task == 2) group = reorder(ix.group.data(), ix.dest);
    });
    ix.ord = std::move(ord);
    ix.group = std::move(group);
  }
  return ix;
}

// Value columns moved into the order of reordered rows (row_index::dest): owning storage,
// and value_column views of it for the stages that follow.
struct reordered_values {
  std::vector<std::variant<buffer<double>, buffer<float>, buffer<std::int64_t>>> data;
  std::vector<buffer<std::uint8_t>> bits;  // per column; empty when it has no validity
  std::vector<value_column> columns;
};

// One task per column (the moves are memory-bound: two threads move two columns at once).
inline reordered_values reorder_values(const std::vector<value_column>& cols,
                                       const buffer<std::uint32_t>& dest, unsigned threads) {
  reordered_values out;
  const std::size_t n = dest.size();
  out.data.resize(cols.size());
  out.bits.resize(cols.size());
  parallel_for(cols.size(), threads, [&](std::size_t c) {
    const value_column& col = cols[c];
    if (col.has_validity()) {
      buffer<std::uint8_t> b((n + 7) / 8);
      std::fill(b.begin(), b.end(), std::uint8_t{0});
      const std::uint8_t* in = col.validity().data();
      const std::size_t bit0 = col.validity_offset();
      for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t k = dest[i];
        b[k >> 3] =
            static_cast<std::uint8_t>(b[k >> 3] | (bit_is_set(in, bit0 + i) ? 1U << (k & 7U) : 0U));
      }
      out.bits[c] = std::move(b);
    }
    std::visit([&](auto s) { out.data[c] = reorder(s.data(), dest); }, col.data());
  });
  out.columns.reserve(cols.size());
  for (std::size_t c = 0; c < cols.size(); ++c) {
    const std::span<const std::uint8_t> validity =
        cols[c].has_validity() ? std::span<const std::uint8_t>(out.bits[c].span())
                               : std::span<const std::uint8_t>();
    std::visit(
        [&](const auto& v) {
          using T = std::remove_cvref_t<decltype(v[0])>;
          out.columns.emplace_back(cols[c].name(), std::span<const T>(v.data(), n), validity);
        },
        out.data[c]);
  }
  return out;
}

}  // namespace detail
TSFILL_END_NAMESPACE
