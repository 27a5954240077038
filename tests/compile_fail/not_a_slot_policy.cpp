// Must not compile: a "slot policy" without bind(). Expected message: "not a slot policy".
#include <tsfill/tsfill.hpp>

struct my_slot {
  std::int64_t width = 60;
};

int main() {
  tsfill::pipeline<my_slot> job{};
  return static_cast<int>(job.slot.width);
}
