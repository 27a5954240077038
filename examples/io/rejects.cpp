#include "rejects.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <unistd.h>

#include "cli_error.hpp"
#include "output.hpp"

namespace tsfill_io {

std::string rejected_row_text(const rejected_row& r, const std::vector<std::string>& columns,
                              char delimiter) {
  std::string line;
  append_csv_field(line, r.file, delimiter);
  line.push_back(delimiter);
  line += std::to_string(r.row);
  line.push_back(delimiter);
  append_csv_field(line, r.rule, delimiter);
  for (const std::string& c : columns) {
    line.push_back(delimiter);
    const auto it = std::find(r.header.begin(), r.header.end(), c);
    if (it != r.header.end())
      append_csv_field(line, r.cells[static_cast<std::size_t>(it - r.header.begin())], delimiter);
  }
  line.push_back('\n');
  return line;
}

rejects_file::rejects_file(std::string path, char delimiter, bool overwrite)
    : path_(std::move(path)), delimiter_(delimiter) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path_, ec) && !overwrite)
    throw flag_error("--rejects", path_ + " exists; pass --overwrite to replace it");
  const fs::path p(path_);
  staged_ = (p.parent_path() /
             ("." + p.filename().string() + ".tsfill-tmp-" + std::to_string(::getpid())))
                .string();
  out_ = std::fopen(staged_.c_str(), "wb");
  if (!out_) throw flag_error("--rejects", path_ + ": cannot create: " + std::strerror(errno));
}

rejects_file::~rejects_file() {
  if (out_) std::fclose(out_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(staged_, ec);
  }
}

void rejects_file::use_columns(const std::vector<std::string>& header) {
  std::lock_guard lock(m_);
  if (!header_written_ && columns_.empty()) columns_ = header;
}

void rejects_file::write(const std::string& text) {
  if (!header_written_) {
    std::string h = "file";
    for (const char* extra : {"row", "rejected_by"}) {
      h.push_back(delimiter_);
      h += extra;
    }
    for (const std::string& c : columns_) {
      h.push_back(delimiter_);
      append_csv_field(h, c, delimiter_);
    }
    h.push_back('\n');
    header_written_ = true;
    write(h);
  }
  if (std::fwrite(text.data(), 1, text.size(), out_) != text.size())
    throw run_failure(path_ + ": cannot write the rejects: " + std::strerror(errno));
}

void rejects_file::add(const rejected_row& r) {
  std::lock_guard lock(m_);
  if (!header_written_ && columns_.empty()) columns_ = r.header;
  write(rejected_row_text(r, columns_, delimiter_));
  ++rows_;
}

void rejects_file::add_text(const std::string& rows, std::uint64_t count) {
  std::lock_guard lock(m_);
  write(rows);
  rows_ += count;
}

void rejects_file::commit() {
  std::lock_guard lock(m_);
  if (!header_written_) write("");  // the header alone: nothing was rejected
  const bool ok = std::fclose(out_) == 0;
  out_ = nullptr;
  if (!ok || std::rename(staged_.c_str(), path_.c_str()) != 0)
    throw run_failure(path_ + ": cannot write the rejects: " + std::strerror(errno));
  committed_ = true;
}

}  // namespace tsfill_io
