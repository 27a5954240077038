#include "csv_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "cli_error.hpp"
#include "progress.hpp"
#include "timefmt.hpp"

namespace tsfill_io {

std::string read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw cli_error(path + ": cannot open: " + std::strerror(errno));
  std::string data;
  char buf[1 << 16];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) throw cli_error(path + ": read error");
  return data;
}

csv_parser::csv_parser(std::string_view data, char delimiter, std::string file)
    : data_(data), delim_(delimiter), file_(std::move(file)) {
  if (data_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
}

bool csv_parser::next(std::vector<std::string_view>& fields) {
  const std::size_t n = data_.size();
  // Skip blank lines.
  while (pos_ < n && (data_[pos_] == '\n' ||
                      (data_[pos_] == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n'))) {
    pos_ += data_[pos_] == '\r' ? 2U : 1U;
    ++line_;
  }
  if (pos_ >= n) return false;
  record_line_ = line_;
  ++records_;
  fields.clear();
  unescaped_used_ = 0;
  while (true) {
    if (pos_ < n && data_[pos_] == '"') {
      const std::size_t start = ++pos_;
      bool escaped = false;
      std::size_t end = 0;
      while (true) {
        const void* q = pos_ < n ? std::memchr(data_.data() + pos_, '"', n - pos_) : nullptr;
        if (!q)
          throw input_error(file_, data_row(), record_line_, "", "a quoted field is never closed");
        const auto qi = static_cast<std::size_t>(static_cast<const char*>(q) - data_.data());
        for (std::size_t k = pos_; k < qi; ++k) line_ += data_[k] == '\n';
        if (qi + 1 < n && data_[qi + 1] == '"') {
          escaped = true;
          pos_ = qi + 2;
          continue;
        }
        end = qi;
        pos_ = qi + 1;
        break;
      }
      std::string_view text = data_.substr(start, end - start);
      if (escaped) {
        if (unescaped_used_ == unescaped_.size()) unescaped_.emplace_back();
        std::string& u = unescaped_[unescaped_used_++];
        u.clear();
        for (std::size_t k = 0; k < text.size(); ++k) {
          u.push_back(text[k]);
          if (text[k] == '"') ++k;  // "" -> "
        }
        text = u;
      }
      fields.push_back(text);
      if (pos_ < n && data_[pos_] != delim_ && data_[pos_] != '\n' && data_[pos_] != '\r')
        throw input_error(file_, data_row(), record_line_, "",
                          std::string("unexpected '") + data_[pos_] + "' after a closing quote");
    } else {
      const std::size_t start = pos_;
      while (pos_ < n && data_[pos_] != delim_ && data_[pos_] != '\n' && data_[pos_] != '\r')
        ++pos_;
      fields.push_back(data_.substr(start, pos_ - start));
    }
    if (pos_ >= n) return true;
    const char c = data_[pos_];
    if (c == delim_) {
      ++pos_;
      continue;
    }
    // End of record: "\n", "\r\n" or a lone "\r".
    pos_ += (c == '\r' && pos_ + 1 < n && data_[pos_ + 1] == '\n') ? 2U : 1U;
    ++line_;
    return true;
  }
}

namespace {

bool is_null(const read_spec& o, std::string_view s) {
  for (const std::string& token : o.csv.null_values)
    if (s == token) return true;
  return false;
}

bool parse_number(std::string_view s, double& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  s = without_plus(s);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (end != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // Too small for a double (1e-400) is 0 (or a subnormal), as every peer reads it; too
    // large (1e400) is no number.
    const std::string text(s);
    errno = 0;
    const double d = std::strtod(text.c_str(), nullptr);
    if (std::fabs(d) > DBL_MIN) return false;
    out = d;
    return true;
  }
  return ec == std::errc{};
}

}  // namespace

void read_csv(const read_spec& o, const std::string& path, loaded_table& t) {
  const std::string data = read_file(path);
  csv_parser parser(data, o.csv.delimiter, path);
  std::vector<std::string_view> fields;
  if (!parser.next(fields))
    throw cli_error(path + ": the file is empty (a CSV input needs a header row)");
  const std::vector<std::string> header(fields.begin(), fields.end());
  auto column_index = [&](const std::string& name) -> long {
    for (std::size_t c = 0; c < header.size(); ++c)
      if (header[c] == name) return static_cast<long>(c);
    return -1;
  };
  {
    std::set<std::string> seen;
    for (const std::string& h : header) {
      if (h.empty())
        throw input_error(
            path, 0, 1, "",
            "column " + std::to_string(&h - header.data() + 1) + " of the header has no name");
      if (!seen.insert(h).second)
        throw input_error(path, 0, 1, h, "the header names this column twice");
      if (o.require_utf8 && !valid_utf8(h))
        throw input_error(path, 0, 1, "",
                          "the column name " + shown_cell(h) +
                              " is not valid UTF-8, which a Parquet output cannot hold (fix the "
                              "file's encoding, or write CSV)");
    }
  }
  auto require = [&](const std::string& name, const char* flag) {
    const long c = column_index(name);
    if (c < 0) throw cli_error(std::string(flag) + ": " + path + " has no column '" + name + "'");
    return static_cast<std::size_t>(c);
  };
  const std::size_t time_col = require(o.time_column, "--time");
  std::vector<std::size_t> key_cols;
  for (const std::string& k : o.keys) key_cols.push_back(require(k, "--keys"));
  // --where: each rule's column.
  std::vector<std::size_t> where;
  for (const where_rule& r : o.where) where.push_back(require(r.column, "--where"));
  t.rejected_by.resize(o.where.size(), 0);
  std::vector<std::string> rule_texts;
  for (const where_rule& r : o.where) rule_texts.push_back(r.text());

  const bool first_file = t.files.size() == 1;
  if (first_file) {
    for (const std::string& k : o.keys) t.keys.push_back(loaded_key{k, true, {}, {}, {}});
    // Value columns: header order; every column but the time and keys by default.
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (c == time_col || std::find(key_cols.begin(), key_cols.end(), c) != key_cols.end())
        continue;
      const value_selection sel = select_value(o, header[c]);
      if (!sel.selected) {
        t.columns_left_out.push_back(header[c]);
        continue;
      }
      loaded_value v;
      v.name = header[c];
      v.requested = sel.requested;
      t.values.push_back(std::move(v));
    }
    for (const std::string& p : o.value_patterns) {
      if (has_glob(p)) continue;
      if (p == o.time_column) throw flag_error("--values", "'" + p + "' is the --time column");
      if (std::find(o.keys.begin(), o.keys.end(), p) != o.keys.end())
        throw flag_error("--values", "'" + p + "' is a --keys column");
      if (o.absent_values_ok && column_index(p) < 0) {
        t.values_absent.push_back(p);
        continue;
      }
      require(p, "--values");
    }
  }
  std::vector<std::size_t> unique_cols;
  for (const std::string& c : o.unique_columns) unique_cols.push_back(require(c, "--unique"));
  std::vector<std::string_view> id_cells;
  const std::size_t sequence_col =
      o.sequence_column.empty() ? SIZE_MAX : require(o.sequence_column, "--sequence-column");
  std::vector<std::size_t> value_cols;
  for (const loaded_value& v : t.values) value_cols.push_back(require(v.name, "--values"));

  progress_line progress(o.progress, "reading " + path, data.size());
  std::uint64_t data_row = 0;
  std::string why;
  while (parser.next(fields)) {
    ++data_row;
    ++t.rows_read;
    if (fields.size() != header.size())
      throw input_error(path, data_row, parser.record_line(), "",
                        "expected " + std::to_string(header.size()) +
                            " fields (as in the header), found " + std::to_string(fields.size()));
    bool keep = true;
    for (std::size_t w = 0; w < where.size() && keep; ++w) {
      const std::string_view cell = fields[where[w]];
      keep = passes(o.where[w], cell, is_null(o, cell));
      if (keep) continue;
      ++t.rejected_by[w];
      if (o.on_reject) o.on_reject({path, data_row, rule_texts[w], header, fields});
    }
    if (!keep) {
      ++t.rows_filtered;
      continue;
    }
    const std::string_view ts = fields[time_col];
    std::optional<std::int64_t> ns;
    if (!o.time_unit.empty()) {
      why.clear();
      ns = parse_epoch(ts, o.time_unit, &why);
      if (!ns && why.empty()) why = "not an integer number of " + o.time_unit + " since the epoch";
    } else {
      ns = parse_timestamp(ts, &why);
      if (!ns && parse_epoch(ts, "s"))
        why = "looks like an epoch number; pass --time-unit s|ms|us|ns";
    }
    if (!ns)
      throw input_error(path, data_row, parser.record_line(), o.time_column,
                        "cannot read " + shown_cell(ts) + " as a timestamp: " + why);
    if (o.keep_time && !o.keep_time(*ns)) {  // another chunk's row
      ++t.rows_filtered;
      continue;
    }
    if (sequence_col != SIZE_MAX) {
      const std::string_view s = fields[sequence_col];
      std::int64_t seq = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), seq);
      if (s.empty() || ec != std::errc{} || end != s.data() + s.size())
        throw input_error(path, data_row, parser.record_line(), o.sequence_column,
                          "cannot read " + shown_cell(s) + " as a sequence number (an integer)");
      t.sequence.push_back(seq);
    }
    if (!unique_cols.empty()) {
      id_cells.clear();
      bool any_null = false;
      for (const std::size_t c : unique_cols) {
        id_cells.push_back(fields[c]);
        any_null = any_null || is_null(o, fields[c]);
      }
      t.record_id.push_back(record_id_text(id_cells, any_null));
    }
    const std::size_t row = t.time.size();
    t.time.push_back(*ns);
    t.source_row.push_back(data_row);
    for (std::size_t j = 0; j < key_cols.size(); ++j) {
      loaded_key& k = t.keys[j];
      const std::size_t known = k.builder.size();
      k.values.push_back(k.code_of(fields[key_cols[j]]));
      if (o.require_utf8 && k.builder.size() != known && !valid_utf8(fields[key_cols[j]]))
        throw input_error(path, data_row, parser.record_line(), o.keys[j],
                          shown_cell(fields[key_cols[j]]) +
                              " is not valid UTF-8, which a Parquet output cannot hold (fix the "
                              "file's encoding, or write CSV)");
    }
    for (std::size_t j = 0; j < value_cols.size(); ++j) {
      loaded_value& v = t.values[j];
      if (!v.numeric) continue;
      const std::string_view s = fields[value_cols[j]];
      double d = 0;
      if (is_null(o, s)) {
        v.append_f64(row, std::nan(""), false);
      } else if (parse_number(s, d)) {
        v.append_f64(row, d, true);
      } else if (v.requested) {
        throw input_error(
            path, data_row, parser.record_line(),
            v.name, "cannot read " + shown_cell(s) + " as a number (null values are: " + [&] {
              std::string l;
              for (const std::string& tok : o.csv.null_values)
                l += (l.empty() ? "'" : ", '") + tok + "'";
              return l;
            }() + ")");
      } else {
        v.numeric = false;  // not a numeric column: not a default value column
        v.f64 = {};
        v.validity = {};
        t.not_numeric.emplace_back(v.name, input_error(path, data_row, parser.record_line(), "",
                                                       shown_cell(s) + " is not a number")
                                               .what());
      }
    }
    if ((data_row & 0xFFFF) == 0) progress.update(parser.position(), data_row);
  }
  progress.finish(data_row);
  // Columns that turned out not to be numeric are not value columns (unless requested,
  // which threw above). Glob patterns must still match something numeric.
  for (const loaded_value& v : t.values)
    if (!v.numeric) t.columns_left_out.push_back(v.name);
  std::erase_if(t.values, [](const loaded_value& v) { return !v.numeric; });
  for (const std::string& p : o.value_patterns) {
    if (!has_glob(p)) continue;
    const bool any = std::any_of(t.values.begin(), t.values.end(),
                                 [&](const loaded_value& v) { return glob_match(p, v.name); });
    if (!any)
      throw flag_error("--values", "pattern '" + p + "' matches no numeric column of " + path);
  }
}

}  // namespace tsfill_io
