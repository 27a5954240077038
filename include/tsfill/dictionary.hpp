// Dictionary encoding for string keys (tickers, sites, account ids).
//
//   auto dict = tsfill::dictionary::encode(tickers);   // any range of string-like values
//   table.keys.emplace_back("ticker", dict.codes());    // int32 codes, in sorted string order
//   dict.word(result.distinct_keys(0)[k])               // back to the string
//
// Codes follow the sorted order of the strings, so the pipeline's output, ordered by key
// code, is ordered by the strings too. dictionary_builder makes one from streamed values.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
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

class dictionary;

// Builds a dictionary one value at a time, for readers that stream rows: ids in first-seen
// order while reading, then finish() sorts the words and maps each id to its code.
//
//   tsfill::dictionary_builder b;
//   for (row : rows) ids.push_back(b.id_of(row.ticker));
//   std::vector<std::int32_t> code_of_id;
//   tsfill::dictionary dict = std::move(b).finish(code_of_id);   // code = code_of_id[id]
class dictionary_builder {
 public:
  std::int32_t id_of(std::string_view word) {
    const auto it = ids_.find(word);
    if (it != ids_.end()) return it->second;
    if (words_.size() >= static_cast<std::size_t>(INT32_MAX))
      throw invalid_argument("a dictionary holds at most 2^31 - 1 distinct words");
    const auto id = static_cast<std::int32_t>(words_.size());
    words_.emplace_back(word);
    ids_.emplace(words_.back(), id);
    return id;
  }
  std::size_t size() const noexcept { return words_.size(); }
  // The words so far, in first-seen order (index = id).
  const std::vector<std::string>& words() const noexcept { return words_; }

  dictionary finish(std::vector<std::int32_t>& code_of_id) &&;

 private:
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::vector<std::string> words_;
  std::unordered_map<std::string, std::int32_t, text_hash, std::equal_to<>> ids_;
};

class dictionary {
 public:
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
  static dictionary encode(const R& values) {
    dictionary_builder b;
    std::vector<std::int32_t> ids;
    for (const auto& v : values) ids.push_back(b.id_of(std::string_view(v)));
    std::vector<std::int32_t> code_of_id;
    dictionary d = std::move(b).finish(code_of_id);
    d.codes_.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i)
      d.codes_[i] = code_of_id[static_cast<std::size_t>(ids[i])];
    return d;
  }

  // Codes of the values given to encode(); empty for a dictionary from a builder.
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
  friend class dictionary_builder;
  std::vector<std::int32_t> codes_;
  std::vector<std::string> words_;
};

inline dictionary dictionary_builder::finish(std::vector<std::int32_t>& code_of_id) && {
  std::vector<std::int32_t> order(words_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return words_[static_cast<std::size_t>(a)] < words_[static_cast<std::size_t>(b)];
  });
  dictionary d;
  code_of_id.assign(words_.size(), 0);
  d.words_.reserve(words_.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    code_of_id[static_cast<std::size_t>(order[k])] = static_cast<std::int32_t>(k);
    d.words_.push_back(std::move(words_[static_cast<std::size_t>(order[k])]));
  }
  ids_.clear();
  words_.clear();
  return d;
}

TSFILL_END_NAMESPACE
