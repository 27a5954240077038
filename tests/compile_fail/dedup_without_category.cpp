// Must not compile: a dedup policy that does not declare its category.
#include <tsfill/tsfill.hpp>

struct my_dedup {
  tsfill::dedup_choice choose(const tsfill::dedup_candidate&,
                              const tsfill::dedup_candidate&) const {
    return tsfill::dedup_choice::keep;
  }
};

int main() {
  tsfill::pipeline<tsfill::slot::fixed, tsfill::partition::utc_day, my_dedup> job{};
  (void)job;
}
