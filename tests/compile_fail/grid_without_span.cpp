// Must not compile: the bound grid function has no span().
#include <tsfill/tsfill.hpp>

struct my_grid {
  struct function {
    tsfill::key_scope keys() const { return tsfill::key_scope::all; }
    bool dense() const { return true; }
    tsfill::slot_range partitions() const { return {}; }
  };
  function bind(const tsfill::grid_context&) const { return {}; }
};

int main() {
  tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, tsfill::dedup::last, my_grid>
      job{};
  (void)job;
}
