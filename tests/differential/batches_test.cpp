// Batches equal one run: a generated case run as consecutive ranges of day partitions (1 to
// 3 days a batch), each batch given only its own rows, the key universe of the whole input
// and the previous batch's carry_out(), must give exactly the one run's cells: partitions,
// keys, slot times, original and filled values, validity, status and source offsets, for
// every dedup x grid x fill combination with day partitions. The same batches run without
// the seed and the universe must differ in many cases, so the comparison can fail.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "cases.hpp"

namespace {

using namespace cases;

// The day partition of each row, as the pipeline assigns it (partition of the slot start).
std::vector<i64> partition_of_rows(const generated_case& c) {
  const tsfill::tick_period ticks = tsfill::tick_period::of<secs>();
  const auto sf = tsfill::slot::fixed{secs(c.cfg.slot_width), secs(c.cfg.slot_anchor)}.bind(ticks);
  const auto pf = tsfill::partition::utc_day{secs(c.cfg.day_offset)}.bind(ticks);
  std::vector<i64> pid;
  for (const i64 t : c.t) pid.push_back(pf.id(sf.start(sf.ordinal(t))));
  return pid;
}

// The rows of `c` whose partition lies in [first, last], in input order.
generated_case rows_in(const generated_case& c, const std::vector<i64>& pid, i64 first, i64 last) {
  generated_case b = c;
  b.t.clear();
  for (auto& k : b.keys) k.clear();
  b.f64.clear();
  b.f32.clear();
  b.i64v.clear();
  for (std::size_t i = 0; i < c.t.size(); ++i) {
    if (pid[i] < first || pid[i] > last) continue;
    b.t.push_back(c.t[i]);
    for (std::size_t j = 0; j < c.keys.size(); ++j) b.keys[j].push_back(c.keys[j][i]);
    b.f64.push_back(c.f64[i]);
    b.f32.push_back(c.f32[i]);
    b.i64v.push_back(c.i64v[i]);
  }
  return b;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// "" when the cells of `parts` (in order) equal the cells of `one`.
std::string compare(const tsfill::result& one, const std::vector<tsfill::result>& parts) {
  std::size_t row = 0, seg = 0;
  const auto segs = one.segments();
  for (std::size_t b = 0; b < parts.size(); ++b) {
    const tsfill::result& r = parts[b];
    for (const tsfill::segment& s : r.segments()) {
      const std::string at = "batch " + std::to_string(b) + " segment at row " +
                             std::to_string(s.offset) + " (one run's row " + std::to_string(row) +
                             "): ";
      if (seg >= segs.size()) return at + "the one run has no more segments";
      const tsfill::segment& o = segs[seg++];
      if (o.partition != s.partition || o.size != s.size || o.first_slot != s.first_slot)
        return at + "partition " + std::to_string(s.partition) + " size " + std::to_string(s.size) +
               ", one run: partition " + std::to_string(o.partition) + " size " +
               std::to_string(o.size);
      for (std::size_t j = 0; j < one.key_count(); ++j)
        if (one.distinct_keys(j)[o.key] != r.distinct_keys(j)[s.key]) return at + "key differs";
      for (std::size_t i = 0; i < s.size; ++i) {
        const std::size_t x = s.offset + i, y = o.offset + i;
        const std::string cell = at + "cell " + std::to_string(i) + ": ";
        if (r.slot_times()[x] != one.slot_times()[y]) return cell + "slot time";
        if (r.slot_ordinal(s, x) != one.slot_ordinal(o, y)) return cell + "slot ordinal";
        for (std::size_t c = 0; c < one.value_count(); ++c) {
          const tsfill::result_column& rc = r.value(c);
          const tsfill::result_column& oc = one.value(c);
          const std::string col = cell + "column " + oc.name() + ": ";
          if (rc.type() != oc.type()) return col + "type";
          if (rc.status()[x] != oc.status()[y])
            return col + "status " + tsfill::to_string(rc.status()[x]) + ", one run " +
                   tsfill::to_string(oc.status()[y]);
          if (rc.original_valid(x) != oc.original_valid(y)) return col + "original validity";
          if (rc.filled_valid(x) != oc.filled_valid(y)) return col + "filled validity";
          if (rc.source_offsets().empty() != oc.source_offsets().empty() ||
              (!rc.source_offsets().empty() && rc.source_offsets()[x] != oc.source_offsets()[y]))
            return col + "source offset " +
                   (rc.source_offsets().empty() ? "none" : std::to_string(rc.source_offsets()[x])) +
                   ", one run " +
                   (oc.source_offsets().empty() ? "none" : std::to_string(oc.source_offsets()[y]));
          if (rc.source_times().empty() != oc.source_times().empty() ||
              (!rc.source_times().empty() && rc.source_times()[x] != oc.source_times()[y]))
            return col + "source time " +
                   (rc.source_times().empty() ? "none" : std::to_string(rc.source_times()[x])) +
                   ", one run " +
                   (oc.source_times().empty() ? "none" : std::to_string(oc.source_times()[y]));
          bool same = true;
          tsfill::visit(oc.type(), [&](auto* tag) {
            using T = std::remove_pointer_t<decltype(tag)>;
            same = (!oc.original_valid(y) || same_bits(rc.original<T>()[x], oc.original<T>()[y])) &&
                   (!oc.filled_valid(y) || same_bits(rc.filled<T>()[x], oc.filled<T>()[y]));
          });
          if (!same) return col + "value";
        }
      }
      row += s.size;
    }
  }
  if (seg != segs.size())
    return "the batches miss " + std::to_string(segs.size() - seg) + " segments";
  if (row != one.rows()) return "rows differ";
  return "";
}

struct outcome {
  std::string diff;         // "" when the batches equal the one run
  bool decided = false;     // both sides ran (no rejected duplicate)
  bool needs_both = false;  // the batches without seed and universe differ
};

outcome check(const generated_case& c, i64 days_per_batch) {
  outcome out;
  auto whole = run_real(c);
  if (std::holds_alternative<std::string>(whole)) {
    const std::string& e = std::get<std::string>(whole);
    if (e != "duplicate") out.diff = "the one run threw: " + e;
    return out;
  }
  const tsfill::result& one = std::get<tsfill::result>(whole);
  const std::vector<i64> pid = partition_of_rows(c);
  if (pid.empty() && one.rows() == 0) return out;
  i64 lo = INT64_MAX, hi = INT64_MIN;
  for (const i64 p : pid) lo = std::min(lo, p), hi = std::max(hi, p);
  for (const tsfill::segment& s : one.segments())
    lo = std::min(lo, s.partition), hi = std::max(hi, s.partition);
  const real_keys all_keys(c);
  const tsfill::key_universe universe = tsfill::key_universe_of(all_keys.columns);

  auto run_batches = [&](bool seeded, std::vector<tsfill::result>& parts) -> std::string {
    tsfill::carry_seed seed;
    for (i64 first = lo; first <= hi; first += days_per_batch) {
      tsfill::run_options opt;
      opt.first_partition = first;
      opt.last_partition = first + days_per_batch - 1;
      if (seeded) {
        opt.key_universe = &universe.columns;
        opt.carry_in = &seed;
      }
      auto r = run_real(rows_in(c, pid, first, opt.last_partition), opt);
      if (auto* e = std::get_if<std::string>(&r)) return "batch threw: " + *e;
      parts.push_back(std::move(std::get<tsfill::result>(r)));
      if (seeded) seed = tsfill::carry_out(parts.back(), std::move(seed));
    }
    return "";
  };
  std::vector<tsfill::result> parts;
  out.diff = run_batches(true, parts);
  if (out.diff.empty()) out.diff = compare(one, parts);
  out.decided = true;
  std::vector<tsfill::result> unseeded;
  out.needs_both = !run_batches(false, unseeded).empty() || !compare(one, unseeded).empty();
  return out;
}

void run_cases(std::uint64_t seed, std::size_t count, i64 max_rows) {
  generator g(seed, max_rows);
  std::size_t decided = 0, needs_both = 0, failures = 0;
  for (std::size_t k = 0; k < count; ++k) {
    // Combinations 0-239 are those with day partitions (see generator::make).
    generated_case c = g.make(k % 240);
    const i64 days = g.uniform(1, 3);
    // Every third case: all value columns carry in, so the seed matters often.
    if (k % 3 == 0)
      for (auto& f : c.fills) f.carry_in = f.m == ref::method::forward;
    const outcome o = check(c, days);
    decided += o.decided;
    needs_both += o.needs_both;
    if (o.diff.empty()) continue;
    ADD_FAILURE() << "case " << k << " (seed " << seed << ", " << days
                  << " days a batch): " << o.diff << "\n"
                  << describe(c);
    if (++failures >= 3) return;
  }
  EXPECT_GT(decided, count * 8 / 10);
  // Not vacuous: without the seed and the key universe, many cases come out different.
  EXPECT_GT(needs_both, count / 20) << "of " << decided << " decided cases";
}

TEST(batches, equal_one_run_small_cases) {
  run_cases(11, 6000, 24);
}
TEST(batches, equal_one_run_larger_cases) {
  run_cases(12, 1200, 120);
}

}  // namespace
