// Times the reference pipeline on the benchmark workload (bench/workload.py) for
// bench/compare_peers.py: loads the columns (untimed), runs warm-up + timed repetitions,
// and prints one JSON line with the times, the output checksum (rows, non-null cells, sum
// of the filled values), the peak memory against the input + output bytes, and the memory
// wall: memcpy of those bytes on the same threads, timed in the same run, overall and for
// the bytes each stage must move (issue 16).
//
//   tsfill_pipeline_runner DIR [--threads N] [--reps R] [--warmup W] [--lean]
//
// --lean runs the lean output form (run_options::keep_original off: filled values,
// statuses and bitmaps, no original values) and reports as engine "tsfill-lean".
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <tsfill/tsfill.hpp>

namespace {

template <class T>
std::vector<T> load(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::fseek(f, 0, SEEK_END);
  const long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  std::vector<T> v(static_cast<std::size_t>(bytes) / sizeof(T));
  if (std::fread(v.data(), sizeof(T), v.size(), f) != v.size())
    throw std::runtime_error("short read " + path);
  std::fclose(f);
  return v;
}

std::vector<std::uint8_t> to_bitmap(const std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> bits((bytes.size() + 7) / 8, 0);
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i]) bits[i / 8] = static_cast<std::uint8_t>(bits[i / 8] | (1U << (i % 8)));
  return bits;
}

// Median seconds of copying `bytes` with `threads` threads (each its own slice), the
// buffers touched first so no page fault is timed.
double memcpy_seconds(std::size_t bytes, unsigned threads, int reps) {
  std::vector<char> from(bytes, 1), to(bytes, 0);
  std::vector<double> seconds;
  for (int r = 0; r < reps + 1; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    const std::size_t slice = (bytes + threads - 1) / threads;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const std::size_t begin = std::min(bytes, t * slice), end = std::min(bytes, begin + slice);
        std::memcpy(to.data() + begin, from.data() + begin, end - begin);
      });
    for (std::thread& th : pool) th.join();
    const auto t1 = std::chrono::steady_clock::now();
    if (r > 0) seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  std::sort(seconds.begin(), seconds.end());
  if (to[bytes / 2] != 1) std::abort();  // (the copy happened)
  return seconds[seconds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [--threads N] [--reps R] [--warmup W] [--lean]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  unsigned threads = 1;
  int reps = 3, warmup = 1;
  bool lean = false;
  for (int i = 2; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--lean")) {
      lean = true;
      continue;
    }
    if (i + 1 >= argc) break;
    if (!std::strcmp(argv[i], "--threads"))
      threads = static_cast<unsigned>(std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--reps"))
      reps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--warmup"))
      warmup = std::atoi(argv[++i]);
  }
  const auto ts = load<std::int64_t>(dir + "/ts.i64");
  const auto ticker = load<std::int32_t>(dir + "/ticker.i32");
  const auto tenor = load<std::int32_t>(dir + "/tenor.i32");
  std::vector<std::vector<double>> values;
  std::vector<std::vector<std::uint8_t>> bitmaps;
  for (int k = 0; k < 4; ++k) {
    values.push_back(load<double>(dir + "/v" + std::to_string(k) + ".f64"));
    bitmaps.push_back(to_bitmap(load<std::uint8_t>(dir + "/valid" + std::to_string(k) + ".u8")));
  }
  tsfill::table_view<> input{
      ts, {tsfill::key_column("ticker", ticker), tsfill::key_column("tenor", tenor)}, {}};
  for (int k = 0; k < 4; ++k)
    input.values.emplace_back("v" + std::to_string(k), values[static_cast<std::size_t>(k)],
                              bitmaps[static_cast<std::size_t>(k)]);
  const tsfill::pipeline job{.slot = tsfill::slot::fixed{30min}};
  tsfill::run_options options;
  options.threads = threads;
  options.keep_original = !lean;
  const std::size_t original_bytes = lean ? 0 : 8;  // per cell and value column

  std::vector<double> seconds;
  std::size_t rows = 0, nonnull = 0;
  double sum = 0;
  std::size_t output_bytes = 0, cells = 0, value_columns = 0;
  std::vector<std::pair<std::string, double>> stages;
  for (int r = 0; r < warmup + reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const tsfill::result out = job.run(input, options);
    const auto t1 = std::chrono::steady_clock::now();
    if (r >= warmup) seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (r == warmup + reps - 1) {
      rows = out.rows();
      nonnull = 0;
      sum = 0;
      for (const tsfill::result_column& c : out.values()) {
        const auto v = c.filled<double>();
        for (std::size_t i = 0; i < rows; ++i) {
          if (!c.filled_valid(i)) continue;
          ++nonnull;
          sum += v[i];
        }
      }
      // slot times + per column original, filled, status, two bitmaps; keys per segment.
      output_bytes = rows * 8 + out.value_count() * rows * (original_bytes + 8 + 1) +
                     out.value_count() * 2 * ((rows + 7) / 8) +
                     out.segments().size() * sizeof(tsfill::segment);
      stages = out.stats().stage_seconds;
      cells = rows;
      value_columns = out.value_count();
    }
  }
  std::sort(seconds.begin(), seconds.end());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const std::size_t input_bytes =
      ts.size() * (8 + 4 + 4) + 4 * (ts.size() * 8 + (ts.size() + 7) / 8);
  std::printf("{\"engine\": \"%s\", \"variant\": \"pipeline\", \"threads\": %u, \"seconds\": [",
              lean ? "tsfill-lean" : "tsfill", threads);
  for (std::size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.4f", i ? ", " : "", seconds[i]);
  std::printf(
      "], \"median\": %.4f, \"rows\": %zu, \"nonnull\": %zu, \"sum\": %.6f, \"peak_rss_mb\": %.1f, "
      "\"input_mb\": %.1f, \"output_mb\": %.1f, \"stages\": {",
      seconds[seconds.size() / 2], rows, nonnull, sum, static_cast<double>(ru.ru_maxrss) / 1024.0,
      static_cast<double>(input_bytes) / 1e6 * 1e6 / (1024.0 * 1024.0),
      static_cast<double>(output_bytes) / (1024.0 * 1024.0));
  for (std::size_t i = 0; i < stages.size(); ++i)
    std::printf("%s\"%s\": %.4f", i ? ", " : "", stages[i].first.c_str(), stages[i].second);
  // The bytes each stage must move at least (what it has to read of the input and write of
  // the output): grid reads times and keys and writes the slot times; dedup reads the times
  // to pick each cell's row; fill reads the value columns and bitmaps and writes the
  // original and filled columns, their bitmaps and the statuses; assemble must move
  // nothing more (it packs what fill wrote).
  const std::size_t n = ts.size(), k = value_columns;
  const std::size_t stage_bytes[] = {
      n * 16 + cells * 8, n * 8,
      k * (n * 8 + (n + 7) / 8) + k * (cells * (original_bytes + 9) + 2 * ((cells + 7) / 8)), 0};
  const char* stage_names[] = {"grid", "dedup", "fill", "assemble"};
  std::printf("}, \"stage_bytes\": {");
  for (std::size_t i = 0; i < 4; ++i)
    std::printf("%s\"%s\": %zu", i ? ", " : "", stage_names[i], stage_bytes[i]);
  const std::size_t moved = input_bytes + output_bytes;
  std::printf("}, \"moved_bytes\": %zu, \"memcpy_seconds\": %.5f}\n", moved,
              memcpy_seconds(moved, threads == 0 ? 1 : threads, 5));
  return 0;
}
