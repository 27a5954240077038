#include "partitioned_run.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <exception>
#include <set>
#include <thread>
#include <utility>

#include "cli_error.hpp"
#include "output.hpp"
#include "paths.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

constexpr std::int64_t day_ns = 86'400'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}

// The text of a key value as the readers saw it (integer keys were words once).
std::string key_text(const loaded_key& k, std::int64_t v) {
  return k.is_string ? k.words[static_cast<std::size_t>(v)] : std::to_string(v);
}

// The readers' rule (finish_string_key): a key whose every word is an integer in canonical
// form is an integer key.
bool all_integers(const std::set<std::string>& words) {
  if (words.empty()) return false;
  for (const std::string& s : words) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || std::to_string(v) != s) return false;
  }
  return true;
}

// What the scan keeps of one file.
struct file_scan {
  file_summary summary;
  std::vector<std::string> value_names;
  std::vector<std::set<std::string>> key_words;
  std::string error;  // a cli_error's message (the file, row and column)
};

std::string format_of(const job_spec& o, const write_spec& w) {
  if (!o.format.empty()) return o.format;
  return w.default_format.empty() ? "csv" : w.default_format;  // the input's
}

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::vector<std::int64_t> input_scan::partitions() const {
  std::vector<std::int64_t> v;
  for (const auto& [p, rows] : partition_rows) v.push_back(p);
  return v;
}

partitioned_run::partitioned_run(const job_spec& o, unsigned workers)
    : spec_(o),
      reading_(o.reading()),
      writing_(o.writing()),
      format_(format_of(o, writing_)),
      job_(make_job(o)),
      sink_(without_trailing_slash(writing_.output), "part-0." + format_) {
  reading_.progress = false;
  reading_.partition_of = [this](std::int64_t ns) { return partition_of(ns); };

  // --- the scan: each file alone, on up to `workers` threads --------------------------------
  const std::vector<std::string> files = discover_inputs(o.inputs);
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
        for (const loaded_value& v : t.values) s.value_names.push_back(v.name);
        for (const loaded_key& k : t.keys) {
          std::set<std::string> words;
          if (k.is_string)
            words.insert(k.words.begin(), k.words.end());
          else
            for (const std::int64_t v : k.values) words.insert(std::to_string(v));
          s.key_words.push_back(std::move(words));
        }
      } catch (const cli_error& e) {
        s.error = e.what();
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
  for (const file_scan& s : scans)
    if (!s.error.empty()) throw cli_error(s.error);
  std::vector<std::set<std::string>> words(o.keys.size());
  for (std::size_t i = 0; i < scans.size(); ++i) {
    const file_scan& s = scans[i];
    scan_.files.push_back(s.summary);
    for (const auto& [p, rows] : s.summary.partitions) scan_.partition_rows[p] += rows;
    for (std::size_t j = 0; j < words.size() && j < s.key_words.size(); ++j)
      words[j].insert(s.key_words[j].begin(), s.key_words[j].end());
    if (i == 0) {
      scan_.value_names = s.value_names;
    } else {  // a column not numeric in some file is no value column (as in one run)
      std::erase_if(scan_.value_names, [&](const std::string& n) {
        return std::find(s.value_names.begin(), s.value_names.end(), n) == s.value_names.end();
      });
    }
  }
  for (const std::set<std::string>& w : words) {
    scan_.key_is_string.push_back(!all_integers(w));
    scan_.key_words.emplace_back(w.begin(), w.end());
  }
  if (scan_.value_names.empty())
    throw flag_error("--values", "no column is numeric in every input file: nothing to fill");
  reading_.value_patterns = scan_.value_names;  // exactly these, in every batch
}

std::int64_t partitioned_run::partition_of(std::int64_t ns) const {
  if (!spec_.zone) return floor_div(ns, day_ns);
  const std::int64_t offset = spec_.zone->offset_at(floor_div(ns, 1'000'000'000));
  return floor_div(ns + offset * 1'000'000'000, day_ns);
}

std::string partitioned_run::partition_dir(std::int64_t partition) const {
  return writing_.partition_name + "=" + format_date(partition);
}

loaded_table partitioned_run::read_batch(const tsfill::backfill::batch& b) const {
  read_spec r = reading_;
  r.inputs.clear();
  for (const file_summary& f : scan_.files)
    for (const std::int64_t p : b.partitions)
      if (f.partitions.count(p) != 0) {
        r.inputs.push_back(f.path);
        break;
      }
  std::vector<std::int64_t> wanted = b.partitions;  // sorted
  r.keep_time = [this, wanted](std::int64_t ns) {
    return std::binary_search(wanted.begin(), wanted.end(), partition_of(ns));
  };
  return load_inputs(r);
}

void partitioned_run::recode_keys(loaded_table& t) const {
  for (std::size_t j = 0; j < t.keys.size(); ++j) {
    loaded_key& k = t.keys[j];
    if (!scan_.key_is_string[j]) continue;  // integers everywhere: the values are the keys
    const std::vector<std::string>& all = scan_.key_words[j];
    for (std::int64_t& v : k.values) {
      const std::string text = key_text(k, v);
      v = std::lower_bound(all.begin(), all.end(), text) - all.begin();
    }
    k.words = all;
    k.is_string = true;
  }
}

partitioned_run::evaluated partitioned_run::evaluate(const tsfill::backfill::batch& b) const {
  loaded_table t = read_batch(b);
  recode_keys(t);
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
