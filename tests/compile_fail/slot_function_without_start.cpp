// Must not compile: the bound slot function lacks start(). Expected message names it.
#include <tsfill/tsfill.hpp>

struct half_slot {
  struct function {
    std::int64_t ordinal(std::int64_t t) const { return t / 60; }
  };
  function bind(tsfill::tick_period) const { return {}; }
};

int main() {
  tsfill::pipeline<half_slot> job{};
  (void)job;
}
