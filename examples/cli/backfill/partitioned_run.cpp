#include "partitioned_run.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "cli_error.hpp"
#include "output.hpp"
#include "paths.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

// The readers' rule (finish_string_key): a key whose every word is an integer in canonical
// form is an integer key.
bool all_integers(const std::set<std::string>& words) {
  std::int64_t v = 0;
  return !words.empty() && std::all_of(words.begin(), words.end(), [&](const std::string& w) {
    return canonical_integer(w, v);
  });
}

// What the scan keeps of one file.
struct file_scan {
  file_summary summary;
  spilled_file spilled;
  std::vector<std::string> value_names;
  std::vector<std::string> left_out, values_absent;  // loaded_table's
  std::vector<std::pair<std::string, std::string>> not_numeric;
  std::vector<tsfill::value_type> value_types;
  std::vector<std::size_t> rejected_by;
  std::size_t repeated = 0;  // records repeated within the file (--unique)
  // --unique: the file's record ids (those left after its own repeats), with their row
  // and partition, to find the records a later file delivers again.
  std::vector<std::tuple<std::string, std::uint64_t, std::int64_t>> records;
  // range end -> (highest number in it, partitions its rows touch)
  std::map<std::int64_t, std::pair<std::int64_t, std::set<std::int64_t>>> touched;
  std::vector<std::set<std::string>> key_words;
  std::string error;          // a cli_error's message (the file, row and column)
  bool spill_failed = false;  // the error is the spill's (a full disk), not the input's
  // A file with bad cells whose rows can all still be placed in partitions: those
  // partitions (and their rows), which cannot be computed without it.
  std::optional<std::map<std::int64_t, std::size_t>> unreadable_partitions;
};

std::string format_of(const job_spec& o, const write_spec& w) {
  if (!o.format.empty()) return o.format;
  return w.default_format.empty() ? "csv" : w.default_format;  // the input's
}

}  // namespace

std::vector<std::int64_t> input_scan::partitions() const {
  std::vector<std::int64_t> v;
  for (const auto& [p, rows] : partition_rows) v.push_back(p);
  return v;
}

partitioned_run::partitioned_run(const job_spec& o, unsigned workers, const spill_dir* spill,
                                 std::function<bool(std::int64_t)> wanted,
                                 std::optional<sequence_ranges> ranges, bad_file on_bad_file,
                                 const tsfill::backfill::dataset_schema* schema)
    : spec_(o),
      reading_(o.reading()),
      writing_(o.writing()),
      format_(format_of(o, writing_)),
      job_(make_job(o)),
      sink_(without_trailing_slash(writing_.output), "part-0." + format_) {
  reading_.progress = false;
  reading_.absent_values_ok = schema != nullptr;
  reading_.partition_of = [this](std::int64_t ns) { return partition_of(ns); };
  if (ranges) reading_.sequence_column = ranges->column;

  // --- the scan: each file alone, on up to `workers` threads --------------------------------
  const std::vector<std::string> files = discover_inputs(o.inputs);
  reading_.inputs.clear();  // each file is read alone (and a copy per file stays small)
  std::vector<file_scan> scans(files.size());
  std::atomic<std::size_t> next{0};
  auto scan_files = [&] {
    for (std::size_t i; (i = next++) < files.size();) {
      file_scan& s = scans[i];
      try {
        read_spec one = reading_;
        one.inputs = {files[i]};
        const loaded_table t = load_inputs(one);
        s.summary = t.manifest.at(0);
        s.rejected_by = t.rejected_by;
        s.repeated = t.rows_repeated;
        for (std::size_t r = 0; r < t.record_id.size(); ++r)
          if (!t.record_id[r].empty())
            s.records.emplace_back(t.record_id[r], t.source_row[r], partition_of(t.time[r]));
        if (ranges)
          for (std::size_t r = 0; r < t.rows(); ++r) {
            const std::int64_t seq = t.sequence[r];
            if (seq <= ranges->done) continue;
            // Ranges (base + k * size, base + (k + 1) * size], from the last number done, or
            // from 0 on a first run: the range's end is the first base + k * size >= seq.
            const tsfill::detail::int128 base = ranges->done == INT64_MIN ? 0 : ranges->done;
            const tsfill::detail::int128 d = tsfill::detail::int128{seq} - base;
            const tsfill::detail::int128 k = d / ranges->size + (d % ranges->size > 0 ? 1 : 0);
            const tsfill::detail::int128 end = base + k * ranges->size;
            auto& range =
                s.touched
                    .try_emplace(end > INT64_MAX ? INT64_MAX : static_cast<std::int64_t>(end),
                                 INT64_MIN, std::set<std::int64_t>{})
                    .first->second;
            range.first = std::max(range.first, seq);
            range.second.insert(partition_of(t.time[r]));
          }
        for (const loaded_value& v : t.values) {
          s.value_names.push_back(v.name);
          s.value_types.push_back(v.type);
        }
        s.left_out = t.columns_left_out;
        s.not_numeric = t.not_numeric;
        s.values_absent = t.values_absent;
        if (spill)
          s.spilled = spill_rows(
              t, spill->file(i), [this](std::int64_t ns) { return partition_of(ns); }, wanted);
        for (const loaded_key& k : t.keys) {
          std::set<std::string> words;
          if (k.is_string) {
            words.insert(k.words.begin(), k.words.end());
          } else {  // the distinct integers first: a text per row is a tenth of the scan
            std::vector<std::int64_t> distinct = k.values;
            std::sort(distinct.begin(), distinct.end());
            distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
            for (const std::int64_t v : distinct) words.insert(std::to_string(v));
          }
          s.key_words.push_back(std::move(words));
        }
      } catch (const cli_error& e) {
        s.error = e.what();
        if (on_bad_file == bad_file::fail_partitions)
          s.unreadable_partitions = partitions_of_rows(files[i]);
      } catch (const run_failure& e) {
        s.error = e.what();
        s.spill_failed = true;
      } catch (const std::exception& e) {
        s.error = files[i] + ": " + e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < std::max(1U, workers) && w < files.size(); ++w)
    pool.emplace_back(scan_files);
  scan_files();
  for (std::thread& t : pool) t.join();

  // --- what the whole input says: the first bad file's error, or the union ------------------
  // A bad file whose rows can all be placed fails its partitions; any other stops the run.
  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const file_scan& s = scans[i];
    if (s.spill_failed) throw run_failure(s.error);
    scan_.file_errors.push_back(s.error);
    scan_.file_value_names.push_back(s.value_names);
    scan_.file_columns_left_out.push_back(s.left_out);
    scan_.file_values_absent.push_back(s.values_absent);
    std::string kinds;
    for (const std::set<std::string>& w : s.key_words)
      kinds += w.empty() ? '-' : all_integers(w) ? 'i' : 's';
    scan_.file_key_kinds.push_back(kinds);
    if (s.error.empty()) {
      good.push_back(i);
      scan_.not_numeric.insert(scan_.not_numeric.end(), s.not_numeric.begin(), s.not_numeric.end());
      continue;
    }
    if (on_bad_file == bad_file::skip) continue;
    if (!s.unreadable_partitions) throw cli_error(s.error);
    for (const auto& [p, rows] : *s.unreadable_partitions) {
      scan_.failed.try_emplace(p, s.error);
      scan_.partition_rows[p] += rows;
    }
  }
  if (good.empty() && on_bad_file == bad_file::skip) {  // nothing readable: nothing to compute
    scan_.files.resize(scans.size());
    for (std::size_t i = 0; i < scans.size(); ++i) scan_.files[i].path = files[i];
    return;
  }
  if (good.empty()) throw cli_error(scans.front().error);
  std::vector<std::set<std::string>> words(o.keys.size());
  std::map<std::int64_t, std::pair<std::int64_t, std::set<std::int64_t>>> touched;
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const file_scan& s = scans[i];
    scan_.files.push_back(s.summary);
    spills_.push_back(s.spilled);  // (a bad file's is empty: never read)
    if (!s.error.empty()) continue;
    for (const auto& [p, rows] : s.summary.partitions) scan_.partition_rows[p] += rows;
    for (const auto& [end, range] : s.touched) {
      auto& all = touched.try_emplace(end, INT64_MIN, std::set<std::int64_t>{}).first->second;
      all.first = std::max(all.first, range.first);
      all.second.insert(range.second.begin(), range.second.end());
    }
    scan_.rejected_by.resize(s.rejected_by.size(), 0);
    for (std::size_t w = 0; w < s.rejected_by.size(); ++w) scan_.rejected_by[w] += s.rejected_by[w];
    for (std::size_t j = 0; j < words.size() && j < s.key_words.size(); ++j)
      words[j].insert(s.key_words[j].begin(), s.key_words[j].end());
    if (i == good.front()) {
      scan_.value_names = s.value_names;
    } else {  // a column not numeric in some file is no value column (as in one run)
      std::erase_if(scan_.value_names, [&](const std::string& n) {
        return std::find(s.value_names.begin(), s.value_names.end(), n) == s.value_names.end();
      });
    }
  }
  // --unique across files: a record delivered again by a later file drops its earlier copy
  // (one run keeps the last in path order); the batches skip the dropped rows.
  if (!o.unique_columns.empty()) {
    std::unordered_map<std::string_view, std::size_t> last_file;
    for (std::size_t f = 0; f < scans.size(); ++f)
      for (const auto& rec : scans[f].records) last_file[std::get<0>(rec)] = f;
    dropped_.resize(scans.size());
    for (std::size_t f = 0; f < scans.size(); ++f) {
      scan_.rows_repeated += scans[f].repeated;
      for (const auto& [id, row, partition] : scans[f].records) {
        if (last_file.at(id) == f) continue;
        dropped_[f].insert(row);
        ++scan_.rows_repeated;
        if (--scan_.partition_rows[partition] == 0) scan_.partition_rows.erase(partition);
        if (--scan_.files[f].partitions[partition] == 0) scan_.files[f].partitions.erase(partition);
      }
    }
  }
  // Each range by the highest number in it: what its batches read up to, and what the store
  // records as done (a range's end may lie beyond the numbers seen so far).
  for (auto& [end, range] : touched) scan_.touched_by_range[range.first] = std::move(range.second);
  for (std::size_t j = 0; j < words.size(); ++j) {
    const bool fixed = schema && j < schema->key_kinds.size() && schema->key_kinds[j] != '-';
    scan_.key_is_string.push_back(fixed ? schema->key_kinds[j] == 's' : !all_integers(words[j]));
    scan_.key_words.emplace_back(words[j].begin(), words[j].end());
  }
  if (schema) scan_.value_names = schema->value_names;
  if (scan_.value_names.empty())
    throw flag_error("--values", "no column is numeric in every input file: nothing to fill");
  value_types_.clear();
  // Where each value column is in a file: absent_column when a file of a dataset lacks it
  // (its rows have nulls there).
  auto column_in = [&](std::size_t f, const std::string& name) {
    const auto& names = scans[f].value_names;
    const auto at = std::find(names.begin(), names.end(), name);
    if (at != names.end()) return static_cast<std::size_t>(at - names.begin());
    const auto& absent = scans[f].values_absent;
    if (std::find(absent.begin(), absent.end(), name) != absent.end()) return absent_column;
    throw cli_error(files[f] + ": has no numeric column '" + name + "'");
  };
  std::size_t typed_by = good.front();  // the first file that has the column gives its type
  for (const std::string& name : scan_.value_names) {
    tsfill::value_type type = tsfill::value_type::float64;
    for (const std::size_t f : good)
      if (const std::size_t at = column_in(f, name); at != absent_column) {
        type = scans[f].value_types[at];
        typed_by = f;
        break;
      }
    value_types_.push_back(type);
  }
  for (std::size_t f = 0; f < scans.size(); ++f) {
    std::vector<std::size_t> columns;
    if (!scans[f].error.empty()) {  // a bad file: no rows to read
      value_column_.emplace_back(scan_.value_names.size(), 0);
      continue;
    }
    for (std::size_t c = 0; c < scan_.value_names.size(); ++c) {
      const std::size_t at = column_in(f, scan_.value_names[c]);
      if (at != absent_column && scans[f].value_types[at] != value_types_[c])
        throw cli_error(files[f] + ", column '" + scan_.value_names[c] + "': holds " +
                        tsfill::to_string(scans[f].value_types[at]) + " values, " +
                        files[typed_by] + " holds " + tsfill::to_string(value_types_[c]) +
                        " values");
      columns.push_back(at);
    }
    value_column_.push_back(std::move(columns));
  }
  plan_key_codes();
}

std::optional<std::map<std::int64_t, std::size_t>> partitioned_run::partitions_of_rows(
    const std::string& file) const {
  // Times only: no other cell is parsed (keep_time drops every row before), so a bad value
  // cell does not stop this pass; a bad time or a broken record does.
  read_spec times = reading_;
  times.inputs = {file};
  times.unique_columns.clear();
  times.sequence_column.clear();
  times.on_reject = {};
  times.threads = 1;  // (keep_time below counts into one map)
  std::map<std::int64_t, std::size_t> rows;
  times.keep_time = [&](std::int64_t ns) {
    ++rows[partition_of(ns)];
    return false;
  };
  try {
    load_inputs(times);
  } catch (const cli_error&) {
    return std::nullopt;
  }
  return rows;
}

void partitioned_run::plan_key_codes() {
  for (const spilled_file& f : spills_) {
    std::vector<key_recode> per_key;
    for (std::size_t j = 0; j < f.keys.size(); ++j) {
      key_recode r;
      const std::vector<std::string>& all = scan_.key_words[j];
      auto code_of = [&](const std::string& word) {
        return static_cast<std::int64_t>(std::lower_bound(all.begin(), all.end(), word) -
                                         all.begin());
      };
      if (scan_.key_is_string[j]) {
        r.identity = false;
        if (f.keys[j].is_string) {
          for (const std::string& w : f.keys[j].words) r.of_code.push_back(code_of(w));
        } else {  // this file alone read as integers: map each integer's text
          for (const std::string& w : all) {
            std::int64_t v = 0;
            if (canonical_integer(w, v)) r.of_integer.emplace(v, code_of(w));
          }
        }
      }
      per_key.push_back(std::move(r));
    }
    recode_.push_back(std::move(per_key));
  }
}

std::int64_t partitioned_run::partition_of(std::int64_t ns) const {
  return day_partition(ns, spec_.zone.get());
}

std::string partitioned_run::partition_dir(std::int64_t partition) const {
  return partition_path(writing_, partition);
}

loaded_table partitioned_run::read_batch(const tsfill::backfill::batch& b) const {
  loaded_table t;
  for (std::size_t j = 0; j < spec_.keys.size(); ++j) {
    loaded_key k;
    k.name = spec_.keys[j];
    k.is_string = scan_.key_is_string[j];
    if (k.is_string) k.words = scan_.key_words[j];
    t.keys.push_back(std::move(k));
  }
  for (std::size_t c = 0; c < scan_.value_names.size(); ++c) {
    loaded_value v;
    v.name = scan_.value_names[c];
    v.type = value_types_[c];
    t.values.push_back(std::move(v));
  }
  std::vector<std::int64_t> codes;
  std::vector<std::uint8_t> valid;
  for (std::size_t f = 0; f < spills_.size(); ++f) {
    const spilled_file& s = spills_[f];
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (const std::int64_t p : b.partitions)
      if (const auto it = s.ranges.find(p); it != s.ranges.end()) ranges.push_back(it->second);
    if (ranges.empty()) continue;
    t.files.push_back(scan_.files[f].path);
    t.file_first_row.push_back(t.rows());
    const int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw run_failure(s.path + ": cannot open the spill file: " + std::strerror(errno));
    struct closer {
      int fd;
      ~closer() { ::close(fd); }
    } close_at_end{fd};
    for (const auto& [first, count] : ranges) {
      const std::size_t base = t.rows();
      t.time.resize(base + count);
      read_spilled(s, fd, 0, first, count, t.time.data() + base);
      t.source_row.resize(base + count);
      read_spilled(s, fd, 1, first, count, t.source_row.data() + base);
      for (std::size_t j = 0; j < t.keys.size(); ++j) {
        codes.resize(count);
        read_spilled(s, fd, s.first_key() + j, first, count, codes.data());
        const key_recode& r = recode_[f][j];
        std::vector<std::int64_t>& out = t.keys[j].values;
        for (const std::int64_t v : codes)
          out.push_back(r.identity            ? v
                        : s.keys[j].is_string ? r.of_code[static_cast<std::size_t>(v)]
                                              : r.of_integer.at(v));
      }
      for (std::size_t c = 0; c < t.values.size(); ++c) {
        loaded_value& v = t.values[c];
        if (value_column_[f][c] == absent_column) {  // the file lacks it: nulls
          tsfill::visit(v.type, [&](auto* tag) {
            v.data<std::remove_pointer_t<decltype(tag)>>().resize(base + count);
          });
          v.validity.resize((base + count + 7) / 8, 0);
          v.nulls += count;
          continue;
        }
        const std::size_t column = s.first_value() + 2 * value_column_[f][c];
        tsfill::visit(v.type, [&](auto* tag) {
          using T = std::remove_pointer_t<decltype(tag)>;
          std::vector<T>& data = v.data<T>();
          data.resize(base + count);
          read_spilled(s, fd, column, first, count, data.data() + base);
        });
        valid.resize(count);
        read_spilled(s, fd, column + 1, first, count, valid.data());
        v.validity.resize((base + count + 7) / 8, 0);
        for (std::size_t r = 0; r < count; ++r) {
          const std::size_t row = base + r;
          if (valid[r])
            v.validity[row / 8] =
                static_cast<std::uint8_t>(v.validity[row / 8] | (1U << (row % 8)));
          else
            ++v.nulls;
        }
      }
      t.rows_read += count;
      if (f < dropped_.size() && !dropped_[f].empty()) {  // --unique: delivered again later
        std::vector<std::uint8_t> keep(count);
        for (std::size_t r = 0; r < count; ++r)
          keep[r] = dropped_[f].count(t.source_row[base + r]) == 0;
        keep_rows(t, base, keep);
      }
      if (b.up_to) keep_up_to(t, s, fd, first, count, base, *b.up_to);
    }
  }
  return t;
}

// Drops the rows appended from `base` whose sequence number is above `up_to` (a sequence
// range computes its partitions from the rows up to its end only).
void partitioned_run::keep_up_to(loaded_table& t, const spilled_file& s, int fd, std::size_t first,
                                 std::size_t count, std::size_t base, std::int64_t up_to) const {
  std::vector<std::int64_t> seq(count);
  read_spilled(s, fd, 2, first, count, seq.data());
  std::vector<std::uint8_t> keep(count);
  for (std::size_t r = 0; r < count; ++r) keep[r] = seq[r] <= up_to;
  const std::size_t before = t.rows();
  keep_rows(t, base, keep);
  t.rows_filtered += before - t.rows();  // read, then left out, as --where counts them
}

partitioned_run::evaluated partitioned_run::evaluate(const tsfill::backfill::batch& b) const {
  loaded_table t = read_batch(b);
  tsfill::run_options opt;
  opt.first_partition = b.first();
  opt.last_partition = b.last();
  if (spec_.carry_in) opt.carry_in = &seed_;
  tsfill::result r = job_.run(t, opt);
  return {std::move(t), std::move(r)};
}

void partitioned_run::carry(const tsfill::result& r) {
  if (spec_.carry_in) seed_ = tsfill::carry_out(r, seed_);
}

std::vector<tsfill::backfill::partition_result> partitioned_run::compute(
    const tsfill::backfill::batch& b) {
  const evaluated ev = evaluate(b);
  const loaded_table& t = ev.rows;
  const tsfill::result& r = ev.result;
  const output_layout layout = layout_of(writing_, t, r, false);

  std::vector<tsfill::backfill::partition_result> out;
  const auto& segments = r.segments();
  for (const std::int64_t p : b.targets) {
    std::size_t s = 0;
    while (s < segments.size() && segments[s].partition != p) ++s;
    std::size_t e = s, cells = 0;
    while (e < segments.size() && segments[e].partition == p) cells += segments[e++].size;
    tsfill::backfill::partition_result res;
    res.partition = p;
    res.rows_in = scan_.partition_rows.count(p) ? scan_.partition_rows.at(p) : 0;
    res.rows_out = cells;
    if (s < e) {
      const tsfill::backfill::written_partition w =
          sink_.replace(partition_dir(p), [&](const std::string& path) {
            write_segments(path, format_, writing_, layout, t, r, s, e);
          });
      res.checksum = w.checksum;
    }
    out.push_back(std::move(res));
  }
  carry(r);
  return out;
}

}  // namespace tsfill_cli
