// CSV number writing: doubles to their shortest round-trip text, by std::to_chars (what
// the C++ library gives) and by tsfill's writer (format_shortest in examples/io/output.cpp,
// which must give the same text). Values like the reference workload's: a random walk
// around 0.3 with six decimals, and prices of two to four decimals. Outputs are compared
// before timing.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench_common.hpp"
#include "output.hpp"

namespace {

std::vector<double> values(int kind, std::size_t n) {
  std::mt19937_64 rng(3);
  std::vector<double> v(n);
  double walk = 0.3;
  for (double& x : v) {
    if (kind == 0) {  // reference workload: six decimals near 0.3
      walk += std::normal_distribution<double>(0, 0.002)(rng);
      x = std::round(walk * 1e6) / 1e6;
    } else {  // prices: 2-4 decimals, 10 to 10,000
      const double scale = std::pow(10.0, static_cast<double>(2 + rng() % 3));
      x = std::round(std::uniform_real_distribution<double>(10, 10'000)(rng) * scale) / scale;
    }
  }
  return v;
}

template <bool tsfill_writer>
std::size_t write_all(const std::vector<double>& v, std::string& out) {
  std::size_t size = 0;
  for (const double x : v) {
    char* p = out.data() + size;
    size += tsfill_writer ? tsfill_io::format_shortest(p, x)
                          : static_cast<std::size_t>(std::to_chars(p, p + 32, x).ptr - p);
    out[size++] = ',';
  }
  return size;
}

template <bool tsfill_writer>
void BM_write_doubles(benchmark::State& state) {
  const std::size_t n = tsfill_bench::smoke() ? 1 << 12 : 1 << 20;
  const std::vector<double> v = values(static_cast<int>(state.range(0)), n);
  std::string out(n * 40, '\0'), check(n * 40, '\0');
  const std::size_t size = write_all<tsfill_writer>(v, out);
  if (size != write_all<!tsfill_writer>(v, check) || out.compare(0, size, check, 0, size) != 0) {
    state.SkipWithError("format_shortest and std::to_chars wrote different text");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(write_all<tsfill_writer>(v, out));
  tsfill_bench::set_processed(state, n, size);
}

BENCHMARK(BM_write_doubles<false>)->Name("to_chars")->Arg(0)->Arg(1);
BENCHMARK(BM_write_doubles<true>)->Name("format_shortest")->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
