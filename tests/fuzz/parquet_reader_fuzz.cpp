// libFuzzer target: the Parquet reader adapter on valid Parquet files with hostile contents.
// The input describes a table (the time column's type: timestamps of every unit with and
// without a zone, date32, date64, text, epoch integers; the key's: string, large string,
// dictionary, int64; the value's: double, float, int64, int32, uint64, bool), rows whose
// cells are raw bytes of the input (extreme values, nulls, NaN, invalid UTF-8), and the read
// (--values named or not, --time-unit, the UTF-8 check of a Parquet output). Arrow writes the
// file, the adapter reads it: the outcome must be a table whose times are in range and whose
// columns are whole, or a cli_error whose message is one printable line. (Arrow's own file
// parser is fuzzed by Arrow; here every file is one Arrow wrote.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>
#include <unistd.h>

#include "cli_error.hpp"
#include "table.hpp"
#include "timefmt.hpp"

using namespace tsfill_io;

namespace {

struct bytes {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t u8() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = v << 8 | u8();
    return static_cast<std::int64_t>(v);
  }
  std::string text() {
    std::string s;
    for (std::size_t len = u8() % 24; len > 0 && n > 0; --len) s.push_back(static_cast<char>(u8()));
    return s;
  }
};

// A column of `rows` cells of `type`, each from the input (about one in eight null).
std::shared_ptr<arrow::Array> column(const std::shared_ptr<arrow::DataType>& type, std::size_t rows,
                                     bytes& in) {
  std::unique_ptr<arrow::ArrayBuilder> builder;
  if (!arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder).ok()) std::abort();
  for (std::size_t r = 0; r < rows; ++r) {
    if ((in.u8() & 7) == 0) {
      (void)builder->AppendNull();
      continue;
    }
    const std::int64_t raw = in.i64();
    double d = 0;
    std::memcpy(&d, &raw, 8);
    arrow::Status st;
    switch (type->id()) {
      case arrow::Type::TIMESTAMP:
        st = static_cast<arrow::TimestampBuilder&>(*builder).Append(raw);
        break;
      case arrow::Type::DATE32:
        st = static_cast<arrow::Date32Builder&>(*builder).Append(static_cast<std::int32_t>(raw));
        break;
      case arrow::Type::DATE64:
        st = static_cast<arrow::Date64Builder&>(*builder).Append(raw);
        break;
      case arrow::Type::STRING:
        st = static_cast<arrow::StringBuilder&>(*builder).Append(in.text());
        break;
      case arrow::Type::LARGE_STRING:
        st = static_cast<arrow::LargeStringBuilder&>(*builder).Append(in.text());
        break;
      case arrow::Type::DICTIONARY:
        st = static_cast<arrow::StringDictionaryBuilder&>(*builder).Append(in.text());
        break;
      case arrow::Type::INT64:
        st = static_cast<arrow::Int64Builder&>(*builder).Append(raw);
        break;
      case arrow::Type::INT32:
        st = static_cast<arrow::Int32Builder&>(*builder).Append(static_cast<std::int32_t>(raw));
        break;
      case arrow::Type::UINT64:
        st = static_cast<arrow::UInt64Builder&>(*builder).Append(static_cast<std::uint64_t>(raw));
        break;
      case arrow::Type::DOUBLE:
        st = static_cast<arrow::DoubleBuilder&>(*builder).Append(d);
        break;
      case arrow::Type::FLOAT:
        st = static_cast<arrow::FloatBuilder&>(*builder).Append(static_cast<float>(d));
        break;
      case arrow::Type::BOOL:
        st = static_cast<arrow::BooleanBuilder&>(*builder).Append((raw & 1) != 0);
        break;
      default:
        std::abort();
    }
    (void)st;
  }
  std::shared_ptr<arrow::Array> out;
  if (!builder->Finish(&out).ok()) std::abort();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/tsfill-fuzz-pq-" + std::to_string(::getpid()) + ".parquet";
  static const int removed_at_exit = std::atexit([] { ::unlink(path.c_str()); });
  (void)removed_at_exit;
  bytes in{data, size};
  const std::uint8_t shape = in.u8(), read = in.u8();
  const std::size_t rows = 1 + in.u8() % 16;
  const std::shared_ptr<arrow::DataType> times[] = {
      arrow::timestamp(arrow::TimeUnit::SECOND),
      arrow::timestamp(arrow::TimeUnit::MILLI, "UTC"),
      arrow::timestamp(arrow::TimeUnit::MICRO),
      arrow::timestamp(arrow::TimeUnit::NANO, "+05:30"),
      arrow::date32(),
      arrow::date64(),
      arrow::utf8(),
      arrow::int64()};
  const std::shared_ptr<arrow::DataType> keys[] = {arrow::utf8(), arrow::large_utf8(),
                                                   arrow::dictionary(arrow::int32(), arrow::utf8()),
                                                   arrow::int64()};
  const std::shared_ptr<arrow::DataType> values[] = {arrow::float64(), arrow::float32(),
                                                     arrow::int64(),   arrow::int32(),
                                                     arrow::uint64(),  arrow::boolean()};
  const auto& time_type = times[shape % 8];
  const auto& key_type = keys[(shape >> 3) % 4];
  const auto& value_type = values[(shape >> 5) % 6];
  const auto table = arrow::Table::Make(
      arrow::schema({arrow::field("date", time_type), arrow::field("k", key_type),
                     arrow::field("v", value_type)}),
      {column(time_type, rows, in), column(key_type, rows, in), column(value_type, rows, in)});
  {
    auto file = arrow::io::FileOutputStream::Open(path);
    if (!file.ok()) return 0;
    if (!parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), *file, 64).ok()) return 0;
    (void)(*file)->Close();
  }
  read_spec o;
  o.inputs = {path};
  o.progress = false;
  o.keys = {"k"};
  if (read & 1) o.value_patterns = {"v"};
  if (time_type->id() == arrow::Type::INT64) o.time_unit = (read & 2) ? "ms" : "s";
  o.require_utf8 = (read & 4) != 0;
  try {
    const loaded_table t = load_inputs(o);
    for (const std::int64_t ns : t.time)
      if (!in_time_range(ns)) __builtin_trap();
    for (const loaded_value& v : t.values) {
      const std::size_t n = v.type == tsfill::value_type::float64   ? v.f64.size()
                            : v.type == tsfill::value_type::float32 ? v.f32.size()
                                                                    : v.i64.size();
      if (n != t.rows()) __builtin_trap();
    }
  } catch (const cli_error& e) {
    const std::string what = printable(e.what());
    if (what.find('\n') != std::string::npos || what.empty()) __builtin_trap();
  }
  return 0;
}
