// The history component against a slow, obviously-correct reference: tables as maps of
// months to maps of keys to arrays of optionals, the rule applied one staged value at a
// time. Generated tables of accounts that open and close over 48 months, K = 4 arrays,
// staging sets with repeats, explicit nulls, months before and after the table, several
// late months of one account, accounts without a row in the staged month.
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/history.hpp>

namespace h = tsfill::history;

namespace {

using cell = std::optional<double>;
using arrays = std::vector<std::vector<cell>>;         // per column: N elements
using ref_partition = std::map<std::int64_t, arrays>;  // key -> arrays (no entry: no row)
using ref_table = std::map<h::month, ref_partition>;

struct ref_staged {
  std::int64_t key;
  h::month m;
  std::size_t row;
  std::vector<cell> values;  // per staged column
};

// The rule of DESIGN.md section 4, one value at a time: new rows first, then every value.
ref_table ref_apply(ref_table t, const std::vector<ref_staged>& staged,
                    const std::vector<std::size_t>& target, std::size_t n, std::size_t k) {
  for (const ref_staged& s : staged) {
    auto p = t.find(s.m);
    if (p != t.end() && !p->second.count(s.key)) p->second[s.key] = arrays(k, std::vector<cell>(n));
  }
  for (const ref_staged& s : staged)
    for (h::month p = s.m; p < s.m + static_cast<h::month>(n); ++p) {
      auto part = t.find(p);
      if (part == t.end()) continue;
      auto row = part->second.find(s.key);
      if (row == part->second.end()) continue;
      for (std::size_t c = 0; c < s.values.size(); ++c)
        row->second[target[c]][static_cast<std::size_t>(p - s.m)] = s.values[c];
    }
  return t;
}

h::partition to_partition(h::month m, const ref_partition& rp, std::size_t n, std::size_t k) {
  h::partition p;
  p.m = m;
  p.length = n;
  p.arrays.resize(k);
  for (std::size_t c = 0; c < k; ++c) p.arrays[c].name = "a" + std::to_string(c);
  for (const auto& [key, a] : rp) {
    p.keys.push_back(key);
    for (std::size_t c = 0; c < k; ++c) {
      p.arrays[c].row_valid.push_back(1);
      for (const cell& x : a[c]) {
        p.arrays[c].values.push_back(x.value_or(0.0));
        p.arrays[c].valid.push_back(x.has_value());
      }
    }
  }
  return p;
}

ref_partition from_partition(const h::partition& p) {
  ref_partition rp;
  for (std::size_t r = 0; r < p.rows(); ++r) {
    arrays a(p.arrays.size(), std::vector<cell>(p.length));
    for (std::size_t c = 0; c < p.arrays.size(); ++c)
      for (std::size_t i = 0; i < p.length; ++i)
        if (p.arrays[c].valid[r * p.length + i]) a[c][i] = p.arrays[c].values[r * p.length + i];
    rp[p.keys[r]] = a;
  }
  return rp;
}

struct generated {
  ref_table table;
  std::vector<ref_staged> staged;  // in source order, repeats included
  std::vector<std::size_t> target;
  std::size_t n, k;
};

generated generate(std::mt19937_64& rng, std::size_t accounts, h::month months, std::size_t n) {
  generated g;
  g.n = n;
  g.k = 4;
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  auto value = [&]() -> cell {
    if (chance(0.15)) return std::nullopt;
    return std::round(std::uniform_real_distribution<double>(-100, 100)(rng) * 4) / 4;
  };
  const h::month first = h::month_of(2020, 1);
  for (h::month m = first; m < first + months; ++m) g.table[m];
  for (std::size_t a = 0; a < accounts; ++a) {  // each account open for a random span
    const h::month open = first + static_cast<h::month>(rng() % static_cast<std::uint64_t>(months));
    const h::month close = open + static_cast<h::month>(rng() % 30);
    for (h::month m = open; m <= close && m < first + months; ++m) {
      if (chance(0.05)) continue;  // a month missing from the account's rows
      arrays arr(g.k, std::vector<cell>(n));
      for (auto& col : arr)
        for (auto& x : col) x = value();
      g.table[m][static_cast<std::int64_t>(a)] = arr;
    }
  }
  // Staging: two of the four columns (targets 1 and 3), months from before the table to
  // after it, repeats, several months of one account.
  g.target = {1, 3};
  const std::size_t rows = 1 + rng() % (accounts / 2 + 2);
  for (std::size_t i = 0; i < rows; ++i) {
    ref_staged s;
    s.key = static_cast<std::int64_t>(rng() % (accounts + 3));  // (some keys no table has)
    s.m = first - static_cast<h::month>(n) - 2 +
          static_cast<h::month>(rng() % (static_cast<std::uint64_t>(months) + 2 * n + 4));
    s.row = i + 1;
    s.values = {value(), value()};
    g.staged.push_back(s);
    if (chance(0.2)) {  // another month of the same account
      ref_staged t = s;
      t.m += 1 + static_cast<h::month>(rng() % 5);
      t.row = ++i + 1;
      t.values = {value(), value()};
      g.staged.push_back(t);
    }
  }
  return g;
}

h::staging to_staging(const generated& g) {
  h::staging s;
  s.columns.resize(g.target.size());
  for (std::size_t c = 0; c < g.target.size(); ++c) s.columns[c].target = g.target[c];
  for (const ref_staged& r : g.staged) {
    s.keys.push_back(r.key);
    s.months.push_back(r.m);
    s.rows.push_back(r.row);
    for (std::size_t c = 0; c < r.values.size(); ++c) {
      s.columns[c].values.push_back(r.values[c].value_or(0.0));
      s.columns[c].valid.push_back(r.values[c].has_value());
    }
  }
  return s;
}

// Repeats of one (key, month): the later source row wins (the reference's dedup last).
std::vector<ref_staged> last_wins(const std::vector<ref_staged>& staged) {
  std::map<std::pair<std::int64_t, h::month>, ref_staged> last;
  for (const ref_staged& s : staged) last[{s.key, s.m}] = s;
  std::vector<ref_staged> out;
  for (const auto& [k, s] : last) out.push_back(s);
  return out;
}

std::string show(const arrays& a) {
  std::string s;
  for (const auto& col : a) {
    s += " [";
    for (const cell& x : col) s += (x ? std::to_string(*x) : std::string("null")) + ";";
    s += "]";
  }
  return s;
}

// The first key whose row differs, both rows shown (or "" when the partitions are equal).
std::string first_difference(const ref_partition& want, const ref_partition& got) {
  for (const auto& [key, a] : want) {
    const auto it = got.find(key);
    if (it == got.end()) return "key " + std::to_string(key) + ": no row; want" + show(a);
    if (it->second != a)
      return "key " + std::to_string(key) + ":\n  want" + show(a) + "\n  got " + show(it->second);
  }
  for (const auto& [key, a] : got)
    if (!want.count(key)) return "key " + std::to_string(key) + ": a row too many:" + show(a);
  return "";
}

}  // namespace

TEST(history, apply_equals_the_reference_on_generated_tables) {
  std::mt19937_64 rng(20261129);
  int partitions_rewritten = 0, new_rows = 0, untouched_checked = 0;
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = 1 + rng() % 8;
    generated g = generate(rng, 2 + rng() % 40, 48, n);
    if (round % 10 == 0) g = generate(rng, 2000, 48, 36);  // thousands of accounts, N = 36
    const h::staging s = to_staging(g);
    const h::staged_set set(s, h::staged_dedup::last);
    const ref_table want = ref_apply(g.table, last_wins(g.staged), g.target, g.n, g.k);
    for (const auto& [m, rp] : g.table) {
      h::partition p = to_partition(m, rp, g.n, g.k);
      const h::partition before = p;
      const h::apply_audit audit = h::apply(p, set);
      const ref_partition got = from_partition(p);
      const std::string diff = first_difference(want.at(m), got);
      ASSERT_EQ(diff, "") << "round " << round << " month " << h::month_text(m);
      if (set.window(m, g.n).empty()) {  // outside every window: not touched at all
        ASSERT_EQ(p.keys, before.keys);
        ASSERT_FALSE(audit.changed());
        ++untouched_checked;
      }
      ASSERT_EQ(audit.new_rows, p.rows() - before.rows());
      partitions_rewritten += audit.changed();
      new_rows += static_cast<int>(audit.new_rows);
      // What apply placed, verify finds; and apply again changes nothing (a resume).
      ASSERT_TRUE(h::verify(p, set).empty()) << "round " << round;
      h::partition again = p;
      ASSERT_FALSE(h::apply(again, set).changed());
    }
  }
  EXPECT_GT(partitions_rewritten, 1000);
  EXPECT_GT(new_rows, 100);
  EXPECT_GT(untouched_checked, 1000);
}

TEST(history, two_values_for_one_key_and_month_name_both_rows) {
  h::staging s;
  s.keys = {7, 8, 7};
  s.months = {h::month_of(2024, 3), h::month_of(2024, 3), h::month_of(2024, 3)};
  s.rows = {1, 2, 3};
  s.columns = {{0, {1.0, 2.0, 3.0}, {1, 1, 1}}};
  try {
    h::staged_set set(s, h::staged_dedup::reject);
    FAIL() << "no error";
  } catch (const h::duplicate_staged& e) {
    EXPECT_EQ(e.first_row, 1U);
    EXPECT_EQ(e.second_row, 3U);
    EXPECT_STREQ(e.what(), "rows 1 and 3 stage two values for one key and month 2024-03");
  }
  const h::staged_set last(s, h::staged_dedup::last);
  ASSERT_EQ(last.entries().size(), 2U);
  EXPECT_EQ(last.repeats_dropped(), 1U);
}

TEST(history, two_late_months_of_one_account_land_in_each_others_rows) {
  // Account 5 has no rows in 2024-03 and 2024-04; values for both months arrive late.
  h::partition mar{h::month_of(2024, 3), 3, {}, {{"bal", {}, {}, {}}}};
  h::partition apr{h::month_of(2024, 4), 3, {}, {{"bal", {}, {}, {}}}};
  h::partition may{h::month_of(2024, 5), 3, {5}, {{"bal", {9, 9, 9}, {1, 1, 1}, {1}}}};
  h::staging s;
  s.keys = {5, 5};
  s.months = {h::month_of(2024, 4), h::month_of(2024, 3)};
  s.rows = {1, 2};
  s.columns = {{0, {40.0, 30.0}, {1, 1}}};
  const h::staged_set set(s, h::staged_dedup::reject);
  EXPECT_EQ(h::apply(mar, set).new_rows, 1U);
  EXPECT_EQ(h::apply(apr, set).new_rows, 1U);
  EXPECT_EQ(h::apply(may, set).new_rows, 0U);
  EXPECT_EQ(mar.arrays[0].values[0], 30.0);  // [30, null, null]
  EXPECT_EQ(std::vector<std::uint8_t>(mar.arrays[0].valid), (std::vector<std::uint8_t>{1, 0, 0}));
  EXPECT_EQ(apr.arrays[0].values[0], 40.0);  // [40, 30, null]
  EXPECT_EQ(apr.arrays[0].values[1], 30.0);
  EXPECT_EQ(std::vector<std::uint8_t>(apr.arrays[0].valid), (std::vector<std::uint8_t>{1, 1, 0}));
  EXPECT_EQ(may.arrays[0].values, (std::vector<double>{9, 40, 30}));  // index 0 untouched
}

TEST(history, a_staged_null_is_placed_as_a_null) {
  h::partition p{h::month_of(2024, 5), 2, {1}, {{"bal", {3, 4}, {1, 1}, {1}}}};
  h::staging s;
  s.keys = {1};
  s.months = {h::month_of(2024, 4)};
  s.rows = {1};
  s.columns = {{0, {0.0}, {0}}};
  const h::staged_set set(s, h::staged_dedup::reject);
  const h::apply_audit a = h::apply(p, set);
  EXPECT_EQ(a.rows_changed, 1U);
  EXPECT_EQ(a.values_placed, 1U);
  EXPECT_EQ(std::vector<std::uint8_t>(p.arrays[0].valid), (std::vector<std::uint8_t>{1, 0}));
  EXPECT_TRUE(h::verify(p, set).empty());
}

TEST(history, roll_shifts_by_one_and_adds_new_keys) {
  h::partition mar{
      h::month_of(2024, 3), 3, {1, 2}, {{"bal", {1, 2, 3, 4, 5, 6}, {1, 1, 1, 1, 0, 1}, {1, 1}}}};
  h::staging in;
  in.keys = {3, 1};
  in.months = {h::month_of(2024, 4), h::month_of(2024, 4)};
  in.rows = {1, 2};
  in.columns = {{0, {30.0, 10.0}, {1, 1}}};
  const h::rolled r = h::roll(mar, in, h::staged_dedup::reject);
  EXPECT_EQ(r.part.m, h::month_of(2024, 4));
  EXPECT_EQ(r.part.keys, (std::vector<std::int64_t>{1, 2, 3}));
  const auto& a = r.part.arrays[0];
  EXPECT_EQ(std::vector<double>(a.values.begin(), a.values.begin() + 3),
            (std::vector<double>{10, 1, 2}));
  EXPECT_EQ(std::vector<std::uint8_t>(a.valid),
            (std::vector<std::uint8_t>{1, 1, 1, 0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(a.values[4], 4.0);
  EXPECT_EQ(r.prev_row, (std::vector<std::size_t>{0, 1, SIZE_MAX}));
  EXPECT_EQ(r.input_row, (std::vector<std::size_t>{2, SIZE_MAX, 1}));
}

TEST(history, months_read_and_print) {
  EXPECT_EQ(h::month_text(h::month_of(2024, 3)), "2024-03");
  EXPECT_EQ(h::month_text(h::month_of(1969, 12)), "1969-12");
  EXPECT_EQ(h::parse_month("1969-12"), h::month_of(1969, 12));
  EXPECT_EQ(h::parse_month("2024-03-31"), h::month_of(2024, 3));
  EXPECT_FALSE(h::parse_month("2024-13"));
  EXPECT_FALSE(h::parse_month("2024-3"));
  for (h::month m = -30; m < 30; ++m) EXPECT_EQ(h::parse_month(h::month_text(m)), m);
}
