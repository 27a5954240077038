// The command line's parts called directly (not through a subprocess): the CSV parser, the
// timestamp, epoch and duration parsers and the timestamp formatter, input discovery and the
// per-file manifest (examples/io), and the job flags from texts to a validated job_spec,
// with every message checked.
#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <tsfill/tsfill.hpp>

#include "app/flags.hpp"
#include "app/job_spec.hpp"
#include "cli_error.hpp"
#include "csv_reader.hpp"
#include "output.hpp"
#include "output_file.hpp"
#include "parquet_io.hpp"
#include "table.hpp"
#include "timefmt.hpp"

namespace {

using namespace tsfill_cli;

std::vector<std::vector<std::string>> records(std::string_view text, char delim = ',') {
  csv_parser p(text, delim, "t.csv");
  std::vector<std::vector<std::string>> out;
  std::vector<std::string_view> fields;
  while (p.next(fields)) out.emplace_back(fields.begin(), fields.end());
  return out;
}

std::string csv_error(std::string_view text) {
  try {
    records(text);
  } catch (const cli_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(csv_parser, fields_quotes_and_line_ends) {
  using R = std::vector<std::vector<std::string>>;
  EXPECT_EQ(records("a,b\n1,2\n"), (R{{"a", "b"}, {"1", "2"}}));
  EXPECT_EQ(records("a,b\r\n1,2"), (R{{"a", "b"}, {"1", "2"}}));  // CRLF, no final newline
  EXPECT_EQ(records("\xEF\xBB\xBF"
                    "a\n\n\n1\n"),
            (R{{"a"}, {"1"}}));  // BOM, blank lines
  EXPECT_EQ(records("a,b\n\"x,\"\"y\"\"\n z\",\n"), (R{{"a", "b"}, {"x,\"y\"\n z", ""}}));
  EXPECT_EQ(records("a;b\n1;\n", ';'), (R{{"a", "b"}, {"1", ""}}));
  EXPECT_EQ(records("a\r1\r"), (R{{"a"}, {"1"}}));  // lone CR ends a record
}

TEST(csv_parser, rows_and_lines_count_across_quoted_newlines) {
  csv_parser p("h\n\"a\nb\"\nc\n", ',', "t.csv");
  std::vector<std::string_view> f;
  ASSERT_TRUE(p.next(f));  // header
  ASSERT_TRUE(p.next(f));
  EXPECT_EQ(p.data_row(), 1U);
  EXPECT_EQ(p.record_line(), 2U);
  ASSERT_TRUE(p.next(f));
  EXPECT_EQ(p.data_row(), 2U);
  EXPECT_EQ(p.record_line(), 4U);
  EXPECT_FALSE(p.next(f));
}

TEST(csv_parser, errors_name_file_row_and_line) {
  EXPECT_EQ(csv_error("h\n1\n\"open\n"), "t.csv, row 2 (line 3): a quoted field is never closed");
  EXPECT_EQ(csv_error("h\n\"a\"b\n"),
            "t.csv, row 1 (line 2): unexpected 'b' after a closing quote");
}

// The parser's rules read one byte at a time, slowly and plainly: the records of `text`
// with the line each starts on, or the error the parser must throw.
struct reference_csv {
  std::vector<std::vector<std::string>> records;
  std::vector<std::uint64_t> lines;
  std::string error;
};
reference_csv read_csv_bytewise(std::string_view s, char delim) {
  reference_csv out;
  std::size_t p = s.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  std::uint64_t line = 1;
  const std::size_t n = s.size();
  while (true) {
    while (p < n && (s[p] == '\n' || (s[p] == '\r' && p + 1 < n && s[p + 1] == '\n'))) {
      p += s[p] == '\r' ? 2U : 1U;  // blank lines
      ++line;
    }
    if (p >= n) return out;
    const std::uint64_t record_line = line;
    const std::string row = std::to_string(out.records.size());  // (the header is row 0)
    auto fail = [&](const std::string& why) {
      out.error = "t.csv" + (row == "0" ? "" : ", row " + row) + " (line " +
                  std::to_string(record_line) + "): " + why;  // (row 0, the header: no row)
      return out;
    };
    std::vector<std::string> fields;
    while (true) {
      std::string field;
      if (p < n && s[p] == '"') {
        ++p;
        while (true) {
          if (p >= n) return fail("a quoted field is never closed");
          if (s[p] == '"' && p + 1 < n && s[p + 1] == '"') {
            field += '"';
            p += 2;
          } else if (s[p] == '"') {
            ++p;
            break;
          } else {
            line += s[p] == '\n';
            field += s[p++];
          }
        }
        if (p < n && s[p] != delim && s[p] != '\n' && s[p] != '\r')
          return fail(std::string("unexpected '") + s[p] + "' after a closing quote");
      } else {
        while (p < n && s[p] != delim && s[p] != '\n' && s[p] != '\r') field += s[p++];
      }
      fields.push_back(field);
      if (p < n && s[p] == delim) {
        ++p;
        continue;
      }
      if (p < n) {
        p += s[p] == '\r' && p + 1 < n && s[p + 1] == '\n' ? 2U : 1U;
        ++line;
      }
      break;
    }
    out.records.push_back(fields);
    out.lines.push_back(record_line);
  }
}

// The parser against the bytewise reading, on random texts of the bytes that matter (the
// delimiter, quotes, LF, CR, a BOM, letters), short and long enough to span its 64-byte
// blocks, placed at every alignment in memory: the same records, lines and errors.
TEST(csv_parser, equals_a_bytewise_reading_on_random_text) {
  std::mt19937_64 rng(20261207);
  std::size_t with_quotes = 0, with_errors = 0;
  const int cases = 30'000;
  for (int n = 0; n < cases; ++n) {
    const char delim = n % 3 == 0 ? ';' : ',';
    const std::string alphabet =
        n % 4 == 0 ? std::string("ab\"\n\r") + delim
                   : std::string("abcdefgh12345.-") + delim + delim + delim + "\n";
    std::string text = rng() % 50 == 0 ? "\xEF\xBB\xBF" : "";
    const std::size_t length = rng() % (n % 2 == 0 ? 40 : 400);
    for (std::size_t i = 0; i < length; ++i) {
      if (rng() % 40 == 0) {  // a quoted field, sometimes with "" or a newline inside
        if (!text.empty() && text.back() != delim && text.back() != '\n' && rng() % 8 != 0)
          text += delim;
        text += '"';
        static const char* const inside[] = {"a", "\"\"", "\n", ",", "\r", "b"};
        for (std::size_t k = rng() % 6; k > 0; --k) text += inside[rng() % 6];
        if (rng() % 50 != 0) text += '"';
        if (rng() % 8 != 0) text += rng() % 2 ? '\n' : delim;
        ++with_quotes;
        continue;
      }
      text += alphabet[rng() % alphabet.size()];
    }
    std::vector<char> memory(text.size() + 128);
    const std::size_t at = static_cast<std::size_t>(n) % 64;
    std::copy(text.begin(), text.end(), memory.begin() + static_cast<std::ptrdiff_t>(at));
    const std::string_view placed(memory.data() + at, text.size());
    const reference_csv want = read_csv_bytewise(placed, delim);
    csv_parser p(placed, delim, "t.csv");
    std::vector<std::string_view> fields;
    std::size_t r = 0;
    std::string error;
    try {
      while (p.next(fields)) {
        ASSERT_LT(r, want.records.size()) << "'" << text << "'";
        ASSERT_EQ(std::vector<std::string>(fields.begin(), fields.end()), want.records[r])
            << "record " << r << " of '" << text << "'";
        ASSERT_EQ(p.record_line(), want.lines[r]) << "record " << r << " of '" << text << "'";
        ++r;
      }
    } catch (const cli_error& e) {
      error = e.what();
    }
    ASSERT_EQ(error, want.error) << "'" << text << "'";
    if (error.empty()) {
      ASSERT_EQ(r, want.records.size()) << "'" << text << "'";
    }
    with_errors += !error.empty();
  }
  EXPECT_GT(with_quotes, 10'000U);
  EXPECT_GT(with_errors, static_cast<std::size_t>(cases) / 20);
  EXPECT_LT(with_errors, static_cast<std::size_t>(cases) / 2);
}

std::string fill_flags_constant_error(const std::string& value) {
  try {
    (void)parse_fill_method("--fill", "constant:" + value);
  } catch (const cli_error& e) {
    return e.what();
  }
  return "ok";
}

TEST(timefmt, timestamps) {
  EXPECT_EQ(parse_timestamp("1970-01-01"), 0);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:01Z"), 1'000'000'000);
  EXPECT_EQ(parse_timestamp("1970-01-01 00:00:00.5"), 500'000'000);
  EXPECT_EQ(parse_timestamp("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_timestamp("1970-01-01T00:00:00-0130"), 5'400'000'000'000);
  EXPECT_EQ(parse_timestamp("2024-02-29T12:00:00.123456789Z"), 1'709'208'000'123'456'789);
  std::string why;
  EXPECT_EQ(parse_timestamp("2023-02-29", &why), std::nullopt);
  EXPECT_FALSE(why.empty());
  EXPECT_EQ(parse_timestamp("2024-13-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_timestamp("2262-01-01"), std::nullopt);  // past the nanosecond range
  EXPECT_EQ(parse_timestamp("1677-01-01"), std::nullopt);
  EXPECT_EQ(parse_timestamp("yesterday"), std::nullopt);
  // The range is the UTC instant's, once the offset is applied: what tsfill writes with --tz
  // near the ends reads back, and nothing outside is accepted.
  EXPECT_EQ(parse_timestamp("2262-01-01T00:30:00+01:00"), end_time_ns - 1'800'000'000'000);
  EXPECT_EQ(parse_timestamp("2261-12-31T23:30:00-01:00", &why), std::nullopt);
  EXPECT_EQ(why, "outside the nanosecond range (UTC years 1678-2261)");
  EXPECT_EQ(parse_timestamp("1678-01-01T00:30:00+01:00"), std::nullopt);
  EXPECT_EQ(parse_timestamp("1677-12-31T23:30:00-01:00"), first_time_ns + 1'800'000'000'000);
  EXPECT_EQ(parse_timestamp("1678-01-01"), first_time_ns);
  EXPECT_EQ(parse_timestamp("2261-12-31T23:59:59.999999999"), end_time_ns - 1);
  for (const std::int64_t ns : {first_time_ns, end_time_ns - 1})
    EXPECT_EQ(parse_timestamp(format_timestamp(ns)), ns);
}

// The fixed-layout fast path against the general parser (which a leading space sends every
// text to: the fast path takes no spaces), on texts of that layout with every field drawn
// in and out of range, fractions of 0-10 digits, with and without 'Z', and one byte
// replaced at random in a third of them.
TEST(timefmt, fixed_layout_fast_path_equals_the_general_parser) {
  std::mt19937_64 rng(20261207);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto two = [](int v) { return std::string(1, char('0' + v / 10)) + char('0' + v % 10); };
  std::size_t fast = 0, cases = 0;
  for (; cases < 200'000; ++cases) {
    const int year = pick(0, 3) == 0 ? pick(0, 9999) : pick(1670, 2270);
    std::string text = std::to_string(year);
    text = std::string(4 - std::min<std::size_t>(4, text.size()), '0') + text;
    text += "-" + two(pick(0, 13)) + "-" + two(pick(0, 32)) + (pick(0, 3) == 0 ? " " : "T") +
            two(pick(0, 24)) + ":" + two(pick(0, 60)) + ":" + two(pick(0, 60));
    if (const int digits = pick(-3, 10); digits >= 0) {
      text += '.';
      for (int d = 0; d < digits; ++d) text += char('0' + pick(0, 9));
    }
    if (pick(0, 1) == 1) text += 'Z';
    if (pick(0, 2) == 0)
      text[static_cast<std::size_t>(pick(0, static_cast<int>(text.size()) - 1))] =
          "0123456789-T:.Z +xt/;"[pick(0, 20)];
    const auto quick = parse_fixed_timestamp(text);
    const auto general = parse_timestamp(" " + text);
    if (quick) {
      ++fast;
      ASSERT_EQ(quick, general) << "'" << text << "'";
    }
    ASSERT_EQ(parse_timestamp(text), general) << "'" << text << "'";
  }
  EXPECT_GT(fast, cases / 4);  // (the fast path was taken often enough to be tested)
  EXPECT_EQ(parse_fixed_timestamp("2024-02-29T12:00:00.123456789Z"), 1'709'208'000'123'456'789);
  EXPECT_EQ(parse_fixed_timestamp("2023-02-29T12:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_fixed_timestamp("2024-01-01 00:00:00"), 1'704'067'200'000'000'000);
  EXPECT_EQ(parse_fixed_timestamp("2024-01-01t00:00:00"), std::nullopt);  // (the general one's)
}

// A column's reader keeps the day of the date before: on runs of cells of a few dates (in
// and out of range, some not dates at all), a byte of the clock or the date replaced at
// random in some, every cell reads as parse_timestamp reads it alone, errors included.
TEST(timefmt, column_reader_equals_parse_timestamp_cell_by_cell) {
  std::mt19937_64 rng(20261207);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const std::vector<std::string> dates = {"2024-01-01", "2024-01-31", "2024-02-29",
                                          "2023-02-29", "1678-01-01", "2261-12-31",
                                          "1677-12-31", "2262-01-01", "1970-13-01"};
  std::size_t cases = 0, read = 0;
  for (int run = 0; run < 2'000; ++run) {
    timestamp_column_reader column;
    for (int n = 0; n < 100; ++n, ++cases) {
      std::string text = dates[static_cast<std::size_t>(pick(0, 8))];
      text += pick(0, 4) == 0 ? ' ' : 'T';
      for (const int most : {24, 60, 60}) {
        if (most != 24) text += ':';
        const int v = pick(0, most);
        text += std::to_string(v / 10) + std::to_string(v % 10);
      }
      if (const int digits = pick(-2, 10); digits >= 0) {
        text += '.';
        for (int d = 0; d < digits; ++d) text += char('0' + pick(0, 9));
      }
      if (pick(0, 1) == 1) text += pick(0, 9) == 0 ? "+01:00" : "Z";
      if (pick(0, 9) == 0)
        text[static_cast<std::size_t>(pick(0, static_cast<int>(text.size()) - 1))] =
            "0123456789-T:.Z +x/"[pick(0, 18)];
      std::string why_alone, why_column;
      const auto alone = parse_timestamp(text, &why_alone);
      ASSERT_EQ(column.read(text, &why_column), alone) << "'" << text << "'";
      ASSERT_EQ(why_column, why_alone) << "'" << text << "'";
      read += alone.has_value();
    }
  }
  EXPECT_GT(read, cases / 3);
  EXPECT_LT(read, cases * 9 / 10);
}

// The key-word cache in front of the dictionary: a word's id is its first-seen order, as a
// map of the words gives it, for words of every length (0-40 bytes, over the 16 bytes a
// fingerprint holds whole) from a two-letter alphabet, so that words differ in one byte
// anywhere, in the middle included, and share slots of the cache.
TEST(csv, word_cache_ids_equal_a_map_of_the_words) {
  std::mt19937_64 rng(3);
  tsfill_io::loaded_key key;
  tsfill_io::word_cache cache;
  std::map<std::string, std::int64_t> first_seen;
  for (int n = 0; n < 200'000; ++n) {
    const std::size_t length = rng() % 41;
    std::string word(length, 'a');
    for (char& c : word) c = rng() % 8 == 0 ? 'b' : 'a';
    bool added = false;
    const std::int64_t id = cache.id_of(word, key, added);
    const auto [it, is_new] =
        first_seen.emplace(word, static_cast<std::int64_t>(first_seen.size()));
    ASSERT_EQ(id, it->second) << "'" << word << "'";
    ASSERT_EQ(added, is_new) << "'" << word << "'";
  }
  EXPECT_GT(first_seen.size(), 5'000U);
}

// Plain decimals take a fast path in parse_number; every value must equal from_chars's to
// the bit (the sign of zero included), at every length around the path's limits (19 digits,
// 2^53, 22 decimals).
TEST(csv, plain_decimals_read_exactly_as_from_chars) {
  std::mt19937_64 rng(7);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int n = 0; n < 300'000; ++n) {
    std::string text = pick(0, 3) == 0 ? "-" : "";
    const int whole = pick(1, 20), decimals = pick(-4, 24);
    for (int d = 0; d < whole; ++d) text += char('0' + (d == 0 && pick(0, 1) ? 0 : pick(0, 9)));
    if (decimals >= 0) text += '.';
    for (int d = 0; d < decimals; ++d) text += char('0' + pick(0, 9));
    if (n % 5 == 0) {  // mantissas near 2^53 = 9007199254740992
      text = std::to_string((std::uint64_t{1} << 53) + static_cast<std::uint64_t>(pick(-3, 3)));
      if (const int at = pick(0, 16); at > 0)
        text.insert(text.size() - static_cast<std::size_t>(at), ".");
    }
    double want = 0, got = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), want);
    ASSERT_TRUE(ec == std::errc{} && end == text.data() + text.size()) << text;
    ASSERT_TRUE(parse_number(text, got)) << text;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(got), std::bit_cast<std::uint64_t>(want)) << text;
  }
  double x = 1;
  EXPECT_TRUE(parse_number("-0.0", x));
  EXPECT_TRUE(std::signbit(x));
  EXPECT_TRUE(parse_number(" +12.5 ", x));
  EXPECT_EQ(x, 12.5);
  EXPECT_FALSE(parse_number("1.2.3", x));
}

// format_shortest writes what std::to_chars writes, for decimals of 1-17 digits at every
// scale around the fast path's limits, integers with trailing zeros, random bit patterns,
// and the neighbours of each.
TEST(output, shortest_doubles_written_as_to_chars_writes_them) {
  std::mt19937_64 rng(5);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  std::vector<double> values = {0.001, 0.01,      0.1,    1,
                                10,    1e14,      1e15,   1e5,
                                1e6,   100,       120000, 999999999999999,
                                0.3,   0.1 + 0.2, 5e-324, 1.7976931348623157e308};
  for (int n = 0; n < 1'000'000; ++n) {
    if (n % 4 == 0) {
      values.push_back(std::bit_cast<double>(rng()));
      continue;
    }
    std::string text = std::to_string(rng() % 1'000'000'000'000'000'000ULL);
    text.resize(static_cast<std::size_t>(pick(1, 17)));
    if (n % 4 == 1) text.append(static_cast<std::size_t>(pick(0, 15)), '0');
    text += "e" + std::to_string(pick(-22, 16));
    double v = 0;
    std::from_chars(text.data(), text.data() + text.size(), v);
    values.push_back(pick(0, 1) ? -v : v);
  }
  const std::size_t given = values.size();
  for (std::size_t i = 0; i < given; ++i) {
    values.push_back(std::nextafter(values[i], 0.0));
    values.push_back(std::nextafter(values[i], HUGE_VAL));
  }
  std::size_t fast = 0;
  for (const double v : values) {
    if (!std::isfinite(v)) continue;
    char want[32], got[32];
    const std::string_view expected(want, std::to_chars(want, want + 32, v).ptr);
    const std::string_view written(got, format_shortest(got, v));
    ASSERT_EQ(written, expected) << std::hexfloat << v;
    const double a = std::fabs(v);
    fast += a >= 0.001 && a < 1e15 && written.size() <= 17 ? 1U : 0U;
  }
  EXPECT_GT(fast, values.size() / 8);  // (the fast path's range is exercised, not skipped)
}

// output_file writes what it is given, in order, directly (O_DIRECT, where the file system
// of the build directory takes it) and through the page cache alike: pieces of every size
// around the staging block and the alignment, empty ones, and a tail that is no multiple
// of the alignment; a file appended to goes on from its end.
TEST(output_file, writes_the_same_bytes_directly_and_through_the_page_cache) {
  std::mt19937_64 rng(11);
  const std::vector<std::size_t> interesting = {
      0, 1, 4095, 4096, 4097, (4U << 20) - 1, 4U << 20, (4U << 20) + 1, 9U << 20};
  for (const bool buffered : {false, true}) {
    if (buffered)
      ::setenv("TSFILL_BUFFERED_OUTPUT", "1", 1);
    else
      ::unsetenv("TSFILL_BUFFERED_OUTPUT");
    const std::string path =
        (std::filesystem::current_path() / ("output_file_test_" + std::to_string(buffered)))
            .string();
    std::string want;
    {
      tsfill_io::output_file f(path, false);
      for (int k = 0; k < 40; ++k) {
        const std::size_t n = k < static_cast<int>(interesting.size())
                                  ? interesting[static_cast<std::size_t>(k)]
                                  : std::uniform_int_distribution<std::size_t>(0, 300'000)(rng);
        std::string piece(n, '\0');
        for (char& c : piece) c = static_cast<char>('a' + rng() % 26);
        ASSERT_TRUE(f.write(piece));
        want += piece;
      }
      if (buffered) {
        EXPECT_FALSE(f.direct());
      } else if (!f.direct()) {
        std::cout
            << "(this file system takes no O_DIRECT: both rounds went through the page cache)\n";
      }
      ASSERT_TRUE(f.close());
    }
    {
      tsfill_io::output_file f(path, true);  // (the file ends off the alignment)
      ASSERT_TRUE(f.write("appended"));
      want += "appended";
      ASSERT_TRUE(f.close());
    }
    std::ifstream in(path, std::ios::binary);
    const std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want) << (buffered ? "buffered" : "direct");
    std::filesystem::remove(path);
  }
  ::unsetenv("TSFILL_BUFFERED_OUTPUT");
  EXPECT_THROW(tsfill_io::output_file("/nonexistent-dir/x.csv", false), cli_error);
}

TEST(timefmt, signs) {
  EXPECT_EQ(parse_epoch("+1", "s"), 1'000'000'000);
  EXPECT_EQ(parse_epoch("+-1", "s"), std::nullopt);  // not -1
  EXPECT_EQ(parse_epoch("-+1", "s"), std::nullopt);
  EXPECT_EQ(parse_epoch("++1", "s"), std::nullopt);
  EXPECT_EQ(without_plus("+-inf"), "+-inf");
  EXPECT_EQ(without_plus("+inf"), "inf");
  std::string why;
  EXPECT_EQ(parse_epoch("9300000000", "s", &why), std::nullopt);  // year 2264
  EXPECT_EQ(why, "outside the nanosecond range (UTC years 1678-2261)");
  EXPECT_EQ(fill_flags_constant_error("+-7"), "--fill: cannot read the constant '+-7' as a number");
}

TEST(timefmt, format_round_trips) {
  for (const std::int64_t ns : {std::int64_t{0}, std::int64_t{1'709'208'000'123'456'789},
                                std::int64_t{-86'400'000'000'000}, std::int64_t{1'500'000'000}}) {
    const std::string text = format_timestamp(ns);
    EXPECT_EQ(parse_timestamp(text), ns) << text;
  }
  EXPECT_EQ(format_timestamp(0), "1970-01-01 00:00:00");
  EXPECT_EQ(format_timestamp(1'500'000'000), "1970-01-01 00:00:01.500");
  EXPECT_EQ(format_timestamp(0, 3600, true), "1970-01-01 01:00:00+01:00");
}

TEST(timefmt, epochs_and_durations) {
  EXPECT_EQ(parse_epoch("1709539200", "s"), 1'709'539'200'000'000'000);
  EXPECT_EQ(parse_epoch("-1", "ms"), -1'000'000);
  EXPECT_EQ(parse_epoch("1e3", "s"), std::nullopt);
  EXPECT_EQ(parse_epoch("99999999999999", "s"), std::nullopt);  // overflows nanoseconds
  EXPECT_EQ(parse_duration("30min"), 1'800'000'000'000);
  EXPECT_EQ(parse_duration("1h30min"), 5'400'000'000'000);
  EXPECT_EQ(parse_duration("500ms"), 500'000'000);
  EXPECT_EQ(parse_duration("1d"), 86'400'000'000'000);
  EXPECT_EQ(parse_duration("30 minutes"), std::nullopt);
  EXPECT_EQ(parse_duration(""), std::nullopt);
}

// Parses `args` (after the command name) as `tsfill fill` does and validates the spec;
// returns the message of the first error, or "ok".
std::string fill_flags(std::vector<std::string> args, job_spec* out = nullptr) {
  CLI::App app;
  flag_texts f;
  add_input_flags(app, f);
  add_job_flags(app, f);
  add_output_flags(app, f);
  args.insert(args.begin(), {"in.csv", "--output", "out.csv"});
  std::vector<const char*> argv = {"fill"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  try {
    job_spec spec = job_spec_from(f);
    validate(spec);
    if (out) *out = spec;
  } catch (const cli_error& e) {
    return e.what();
  }
  return "ok";
}

TEST(job_spec, flags_become_the_spec) {
  job_spec s;
  ASSERT_EQ(fill_flags({"--keys", "a,b", "--slot", "1h", "--fill", "linear:time", "--fill",
                        "v*=constant:+2", "--where", "x=1", "--where", "x=2", "--dedup", "mean",
                        "--grid", "range:2024-01-01/2024-01-02", "--threads", "2", "-q"},
                       &s),
            "ok");
  EXPECT_EQ(s.keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.slot_ns, 3'600'000'000'000);
  EXPECT_EQ(s.fill.method, fill_method::linear);
  EXPECT_TRUE(s.fill.by_time);
  ASSERT_EQ(s.fill_for.size(), 1U);
  EXPECT_EQ(s.fill_for[0].second.constant, 2.0);
  ASSERT_EQ(s.where.size(), 1U);  // x=1 and x=2: one rule, either value
  EXPECT_EQ(s.where[0].text(), "x=1|2");
  EXPECT_EQ(s.dedup, "mean");
  EXPECT_EQ(s.grid, grid_kind::range);
  EXPECT_EQ(s.range_end_ns - s.range_start_ns, 86'400'000'000'000);
  EXPECT_EQ(s.threads, 2U);
  EXPECT_FALSE(s.progress);
  // A flag given twice: the last one counts.
  ASSERT_EQ(fill_flags({"--slot", "1h", "--slot", "15min"}, &s), "ok");
  EXPECT_EQ(s.slot_ns, 900'000'000'000);
}

TEST(job_spec, each_flag_checks_its_value) {
  EXPECT_EQ(fill_flags({"--slot", "0min"}), "--slot: must be positive, got '0min'");
  EXPECT_EQ(fill_flags({"--slot", "2w"}),
            "--slot: calendar slots come one at a time (1w, 1mo, 1q, 1y), got '2w'; for "
            "two-week slots use 14d");
  EXPECT_EQ(fill_flags({"--limit", "-1"}),
            "--limit: expected a positive whole number of slots, got '-1'");
  EXPECT_EQ(
      fill_flags({"--where", "=1"}),
      "--where: expected COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V or COL:notnull, got '=1'");
  EXPECT_EQ(
      fill_flags({"--where", "x"}),
      "--where: expected COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V or COL:notnull, got 'x'");
  EXPECT_EQ(fill_flags({"--where", "x<"}), "--where: 'x<' compares with nothing");
  EXPECT_EQ(
      fill_flags({"--where", "x!1"}),
      "--where: expected COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V or COL:notnull, got 'x!1'");
  EXPECT_EQ(fill_flags({"--delimiter", "ab"}),
            "--delimiter: expected one character (or 'tab'), got 'ab'");
  EXPECT_EQ(fill_flags({"--partition-name", "a/b"}),
            "--partition-name: must be a non-empty name without '/' or '='");
  EXPECT_EQ(fill_flags({"--week-start", "someday"}),
            "--week-start: expected a weekday (mon, tue, wed, thu, fri, sat, sun), got 'someday'");
}

TEST(job_spec, validate_refuses_contradictions) {
  EXPECT_EQ(fill_flags({"--all-or-nothing"}),
            "--all-or-nothing: needs --limit or --max-age to judge gaps by");
  EXPECT_EQ(fill_flags({"--fill", "linear", "--limit-area", "outside"}),
            "--limit-area: outside with --fill linear fills nothing: linear never extrapolates");
  EXPECT_EQ(fill_flags({"--fill", "constant:1", "--max-age", "1h"}),
            "--max-age: has no meaning for --fill constant (there is no observation to age)");
  EXPECT_EQ(fill_flags({"--fill", "none", "--limit-area", "inside"}),
            "--fill: none takes no --limit, --max-age, --limit-area or --all-or-nothing");
  EXPECT_EQ(fill_flags({"--fill", "backward", "--carry-in"}),
            "--carry-in: carries forward-filled values; it needs --fill forward");
  EXPECT_EQ(fill_flags({"--carry-in", "--partition", "none"}),
            "--carry-in: has nothing to carry across with --partition none");
  EXPECT_EQ(fill_flags({"--week-start", "sun"}),
            "--week-start: applies to weekly slots only (--slot 1w)");
  EXPECT_EQ(fill_flags({"--calendar", "nyse"}),
            "--calendar: needs a session grid, e.g. --grid session:09:30-16:00");
  EXPECT_EQ(fill_flags({"--keep-outside-session"}),
            "--keep-outside-session: needs a session grid (--grid session:...)");
  EXPECT_EQ(fill_flags({"--keys", "date"}), "--keys: 'date' is also the --time column");
  EXPECT_EQ(fill_flags({"--keys", "a,,b"}), "--keys: has an empty column name");
  EXPECT_EQ(fill_flags({"--values", "v,"}), "--values: has an empty pattern");
}

}  // namespace

namespace {

TEST(io, manifest_records_each_files_rows_time_range_and_days) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tsfill_cli_manifest";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "sub");
  const auto write = [](const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
  };
  write(dir / "b.csv", "date,v\n2024-01-02T23:00:00Z,1\n2024-01-01T10:00:00Z,2\nx,3\n");
  write(dir / "sub" / "a.csv", "date,v\n");
  write(dir / "_tmp.csv", "garbage");
  tsfill_io::read_spec spec;
  spec.inputs = {dir.string()};
  spec.progress = false;
  try {
    (void)tsfill_io::load_inputs(spec);
    FAIL() << "a bad timestamp must be an error";
  } catch (const tsfill_io::cli_error& e) {
    EXPECT_NE(std::string(e.what()).find("b.csv, row 3 (line 4), column 'date'"), std::string::npos)
        << e.what();
  }
  write(dir / "b.csv", "date,v\n2024-01-02T23:00:00Z,1\n2024-01-01T10:00:00Z,2\n");
  const tsfill_io::loaded_table t = tsfill_io::load_inputs(spec);
  ASSERT_EQ(t.manifest.size(), 2U);  // b.csv, then sub/a.csv (path order); _tmp.csv skipped
  EXPECT_EQ(t.manifest[0].path, (dir / "b.csv").string());
  EXPECT_EQ(t.manifest[0].rows, 2U);
  EXPECT_EQ(t.manifest[0].min_ns, *tsfill_io::parse_timestamp("2024-01-01T10:00:00Z"));
  EXPECT_EQ(t.manifest[0].max_ns, *tsfill_io::parse_timestamp("2024-01-02T23:00:00Z"));
  EXPECT_EQ(t.manifest[0].partitions,
            (std::map<std::int64_t, std::size_t>{{19723, 1}, {19724, 1}}));
  EXPECT_EQ(t.manifest[1].rows, 0U);
  EXPECT_TRUE(t.manifest[1].partitions.empty());
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

// Reading in chunks: the rows of each chunk (keep_time) together are the whole file's rows,
// in order, for CSV and for Parquet.
std::vector<std::int64_t> times_in(const std::string& path, std::int64_t from, std::int64_t to) {
  tsfill_io::read_spec spec;
  spec.inputs = {path};
  spec.time_column = "slot_ts";
  spec.progress = false;
  if (from <= to) spec.keep_time = [=](std::int64_t ns) { return from <= ns && ns <= to; };
  return tsfill_io::load_inputs(spec).time;
}

TEST(io, chunks_by_time_add_up_to_the_whole_file) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "tsfill_cli_chunks";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string text = "slot_ts,v\n";
  const std::int64_t day = 86'400'000'000'000;
  for (int i = 0; i < 50; ++i)
    text += tsfill_io::format_timestamp((i * 7 % 50) * day / 10) + "," + std::to_string(i) + "\n";
  std::ofstream(dir / "in.csv") << text;
  std::vector<std::string> files = {(dir / "in.csv").string()};
  if (tsfill_io::parquet_supported()) {  // the same rows as Parquet, written by tsfill_io
    tsfill_io::read_spec rs;
    rs.inputs = files;
    rs.time_column = "slot_ts";
    rs.progress = false;
    const tsfill_io::loaded_table t = tsfill_io::load_inputs(rs);
    const tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::none, tsfill::dedup::last,
                           tsfill::grid::observed>
        identity{.slot = tsfill::slot::fixed{std::chrono::hours(1)}};
    const tsfill::result r = identity.run(t.view());
    tsfill_io::write_spec ws;
    ws.output = (dir / "in.parquet").string();
    ws.partition_by_day = false;
    tsfill_io::write_output(ws, tsfill_io::output_target_of(ws), t, r);
    files.push_back(ws.output);
  }
  for (const std::string& f : files) {
    const std::vector<std::int64_t> whole = times_in(f, 1, 0);
    ASSERT_EQ(whole.size(), 50U) << f;
    std::vector<std::int64_t> sorted_whole = whole;
    std::sort(sorted_whole.begin(), sorted_whole.end());
    std::vector<std::int64_t> joined;
    for (std::int64_t d = 0; d < 5; ++d) {
      const auto chunk = times_in(f, d * day, (d + 1) * day - 1);
      for (const std::int64_t ns : chunk) EXPECT_EQ(ns / day, d) << f;
      joined.insert(joined.end(), chunk.begin(), chunk.end());
    }
    std::sort(joined.begin(), joined.end());
    EXPECT_EQ(joined, sorted_whole) << f;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

// --- row rules (--where) ---------------------------------------------------------------------

TEST(where_rules, parse_and_print_back) {
  for (const char* text :
       {"a=1", "a!=x", "a<2", "a<=2", "a>2", "a>=2024-01-01", "a:notnull", "a=", "a!=", "s=Reg*"})
    EXPECT_EQ(parse_where(text).text(), text);
  std::vector<where_rule> rules;
  add_where(rules, parse_where("a=1"));
  add_where(rules, parse_where("b<3"));
  add_where(rules, parse_where("a=2"));
  ASSERT_EQ(rules.size(), 2U);
  EXPECT_EQ(rules[0].text(), "a=1|2");
}

TEST(where_rules, compare_numbers_times_and_text) {
  auto keep = [](const char* rule, const char* cell, bool null = false) {
    return passes(parse_where(rule), cell, null);
  };
  EXPECT_TRUE(keep("a<10", "9"));  // numbers as numbers, not text ("9" > "10")
  EXPECT_FALSE(keep("a<10", "10"));
  EXPECT_TRUE(keep("a<=10", "1e1"));
  EXPECT_TRUE(keep("a>-1", "+0"));
  EXPECT_TRUE(keep("a>=2024-03-01", "2024-03-01T00:00:00Z"));  // instants
  EXPECT_FALSE(keep("a>=2024-03-01", "2024-02-29T23:59:59Z"));
  EXPECT_TRUE(keep("a>=2024-03-01T05:00:00+05:00", "2024-03-01T00:00:00Z"));
  EXPECT_TRUE(keep("a<b", "abc"));  // text as bytes
  EXPECT_FALSE(keep("a<b", "b"));
  EXPECT_FALSE(keep("a>1", "", true));  // null passes no comparison
  EXPECT_FALSE(keep("a<1", "NA", true));
  EXPECT_FALSE(keep("a:notnull", "NA", true));
  EXPECT_TRUE(keep("a:notnull", "0"));
  EXPECT_TRUE(keep("s=Reg*", "RegularMkt"));  // globs for = and !=
  EXPECT_FALSE(keep("s!=Reg*", "RegularMkt"));
  EXPECT_TRUE(keep("s!=Reg*", "PreMkt"));
  EXPECT_FALSE(keep("a>nan", "1"));  // NaN is no number: compared as text
}

// --- keep_rows and --unique on loaded tables ----------------------------------------------------

TEST(loaded_rows, keep_rows_equals_filtering_row_by_row) {
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    const std::size_t n = rng() % 40, first = n ? rng() % (n + 1) : 0;
    loaded_table t;
    t.files = {"a", "b"};
    t.file_first_row = {0, n / 2};
    loaded_key k;
    k.name = "k";
    loaded_value v;
    v.name = "v";
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < n; ++i) {
      t.time.push_back(static_cast<std::int64_t>(i) * 10);
      t.source_row.push_back(i + 1);
      k.values.push_back(static_cast<std::int64_t>(rng() % 5));
      v.append_f64(i, static_cast<double>(i) + 0.5, rng() % 3 != 0);
      t.record_id.push_back("id" + std::to_string(rng() % 6));
    }
    t.keys.push_back(k);
    t.values.push_back(v);
    std::vector<std::uint8_t> keep(n - first);
    for (auto& x : keep) x = rng() % 2;
    const loaded_table before = t;
    keep_rows(t, first, keep);
    std::size_t out = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i >= first && !keep[i - first]) continue;
      ASSERT_LT(out, t.rows()) << "round " << round;
      EXPECT_EQ(t.time[out], before.time[i]);
      EXPECT_EQ(t.source_row[out], before.source_row[i]);
      EXPECT_EQ(t.keys[0].values[out], before.keys[0].values[i]);
      EXPECT_EQ(t.record_id[out], before.record_id[i]) << "round " << round << " row " << i;
      const bool valid_before =
          ((static_cast<unsigned>(before.values[0].validity[i / 8]) >> (i % 8)) & 1U) != 0;
      const bool valid_after =
          ((static_cast<unsigned>(t.values[0].validity[out / 8]) >> (out % 8)) & 1U) != 0;
      EXPECT_EQ(valid_after, valid_before);
      if (valid_before) {
        EXPECT_EQ(t.values[0].f64[out], before.values[0].f64[i]);
      }
      ++out;
    }
    EXPECT_EQ(out, t.rows());
    std::size_t nulls = 0;
    for (std::size_t i = 0; i < t.rows(); ++i)
      nulls +=
          ((static_cast<unsigned>(t.values[0].validity[i / 8]) >> (i % 8)) & 1U) == 0 ? 1U : 0U;
    EXPECT_EQ(t.values[0].nulls, nulls);
    // The second file starts after the kept rows of the first.
    std::size_t kept_first_file = 0;
    for (std::size_t i = 0; i < n / 2; ++i) kept_first_file += i < first || keep[i - first];
    EXPECT_EQ(t.file_first_row[1], kept_first_file);
  }
}

TEST(loaded_rows, repeated_records_keep_their_last_copy) {
  loaded_table t;
  t.files = {"a"};
  t.file_first_row = {0};
  const std::vector<std::string> ids = {"x", "y", "", "x", "z", "", "y", "x"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    t.time.push_back(static_cast<std::int64_t>(i));
    t.source_row.push_back(i + 1);
    t.record_id.push_back(ids[i]);
  }
  drop_repeated_records(t);
  EXPECT_EQ(t.rows_repeated, 3U);  // x twice, y once; null ids ("") never repeat
  EXPECT_EQ(t.source_row, (std::vector<std::uint64_t>{3, 5, 6, 7, 8}));
  EXPECT_EQ(record_id_text({"a", "b"}, false), record_id_text({"a", "b"}, false));
  EXPECT_NE(record_id_text({"a:b", ""}, false), record_id_text({"a", "b:"}, false));
  EXPECT_EQ(record_id_text({"a"}, true), "");
}
