// Reading and writing history tables for `tsfill history`: month partitions
// DIR/month=YYYY-MM/part-0.parquet (array columns as Parquet lists or fixed-size lists of
// doubles) or part-0.csv (arrays as [v0;v1;...], an empty element a null, an empty field a
// null list), and the staging file of late values (CSV or Parquet: key, month, values).
// A partition is read whole and written back with every column but the arrays exactly as
// read (new rows: nulls there), in the input's format and, for Parquet, its compression.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <tsfill/history.hpp>

namespace tsfill_io {

// Key words <-> integer codes. Integer keys are their own codes; text keys are coded by the
// staging file's dictionary (a key the staging file lacks needs no code: -1).
class history_keys {
 public:
  bool text = false;  // decided by the first file read
  bool decided = false;
  std::int64_t code(const std::string& word) const {
    const auto it = codes_.find(word);
    return it == codes_.end() ? -1 : it->second;
  }
  std::int64_t add(const std::string& word) {
    const auto [it, fresh] = codes_.emplace(word, static_cast<std::int64_t>(words_.size()));
    if (fresh) words_.push_back(word);
    return it->second;
  }
  const std::string& word(std::int64_t code) const {
    return words_[static_cast<std::size_t>(code)];
  }

 private:
  std::unordered_map<std::string, std::int64_t> codes_;
  std::vector<std::string> words_;
};

struct history_layout {
  std::string key = "acct";
  std::size_t length = 36;
  // Array column -> staged column (by name), in the order given.
  std::vector<std::pair<std::string, std::string>> columns;
  bool columns_given = false;          // --column: else every staged column X goes to X_history
  std::string month_column = "month";  // in the staging file
};

// One partition of the table, as read: the history data and what writing it back needs.
struct history_partition {
  std::string dir;     // "month=2024-03"
  std::string path;    // DIR/month=2024-03/part-0.<ext>
  std::string format;  // csv | parquet
  tsfill::history::partition data;
  std::shared_ptr<void> kept;  // the format's own copy of the other columns (opaque here)
};

// The table's partitions: month -> (directory name, format), from DIR's month=YYYY-MM
// directories that hold a part-0.parquet or part-0.csv.
std::map<tsfill::history::month, history_partition> list_history_partitions(const std::string& dir);

// Reads partition `p` (its path and format set) with `layout`'s array columns (the arrays'
// order) and key; errors name the partition's file, row and column.
void read_history_partition(history_partition& p, const history_layout& layout, history_keys& keys,
                            char delimiter);

// Writes `p` (as read, its data changed by apply or roll) to `path`, in p.format.
void write_history_partition(const history_partition& p, const std::string& path,
                             const history_keys& keys, char delimiter);

// The column names of a partition file, with the key kind decided (a Parquet integer key
// column: integer keys; text, or any CSV key: text keys). The key column must be there.
// `arrays` (if given) gets the array columns: Parquet lists of doubles, CSV columns whose
// first row holds a [...] cell.
std::vector<std::string> inspect_history_partition(const history_partition& p,
                                                   const history_layout& layout, history_keys& keys,
                                                   char delimiter,
                                                   std::vector<std::string>* arrays = nullptr);

// Before anything is written: every array column of `layout` is in the partition and, for
// Parquet, a list of doubles (a fixed-size list of exactly --length). Throws naming the
// partition's file and the column.
void check_history_columns(const history_partition& p, const history_layout& layout,
                           char delimiter);

// The staging file: rows of (key, month, staged values). `layout.columns` is completed
// from the file's header when --column was not given (every column but the key and the
// month, X to X_history); every array it names must be in `table_columns`. Keys are coded
// into `keys`. With `month` set (roll), the file needs no month column: every row is of
// that month.
tsfill::history::staging read_staging(const std::string& path, history_layout& layout,
                                      const std::vector<std::string>& table_columns,
                                      history_keys& keys, char delimiter,
                                      std::optional<tsfill::history::month> month = std::nullopt);

}  // namespace tsfill_io
