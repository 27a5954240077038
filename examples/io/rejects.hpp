// --rejects FILE: the rows the --where rules dropped, each with the rule that dropped it
// (like Auto Loader's rescued data), as CSV: file, row, rejected_by, then the input's
// columns (those of the first file with rejects; a later file's other columns are left
// out, a missing one is empty). Written aside and renamed into place by commit(), so a
// failed run leaves no partial file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tsfill_io {

struct rejected_row {
  const std::string& file;
  std::uint64_t row;                       // data row in the file, from 1
  const std::string& rule;                 // as the user wrote it ("size<50")
  const std::vector<std::string>& header;  // the file's columns
  const std::vector<std::string_view>& cells;
};

// The CSV text of one rejected row (no header), for writers that gather rows elsewhere.
std::string rejected_row_text(const rejected_row& r, const std::vector<std::string>& columns,
                              char delimiter);

class rejects_file {
 public:
  rejects_file(std::string path, char delimiter, bool overwrite);
  ~rejects_file();  // removes the staged file unless committed
  rejects_file(const rejects_file&) = delete;
  rejects_file& operator=(const rejects_file&) = delete;

  void add(const rejected_row& r);  // thread-safe
  // Rows made by rejected_row_text with columns(), in order.
  void add_text(const std::string& rows, std::uint64_t count);
  // The columns rows are written in: the first rejected row's file's header.
  const std::vector<std::string>& columns() const { return columns_; }
  void use_columns(const std::vector<std::string>& header);  // unless some are set already
  void commit();
  std::uint64_t rows() const { return rows_; }

 private:
  void write(const std::string& text);
  std::string path_, staged_;
  char delimiter_;
  std::FILE* out_ = nullptr;
  std::vector<std::string> columns_;
  bool header_written_ = false, committed_ = false;
  std::uint64_t rows_ = 0;
  std::mutex m_;
};

}  // namespace tsfill_io
