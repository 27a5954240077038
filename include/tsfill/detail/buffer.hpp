// IWYU pragma: private, include <tsfill/tsfill.hpp>
// An owning array that does not zero its memory: the pipeline writes every element it
// allocates, so zeroing (and the page faults it causes up front) would be wasted work.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <type_traits>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
  namespace detail {

  template <class T>
  class buffer {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

   public:
    buffer() = default;
    explicit buffer(std::size_t n)
        : data_(n ? std::make_unique_for_overwrite<T[]>(n) : nullptr), size_(n) {}

    T* data() noexcept { return data_.get(); }
    const T* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    std::span<T> span() noexcept { return {data_.get(), size_}; }
    std::span<const T> span() const noexcept { return {data_.get(), size_}; }

   private:
    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0;
  };

  }  // namespace detail
TSFILL_END_NAMESPACE
