// Two translation units include the whole library and are linked together: every function
// in the headers must be inline (or a template), or this fails to link.
#include <tsfill/tsfill.hpp>

#include "odr.hpp"

std::size_t odr_run_a() {
  using namespace std::chrono_literals;
  const std::vector<std::int64_t> ts = {0, 7'200'000'000'000LL};
  const std::vector<double> v = {1.0, 2.0};
  tsfill::table_view<> t{ts, {}, {tsfill::value_column("v", v)}};
  return tsfill::pipeline{.slot = tsfill::slot::fixed{1h}}.run(t).rows();
}
