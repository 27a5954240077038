// Must not compile: an aggregation whose accumulator lacks value().
#include <tsfill/tsfill.hpp>

struct my_sum {
  using category = tsfill::aggregation_tag;
  template <class T>
  struct accumulator {
    using result_type = T;
    T total{};
    void add(T v) { total += v; }
    bool has_value() const { return true; }
  };
};

int main() {
  tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, my_sum> job{};
  (void)job;
}
