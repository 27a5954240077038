// Dictionary encoding for string keys (tickers, sites, account ids).
//
//   auto dict = tsfill::dictionary::encode(tickers);   // any range of string-like values
//   table.keys.emplace_back("ticker", dict.codes());    // int32 codes, in sorted string order
//   dict.word(result.distinct_keys(0)[k])               // back to the string
//
// Codes follow the sorted order of the strings, so the pipeline's output, ordered by key
// code, is ordered by the strings too.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tsfill/detail/config.hpp>
#include <tsfill/error.hpp>

TSFILL_BEGIN_NAMESPACE

class dictionary {
 public:
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
  static dictionary encode(const R& values) {
    dictionary d;
    std::unordered_map<std::string_view, std::int32_t> first_id;
    std::vector<std::string_view> distinct;
    std::vector<std::int32_t> ids;
    for (const auto& v : values) {
      const std::string_view s = v;
      auto [it, inserted] = first_id.try_emplace(s, static_cast<std::int32_t>(distinct.size()));
      if (inserted) distinct.push_back(s);
      ids.push_back(it->second);
    }
    std::vector<std::int32_t> order(distinct.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
      return distinct[static_cast<std::size_t>(a)] < distinct[static_cast<std::size_t>(b)];
    });
    std::vector<std::int32_t> code_of_id(distinct.size());
    d.words_.reserve(distinct.size());
    for (std::size_t k = 0; k < order.size(); ++k) {
      code_of_id[static_cast<std::size_t>(order[k])] = static_cast<std::int32_t>(k);
      d.words_.emplace_back(distinct[static_cast<std::size_t>(order[k])]);
    }
    d.codes_.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
      d.codes_[i] = code_of_id[static_cast<std::size_t>(ids[i])];
    return d;
  }

  std::span<const std::int32_t> codes() const noexcept { return codes_; }
  const std::vector<std::string>& words() const noexcept { return words_; }
  std::size_t size() const noexcept { return words_.size(); }
  const std::string& word(std::int64_t code) const {
    if (code < 0 || static_cast<std::size_t>(code) >= words_.size())
      throw invalid_argument("dictionary code " + std::to_string(code) + " is out of range (" +
                             std::to_string(words_.size()) + " words)");
    return words_[static_cast<std::size_t>(code)];
  }

 private:
  std::vector<std::int32_t> codes_;
  std::vector<std::string> words_;
};

TSFILL_END_NAMESPACE
