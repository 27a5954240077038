// IWYU pragma: private, include <tsfill/tsfill.hpp>
// Dense ranking of 64-bit codes and the encoding of key columns built on it.
//
// dense_rank turns per-row codes into ranks 0..k-1 that preserve the codes' order, through a
// direct table when the codes span a small range and through a hash index plus a sort of
// the k distinct codes otherwise. The rows are never sorted. Multi-column keys are folded
// column by column: code = rank_so_far * distinct(next column) + rank(next column), which
// keeps the lexicographic order of the key tuples and never overflows (both factors are
// below the row count).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <variant>
#include <vector>

#include <tsfill/columns.hpp>
#include <tsfill/detail/buffer.hpp>
#include <tsfill/detail/config.hpp>
#include <tsfill/detail/kernels/scan.hpp>
#include <tsfill/detail/parallel.hpp>

TSFILL_BEGIN_NAMESPACE
namespace detail {

inline constexpr std::uint32_t no_index = std::numeric_limits<std::uint32_t>::max();

// Open-addressing hash index: uint64 key -> dense id in insertion order.
class hash_index {
 public:
  explicit hash_index(std::size_t expected = 16) {
    std::size_t cap = 16;
    while (cap < expected * 2) cap <<= 1;
    rehash(cap);
  }

  // The id of `key`, inserting it with the next id when it is new.
  std::uint32_t insert(std::uint64_t key) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    std::size_t slot = home(key);
    while (ids_[slot] != no_index) {
      if (keys_[slot] == key) return ids_[slot];
      slot = (slot + 1) & mask_;
    }
    keys_[slot] = key;
    ids_[slot] = static_cast<std::uint32_t>(size_);
    return static_cast<std::uint32_t>(size_++);
  }

  std::uint32_t find(std::uint64_t key) const noexcept {
    std::size_t slot = home(key);
    while (ids_[slot] != no_index) {
      if (keys_[slot] == key) return ids_[slot];
      slot = (slot + 1) & mask_;
    }
    return no_index;
  }

  std::size_t size() const noexcept { return size_; }

 private:
  std::size_t home(std::uint64_t key) const noexcept {
    // Fibonacci hashing: the high bits of key * 2^64/phi.
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }
  void rehash(std::size_t cap) {
    std::vector<std::uint64_t> old_keys = std::move(keys_);
    std::vector<std::uint32_t> old_ids = std::move(ids_);
    keys_.assign(cap, 0);
    ids_.assign(cap, no_index);
    mask_ = cap - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(cap));
    for (std::size_t i = 0; i < old_ids.size(); ++i) {
      if (old_ids[i] == no_index) continue;
      std::size_t slot = home(old_keys[i]);
      while (ids_[slot] != no_index) slot = (slot + 1) & mask_;
      keys_[slot] = old_keys[i];
      ids_[slot] = old_ids[i];
    }
  }

  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> ids_;
  std::size_t mask_ = 0;
  unsigned shift_ = 0;
  std::size_t size_ = 0;
};

struct ranking {
  buffer<std::uint32_t> rank;                 // per row
  std::vector<std::uint32_t> representative;  // per rank: the first row holding that code
  std::size_t count() const noexcept { return representative.size(); }
};

// Ranks of codes[0..n) (0 = smallest code). `max_code` bounds the codes from above.
inline ranking dense_rank(const std::uint64_t* codes, std::size_t n, std::uint64_t max_code) {
  ranking r;
  r.rank = buffer<std::uint32_t>(n);
  const std::uint64_t direct_limit = std::max<std::uint64_t>(4 * n, 1U << 16);
  if (max_code < direct_limit) {
    std::vector<std::uint32_t> table(static_cast<std::size_t>(max_code) + 1, no_index);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t& t = table[codes[i]];
      if (t == no_index) t = static_cast<std::uint32_t>(i);  // first row with this code
    }
    std::uint32_t next = 0;
    for (std::uint32_t& t : table) {
      if (t == no_index) continue;
      r.representative.push_back(t);
      t = next++;
    }
    for (std::size_t i = 0; i < n; ++i) r.rank[i] = table[codes[i]];
    return r;
  }
  hash_index index(std::min<std::size_t>(n, 1U << 20));
  std::vector<std::uint32_t> first_row;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t id = index.insert(codes[i]);
    if (id == first_row.size()) first_row.push_back(static_cast<std::uint32_t>(i));
    r.rank[i] = id;
  }
  std::vector<std::uint32_t> order(first_row.size());
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return codes[first_row[a]] < codes[first_row[b]];
  });
  std::vector<std::uint32_t> rank_of_id(order.size());
  r.representative.resize(order.size());
  for (std::uint32_t k = 0; k < order.size(); ++k) {
    rank_of_id[order[k]] = k;
    r.representative[k] = first_row[order[k]];
  }
  for (std::size_t i = 0; i < n; ++i) r.rank[i] = rank_of_id[r.rank[i]];
  return r;
}

// Key columns encoded as one dense, order-preserving key index per row.
struct encoded_keys {
  buffer<std::uint32_t> index;                    // per row
  std::vector<std::vector<std::int64_t>> values;  // [column][key index]
  std::size_t count = 0;                          // distinct keys
};

// Codes of one key column: value - min, as uint64 (order-preserving).
inline std::vector<std::uint64_t> column_codes(const key_column& col, std::size_t n,
                                               std::uint64_t& max_code) {
  std::vector<std::uint64_t> codes(n);
  std::visit(
      [&](auto s) {
        using I = typename decltype(s)::value_type;
        I lo = n ? s[0] : I{};
        I hi = lo;
        for (std::size_t i = 0; i < n; ++i) {
          lo = s[i] < lo ? s[i] : lo;
          hi = s[i] > hi ? s[i] : hi;
        }
        for (std::size_t i = 0; i < n; ++i)
          codes[i] = static_cast<std::uint64_t>(s[i]) - static_cast<std::uint64_t>(lo);
        max_code = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
      },
      col.data());
  return codes;
}

// Minimum and maximum of a key column.
inline std::pair<std::int64_t, std::int64_t> column_range(const key_column& col, std::size_t n,
                                                          unsigned threads = 1) {
  return std::visit(
      [&](auto s) {
        using I = typename decltype(s)::value_type;
        constexpr std::size_t block = std::size_t{1} << 18;
        std::vector<I> lo((n + block - 1) / block, s[0]), hi(lo.size(), s[0]);
        parallel_blocks(
            n, threads,
            [&](std::size_t begin, std::size_t end) {
              const column_scan<I> r = scan_column<false>(s.data() + begin, end - begin);
              lo[begin / block] = r.lo;
              hi[begin / block] = r.hi;
            },
            block);
        // uint64 keys above INT64_MAX wrap; the caller only uses hi - lo, as uint64.
        return std::pair<std::int64_t, std::int64_t>(
            static_cast<std::int64_t>(*std::min_element(lo.begin(), lo.end())),
            static_cast<std::int64_t>(*std::max_element(hi.begin(), hi.end())));
      },
      col.data());
}

// Keys whose columns together span a small range: each row's mixed-radix code (first column
// most significant, so codes order like the tuples) and a direct table of the codes seen,
// in one pass over the rows; the table turns codes into ranks. When every code of the range
// occurs (all tickers x all tenors, say), ranks are the codes and no second pass is needed.
// No 64-bit code array, no hashing.
inline bool encode_small_keys(const std::vector<key_column>& cols, std::size_t n, encoded_keys& out,
                              unsigned threads = 1) {
  const std::uint64_t limit = std::max<std::uint64_t>(4 * n, 1U << 16);
  std::vector<std::int64_t> lo(cols.size());
  std::vector<std::uint64_t> stride(cols.size());
  std::uint64_t product = 1;
  for (std::size_t j = cols.size(); j-- > 0;) {
    const auto [l, h] = column_range(cols[j], n, threads);
    const std::uint64_t range = static_cast<std::uint64_t>(h) - static_cast<std::uint64_t>(l) + 1;
    if (range == 0 || range > limit || product > limit / range) return false;
    lo[j] = l;
    stride[j] = product;
    product *= range;
  }
  out.index = buffer<std::uint32_t>(n);
  std::uint32_t* TSFILL_RESTRICT code = out.index.data();
  // Per code: some row holding it (any will do: a code is one key tuple), or no_index.
  std::vector<std::uint32_t> table(static_cast<std::size_t>(product), no_index);
  parallel_blocks(n, threads, [&](std::size_t begin, std::size_t end) {
    constexpr std::size_t step = 4096;  // codes stay in L1 between the column passes
    for (std::size_t b = begin; b < end; b += step) {
      const std::size_t e = std::min(end, b + step);
      for (std::size_t j = 0; j < cols.size(); ++j) {
        std::visit(
            [&](auto s) {
              const auto base = static_cast<std::uint64_t>(lo[j]);
              const auto mult = static_cast<std::uint32_t>(stride[j]);
              if (j == 0) {
                for (std::size_t i = b; i < e; ++i)
                  code[i] =
                      static_cast<std::uint32_t>(static_cast<std::uint64_t>(s[i]) - base) * mult;
              } else {
                for (std::size_t i = b; i < e; ++i)
                  code[i] +=
                      static_cast<std::uint32_t>(static_cast<std::uint64_t>(s[i]) - base) * mult;
              }
            },
            cols[j].data());
      }
      // Threads may race to mark a code (any row is right); a code is written once, so the
      // table's lines stay shared between cores instead of bouncing on every row.
      for (std::size_t i = b; i < e; ++i) {
        std::atomic_ref<std::uint32_t> seen(table[code[i]]);
        if (seen.load(std::memory_order_relaxed) == no_index)
          seen.store(static_cast<std::uint32_t>(i), std::memory_order_relaxed);
      }
    }
  });
  std::vector<std::uint32_t> representative;
  std::uint32_t next = 0;
  for (std::uint32_t& t : table) {
    if (t == no_index) continue;
    representative.push_back(t);
    t = next++;
  }
  if (representative.size() != table.size())  // some codes absent: ranks differ from codes
    parallel_blocks(n, threads, [&](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) code[i] = table[code[i]];
    });
  out.count = representative.size();
  for (std::size_t j = 0; j < cols.size(); ++j) {
    out.values[j].resize(out.count);
    for (std::size_t k = 0; k < out.count; ++k) out.values[j][k] = cols[j].at(representative[k]);
  }
  return true;
}

inline encoded_keys encode_keys(const std::vector<key_column>& cols, std::size_t n,
                                unsigned threads = 1) {
  encoded_keys out;
  out.values.resize(cols.size());
  if (n == 0) return out;
  if (cols.empty()) {  // one key: the empty tuple
    out.index = buffer<std::uint32_t>(n);
    std::fill(out.index.begin(), out.index.end(), 0U);
    out.count = 1;
    return out;
  }
  if (encode_small_keys(cols, n, out, threads)) return out;
  std::uint64_t max_code = 0;
  ranking r;
  {
    std::vector<std::uint64_t> codes = column_codes(cols[0], n, max_code);
    r = dense_rank(codes.data(), n, max_code);
  }
  for (std::size_t j = 1; j < cols.size(); ++j) {
    std::uint64_t col_max = 0;
    std::vector<std::uint64_t> codes = column_codes(cols[j], n, col_max);
    const ranking rj = dense_rank(codes.data(), n, col_max);
    const std::uint64_t kj = rj.count();
    for (std::size_t i = 0; i < n; ++i) codes[i] = r.rank[i] * kj + rj.rank[i];
    r = dense_rank(codes.data(), n, (r.count() - 1) * kj + (kj - 1));
  }
  out.count = r.count();
  for (std::size_t j = 0; j < cols.size(); ++j) {
    out.values[j].resize(out.count);
    for (std::size_t k = 0; k < out.count; ++k) out.values[j][k] = cols[j].at(r.representative[k]);
  }
  out.index = std::move(r.rank);
  return out;
}

// Keys of n rows together with those of a key universe (run_options::key_universe): every
// tuple of the universe gets a key index too, in key order with the rows' keys; `index`
// covers the n rows only. With no key columns there is one key, the empty tuple.
inline encoded_keys encode_keys_with(const std::vector<key_column>& cols,
                                     const std::vector<key_column>& universe, std::size_t n) {
  if (universe.size() != cols.size())
    throw invalid_argument("run_options::key_universe has " + std::to_string(universe.size()) +
                           " key columns, the input " + std::to_string(cols.size()));
  if (cols.empty()) {
    encoded_keys out;
    out.index = buffer<std::uint32_t>(n);
    std::fill(out.index.begin(), out.index.end(), 0U);
    out.count = 1;
    return out;
  }
  const std::size_t u = universe[0].size();
  std::vector<std::shared_ptr<void>> storage;  // owns the joined columns
  std::vector<key_column> joined;
  for (std::size_t j = 0; j < cols.size(); ++j) {
    std::visit(
        [&](auto rows) {
          using I = typename decltype(rows)::value_type;
          const auto* extra = std::get_if<std::span<const I>>(&universe[j].data());
          if (extra == nullptr || extra->size() != u || universe[j].name() != cols[j].name())
            throw invalid_argument("run_options::key_universe column " + std::to_string(j) +
                                   " must be '" + cols[j].name() +
                                   "' of the input key column's type, with " + std::to_string(u) +
                                   " rows like the first");
          auto v = std::make_shared<std::vector<I>>(rows.begin(), rows.end());
          v->insert(v->end(), extra->begin(), extra->end());
          joined.emplace_back(cols[j].name(), std::span<const I>(*v));
          storage.push_back(std::move(v));
        },
        cols[j].data());
  }
  encoded_keys out = encode_keys(joined, n + u);
  out.index.truncate(n);  // the universe's rows have keys, not rows
  return out;
}

}  // namespace detail
TSFILL_END_NAMESPACE
