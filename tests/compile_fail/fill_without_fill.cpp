// Must not compile: the bound fill function has no fill<T>(fill_segment<T>).
#include <tsfill/tsfill.hpp>

struct my_fill {
  struct function {
    void apply(double*) const {}
  };
  function bind(tsfill::tick_period) const { return {}; }
};

int main() {
  tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, tsfill::dedup::last,
                   tsfill::grid::partition_span, my_fill>
      job{};
  (void)job;
}
