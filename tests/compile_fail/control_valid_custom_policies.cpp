// The control case: the same shapes done right must compile (so the failures above fail for
// the reason they claim, not for a typo in the harness).
#include <tsfill/tsfill.hpp>

struct my_slot {
  struct function {
    std::int64_t ordinal(std::int64_t t) const { return t >= 0 ? t / 60 : -((-t + 59) / 60); }
    std::int64_t start(std::int64_t o) const { return o * 60; }
  };
  function bind(tsfill::tick_period) const { return {}; }
};

struct my_fill {
  struct function {
    template <class T>
    void fill(const tsfill::fill_segment<T>& s) const {
      for (std::size_t i = 0; i < s.size; ++i) s.filled[i] = s.original[i];
    }
  };
  function bind(tsfill::tick_period) const { return {}; }
};

int main() {
  tsfill::pipeline<my_slot, tsfill::partition::none, tsfill::dedup::last,
                   tsfill::grid::partition_span, my_fill>
      job{};
  (void)job;
}
