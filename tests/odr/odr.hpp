#pragma once
#include <cstddef>
std::size_t odr_run_a();
std::size_t odr_run_b();
