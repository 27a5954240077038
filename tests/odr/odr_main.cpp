#include <cstdio>

#include "odr.hpp"

int main() {
  const std::size_t a = odr_run_a(), b = odr_run_b();
  std::printf("%zu %zu\n", a, b);
  return a == 3 && b == 5 ? 0 : 1;
}
