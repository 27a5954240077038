// The Arrow C Data Interface adapters (examples/io/arrow_stream): columns built by hand in
// the layouts producers send (string views with inline and out-of-line words, dictionaries,
// offsets of arrays and of batches, bitmaps), read, run, exported and read back through the
// exported stream itself. Under ASan in CI, so every buffer access is checked.
#include "arrow_stream.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tsfill/arrow/c_data.hpp>

#include "app/job_factory.hpp"
#include "app/job_spec.hpp"
#include "cli_error.hpp"

namespace {

using namespace tsfill_cli;

// Hand-built arrays: the test owns every buffer; release only marks a struct released.
struct batch_builder {
  std::deque<std::vector<std::uint8_t>> buffers;  // (deque: stable addresses)
  std::deque<std::vector<const void*>> pointers;
  std::deque<ArrowArray> arrays;
  std::deque<ArrowSchema> schemas;
  std::vector<ArrowArray*> children;
  std::vector<ArrowSchema*> child_schemas;

  static void no_release(ArrowArray* a) { a->release = nullptr; }
  static void no_release(ArrowSchema* s) { s->release = nullptr; }

  template <class T>
  const void* buffer(const std::vector<T>& v) {
    auto& b = buffers.emplace_back(v.size() * sizeof(T));
    if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
    return b.data();
  }
  ArrowArray& array(std::int64_t length, std::int64_t offset, std::vector<const void*> bufs,
                    std::int64_t null_count = 0) {
    auto& p = pointers.emplace_back(std::move(bufs));
    ArrowArray& a = arrays.emplace_back();
    a = ArrowArray{length,     null_count, offset,  static_cast<std::int64_t>(p.size()),
                   0,          p.data(),   nullptr, nullptr,
                   no_release, nullptr};
    return a;
  }
  ArrowSchema& schema(const char* format, const char* name) {
    ArrowSchema& s = schemas.emplace_back();
    s = ArrowSchema{format, name, nullptr, 2, 0, nullptr, nullptr, no_release, nullptr};
    return s;
  }
  void add(ArrowSchema& s, ArrowArray& a) {
    child_schemas.push_back(&s);
    children.push_back(&a);
  }
  // The struct schema and batch over the columns added, into `in`.
  void finish(tsfill_io::arrow_input& in, std::int64_t rows, std::int64_t batch_offset = 0) {
    ArrowSchema s{"+s",
                  "",
                  nullptr,
                  0,
                  static_cast<std::int64_t>(child_schemas.size()),
                  child_schemas.data(),
                  nullptr,
                  no_release,
                  nullptr};
    in.schema = tsfill::arrow_c::owned_schema(s);
    auto& p = pointers.emplace_back(std::vector<const void*>{nullptr});
    ArrowArray a{rows,
                 0,
                 batch_offset,
                 1,
                 static_cast<std::int64_t>(children.size()),
                 p.data(),
                 children.data(),
                 nullptr,
                 no_release,
                 nullptr};
    in.batches.emplace_back(a);
  }
};

// A string-view column of `words` (views of up to 12 bytes inline, longer ones in a data
// buffer), then the variadic sizes buffer.
ArrowArray& string_views(batch_builder& b, const std::vector<std::string>& words) {
  std::vector<std::uint8_t> views(16 * words.size(), 0);
  std::string data;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto size = static_cast<std::int32_t>(words[i].size());
    std::memcpy(&views[16 * i], &size, 4);
    if (size <= 12) {
      std::memcpy(&views[16 * i + 4], words[i].data(), words[i].size());
    } else {
      const std::int32_t buffer = 0, at = static_cast<std::int32_t>(data.size());
      std::memcpy(&views[16 * i + 4], words[i].data(), 4);
      std::memcpy(&views[16 * i + 8], &buffer, 4);
      std::memcpy(&views[16 * i + 12], &at, 4);
      data += words[i];
    }
  }
  const std::vector<std::int64_t> sizes{static_cast<std::int64_t>(data.size())};
  return b.array(static_cast<std::int64_t>(words.size()), 0,
                 {nullptr, b.buffer(views), b.buffer(std::vector<char>(data.begin(), data.end())),
                  b.buffer(sizes)});
}

constexpr std::int64_t us_per_min = 60'000'000;
constexpr std::int64_t day0_us = 19'786LL * 86'400'000'000;  // 2024-03-04

job_spec spec_with_keys(std::vector<std::string> keys) {
  job_spec o;
  o.keys = std::move(keys);
  o.inputs = {"the table"};
  o.output = "out.parquet";
  o.progress = false;
  validate(o);
  return o;
}

TEST(ArrowStream, ReadsEveryLayoutRunsAndExportsWhatReadsBack) {
  batch_builder b;
  tsfill_io::arrow_input in;
  // Six rows, the first of each column hidden by the array offsets: one key's two slots
  // and another key's one slot on one day.
  const std::vector<std::int64_t> times{0,
                                        day0_us + 600 * us_per_min,
                                        day0_us + 610 * us_per_min,
                                        day0_us + 640 * us_per_min,
                                        day0_us + 600 * us_per_min,
                                        day0_us + 605 * us_per_min};
  b.add(b.schema("tsu:UTC", "date"), b.array(5, 1, {nullptr, b.buffer(times)}));
  ArrowArray& words =
      string_views(b, {"x", "a ticker longer than twelve", "a ticker longer than twelve",
                       "a ticker longer than twelve", "short", "short"});
  words.length = 5;
  words.offset = 1;
  b.add(b.schema("vu", "ticker"), words);
  // A dictionary key: int8 indices into utf8 words.
  ArrowSchema& tenor = b.schema("c", "tenor");
  ArrowSchema& tenor_words = b.schema("u", "");
  tenor.dictionary = &tenor_words;
  ArrowArray& tenor_codes =
      b.array(5, 1, {nullptr, b.buffer(std::vector<std::int8_t>{0, 1, 1, 1, 0, 0})});
  tenor_codes.dictionary = &b.array(2, 0,
                                    {nullptr, b.buffer(std::vector<std::int32_t>{0, 2, 4}),
                                     b.buffer(std::vector<char>{'3', '0', '9', '0'})});
  b.add(tenor, tenor_codes);
  // Doubles with a bitmap (bit 3 clear: the 10:40 row's value is null), offset 1: read in
  // place.
  const std::vector<double> v{-1, 1.5, 2.5, 3.5, 4.5, 5.5};
  b.add(b.schema("g", "v"),
        b.array(5, 1, {b.buffer(std::vector<std::uint8_t>{0b110111}), b.buffer(v)}, 1));
  // int32 values: copied into int64.
  b.add(b.schema("i", "n"),
        b.array(5, 1, {nullptr, b.buffer(std::vector<std::int32_t>{9, 1, 2, 3, 4, 5})}));
  b.finish(in, 5);

  const job_spec o = spec_with_keys({"ticker", "tenor"});
  const tsfill_io::loaded_table t = load_arrow(o.reading(), in);
  ASSERT_EQ(t.rows(), 5U);
  EXPECT_EQ(t.time[0], (day0_us + 600 * us_per_min) * 1000);
  EXPECT_EQ(t.keys[0].words, (std::vector<std::string>{"a ticker longer than twelve", "short"}));
  EXPECT_TRUE(t.keys[1].is_string);  // (utf8 stays utf8, though its words are numbers)
  ASSERT_EQ(t.values.size(), 2U);
  EXPECT_EQ(t.values[0].borrowed,
            static_cast<const void*>(
                static_cast<const double*>(in.batches[0]->children[3]->buffers[1]) + 1));
  EXPECT_EQ(t.values[1].borrowed, nullptr);
  EXPECT_EQ(t.values[1].i64, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));

  const tsfill_io::arrow_result result(o.writing(), t, make_job(o).run(t),
                                       types_of(o.reading(), in));
  // The day's grid is 10:00 and 10:30 for both keys: 4 rows.
  ASSERT_EQ(result.rows(), 4U);
  ArrowArrayStream raw;
  result.export_stream(raw);
  tsfill::arrow_c::owned_stream stream(raw);
  tsfill_io::arrow_input back;
  back.schema = stream.schema();
  while (auto batch = stream.next()) back.batches.push_back(std::move(batch));
  ASSERT_EQ(back.batches.size(), 1U);
  const ArrowSchema& s = *back.schema.get();
  ASSERT_EQ(s.n_children, 8);
  EXPECT_STREQ(s.children[0]->format, "tdD");
  EXPECT_STREQ(s.children[1]->format, "u");
  EXPECT_STREQ(s.children[3]->format, "tsu:UTC");  // the input's unit and zone
  EXPECT_STREQ(s.children[5]->name, "n");
  EXPECT_STREQ(s.children[6]->name, "v_bf");

  // Read back through the reader: the filled column as a value column.
  job_spec again = spec_with_keys({"ticker", "tenor"});
  again.time_column = "slot_ts";
  again.value_patterns = {"v_bf", "v"};
  const tsfill_io::loaded_table u = load_arrow(again.reading(), back);
  ASSERT_EQ(u.rows(), 4U);
  ASSERT_EQ(u.values.size(), 2U);  // (in the schema's order: v, then v_bf)
  EXPECT_EQ(u.values[0].name, "v");
  ASSERT_NE(u.values[0].borrowed_validity, nullptr);  // (read in place, with its bitmap)
  std::vector<bool> valid;
  for (std::size_t i = 0; i < 4; ++i)
    valid.push_back(
        tsfill::bit_is_set(u.values[0].borrowed_validity, u.values[0].borrowed_bit + i));
  EXPECT_EQ(valid, (std::vector<bool>{true, false, true, false}));
  ASSERT_NE(u.values[1].borrowed, nullptr);
  const auto* filled = static_cast<const double*>(u.values[1].borrowed);
  // Key "a ticker...": 10:00 -> 2.5 (the later row of the slot), 10:30 -> the 10:40 row's
  // null, filled 2.5; key "short": 10:00 -> 5.5, 10:30 nothing, filled 5.5.
  EXPECT_EQ(std::vector<double>(filled, filled + 4), (std::vector<double>{2.5, 2.5, 5.5, 5.5}));
}

TEST(ArrowStream, BadInputIsNamedByRowAndColumn) {
  batch_builder b;
  tsfill_io::arrow_input in;
  b.add(b.schema("tsn:", "date"), b.array(3, 0,
                                          {b.buffer(std::vector<std::uint8_t>{0b101}),
                                           b.buffer(std::vector<std::int64_t>{1, 2, 3})},
                                          1));
  b.add(b.schema("g", "v"), b.array(3, 0, {nullptr, b.buffer(std::vector<double>{1, 2, 3})}));
  b.finish(in, 3);
  const job_spec o = spec_with_keys({});
  try {
    (void)load_arrow(o.reading(), in);
    FAIL() << "no error";
  } catch (const tsfill_io::cli_error& e) {
    EXPECT_STREQ(e.what(),
                 "the table, row 2, column 'date': cannot read the time: the time is null");
  }
  const job_spec k = spec_with_keys({"nope"});
  EXPECT_THROW((void)load_arrow(k.reading(), in), tsfill_io::cli_error);
}

}  // namespace
