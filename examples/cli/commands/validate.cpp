// `tsfill validate --source INPUT... --target DIR [JOB] [--by COL,...] [--json]`: checks a
// partitioned target (what fill or backfill wrote, or anyone else) against its source,
// partition by partition (memory: one partition):
//   partition  every partition with source rows exists in the target, and no other;
//   rows       the target has the rows the job's grid gives (keys x slots);
//   uniform    every key has the same number of slots (the session's, with a session grid);
//   observed   every observed source value (after the filters and dedup) is in the target,
//              unchanged, and the target has no observed value the source lacks;
//   filled     filled columns equal the original wherever it is not null (fill only gaps);
//   carried    with a forward fill and no --carry-in, nothing before a key's first
//              observation in a partition is filled (nothing carried across partitions);
//   by         with --by, observed cells per group equal the source's;
//   provenance with --provenance (the job wrote COL_how), each cell's COL_how is the status
//              the source gives it: observed exactly where the source observed a value.
// Exit 0 only if every check passes; each failure names the partition (and the key).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../app/flags.hpp"
#include "../app/job_spec.hpp"
#include "../app/notices.hpp"
#include "../backfill/partitioned_run.hpp"
#include "../json.hpp"
#include "commands.hpp"
#include "paths.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

namespace fs = std::filesystem;
namespace bf = tsfill::backfill;

struct validate_spec {
  std::string target;
  std::vector<std::string> by;           // key columns to reconcile counts by
  std::optional<std::int64_t> from, to;  // the partitions to check (days)
  bool json = false;
};

struct failure {
  std::string check, message;
};
struct partition_report {
  std::int64_t partition = 0;
  std::uint64_t source_rows = 0, target_rows = 0;
  std::vector<failure> failures;
};

template <class T>
std::string number_text(T v) {
  if constexpr (std::is_floating_point_v<T>)
    if (std::isnan(v)) return "NaN";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// A loaded cell as text (shortest round trip: equal texts <=> equal values), or none.
std::optional<std::string> cell_text(const loaded_value& v, std::size_t row) {
  if (((static_cast<unsigned>(v.validity[row / 8]) >> (row % 8)) & 1U) == 0) return std::nullopt;
  std::string s;
  tsfill::visit(v.type, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    s = number_text(v.data<T>()[row]);
  });
  return s;
}

std::optional<std::string> result_text(const tsfill::result_column& c, std::size_t i, bool filled) {
  if (!(filled ? c.filled_valid(i) : c.original_valid(i))) return std::nullopt;
  std::string s;
  tsfill::visit(c.type(), [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    s = number_text((filled ? c.filled<T>() : c.original<T>())[i]);
  });
  return s;
}

std::string key_word(const loaded_key& k, std::int64_t v) {
  return k.is_string ? k.words[static_cast<std::size_t>(v)] : std::to_string(v);
}

// "(SPY, 30)"
std::string key_label(const std::vector<std::string>& key) {
  std::string s = "(";
  for (std::size_t j = 0; j < key.size(); ++j) s += (j ? ", " : "") + key[j];
  return s + ")";
}

// The target's partitions: DIR/<name>=YYYY-MM-DD/ directories (or, with the ymd layout,
// DIR/year=YYYY/month=MM/day=DD/), each with its files.
std::map<std::int64_t, std::vector<std::string>> target_partitions(const std::string& dir,
                                                                   const std::string& name,
                                                                   bool ymd) {
  std::map<std::int64_t, std::vector<std::string>> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw flag_error("--target", dir + " is not a directory of partitions");
  // (directory, date text) of every partition directory
  std::vector<std::pair<fs::path, std::string>> found;
  auto children = [&](const fs::path& d, const std::string& prefix, auto&& each) {
    for (const auto& e : fs::directory_iterator(d, ec)) {
      const std::string n = e.path().filename().string();
      if (e.is_directory() && n.rfind(prefix, 0) == 0) each(e.path(), n.substr(prefix.size()));
    }
  };
  if (!ymd) {
    children(dir, name + "=",
             [&](const fs::path& p, const std::string& d) { found.emplace_back(p, d); });
  } else {
    children(dir, "year=", [&](const fs::path& y, const std::string& yy) {
      children(y, "month=", [&](const fs::path& m, const std::string& mm) {
        children(m, "day=", [&](const fs::path& d, const std::string& dd) {
          found.emplace_back(d, yy + "-" + mm + "-" + dd);
        });
      });
    });
  }
  for (const auto& [path, date] : found) {
    const auto day = tsfill::parse_date(date);
    if (!day) continue;
    const fs::directory_entry e(path);
    std::vector<std::string> files;
    for (const auto& f : fs::directory_iterator(e.path(), ec)) {
      const std::string fn = f.path().filename().string();
      if (f.is_regular_file() && fn[0] != '.' && fn[0] != '_') files.push_back(f.path().string());
    }
    std::sort(files.begin(), files.end());
    out[day->time_since_epoch().count()] = files;
  }
  return out;
}

class validator {
 public:
  validator(const job_spec& job, const validate_spec& v, partitioned_run& run)
      : job_(job), run_(run) {
    for (const std::string& b : v.by) {
      const auto it = std::find(job.keys.begin(), job.keys.end(), b);
      if (it == job.keys.end()) throw flag_error("--by", "'" + b + "' is not a --keys column");
      by_.push_back(static_cast<std::size_t>(it - job.keys.begin()));
    }
  }

  partition_report check(std::int64_t p, const std::vector<std::string>* files) {
    partition_report rep;
    rep.partition = p;
    const auto src = run_.scan().partition_rows.find(p);
    rep.source_rows = src == run_.scan().partition_rows.end() ? 0 : src->second;
    if (src == run_.scan().partition_rows.end()) {
      rep.failures.push_back({"partition", "the target has it, the source has no rows for it"});
      return rep;
    }
    const partitioned_run::evaluated ev = run_.evaluate(bf::batch::of(p));
    run_.carry(ev.result);
    if (files == nullptr || files->empty()) {
      rep.failures.push_back({"partition", "missing in the target (the source has " +
                                               std::to_string(rep.source_rows) + " rows for it)"});
      return rep;
    }
    loaded_table target;
    try {
      target = read_target(*files);
    } catch (const cli_error& e) {  // a damaged target file is this partition's failure
      rep.failures.push_back({"rows", std::string("cannot read the target: ") + e.what()});
      return rep;
    }
    rep.target_rows = target.rows();
    compare(ev, target, rep);
    return rep;
  }

 private:
  loaded_table read_target(const std::vector<std::string>& files) const {
    read_spec r;
    r.inputs = files;
    r.time_column = "slot_ts";
    r.keys = job_.keys;
    // COL_how is read as a word column after the keys (target_key() leaves it out).
    if (job_.provenance.how)
      for (const std::string& n : run_.scan().value_names) r.keys.push_back(n + "_how");
    r.csv.delimiter = job_.delimiter;
    r.csv.null_values = {""};
    r.progress = false;
    for (const std::string& n : run_.scan().value_names) r.value_patterns.push_back(n);
    for (const std::string& n : run_.scan().value_names)
      r.value_patterns.push_back(n + job_.suffix);
    return load_inputs(r);
  }

  // The key words of target row i (without the COL_how columns read after the keys).
  std::vector<std::string> target_key(const loaded_table& target, std::size_t i) const {
    std::vector<std::string> key;
    for (std::size_t j = 0; j < job_.keys.size(); ++j)
      key.push_back(key_word(target.keys[j], target.keys[j].values[i]));
    return key;
  }

  void compare(const partitioned_run::evaluated& ev, const loaded_table& target,
               partition_report& rep) const {
    const tsfill::result& r = ev.result;
    const std::vector<std::string>& names = run_.scan().value_names;
    const std::size_t nv = names.size();
    // Target rows by (key words, slot).
    std::map<std::pair<std::vector<std::string>, std::int64_t>, std::size_t> at;
    std::map<std::vector<std::string>, std::size_t> target_slots;
    for (std::size_t i = 0; i < target.rows(); ++i) {
      const std::vector<std::string> key = target_key(target, i);
      ++target_slots[key];
      at[{key, target.time[i]}] = i;
    }
    // rows
    std::size_t cells = 0;
    std::set<std::vector<std::string>> keys;
    std::size_t slots_per_key = 0;
    for (const tsfill::segment& s : r.segments()) {
      if (s.partition != rep.partition) continue;
      cells += s.size;
      slots_per_key = s.size;
      std::vector<std::string> key;
      for (std::size_t j = 0; j < ev.rows.keys.size(); ++j)
        key.push_back(key_word(ev.rows.keys[j], r.distinct_keys(j)[s.key]));
      keys.insert(key);
    }
    if (target.rows() != cells)
      rep.failures.push_back({"rows", "the target has " + std::to_string(target.rows()) +
                                          " rows, the source gives " + std::to_string(cells) +
                                          " (" + std::to_string(keys.size()) + " keys x " +
                                          std::to_string(slots_per_key) + " slots)"});
    // uniform
    std::optional<std::size_t> promised;
    if (run_.expected_slots()) promised = run_.expected_slots()(rep.partition);
    std::map<std::size_t, std::size_t> by_count;
    for (const auto& [key, n] : target_slots) ++by_count[n];
    if (by_count.size() > 1 ||
        (promised && !by_count.empty() && by_count.begin()->first != *promised)) {
      const std::size_t usual =
          promised ? *promised
                   : std::max_element(by_count.begin(), by_count.end(), [](auto& a, auto& b) {
                       return a.second < b.second;
                     })->first;
      for (const auto& [key, n] : target_slots)
        if (n != usual) {
          rep.failures.push_back({"uniform", "key " + key_label(key) + " has " + std::to_string(n) +
                                                 " slots, the others " + std::to_string(usual)});
          break;
        }
    }
    // observed, by: walk the expected cells
    std::size_t observed_bad = 0, provenance_bad = 0;
    std::string observed_msg, provenance_msg;
    std::map<std::vector<std::string>, std::pair<std::size_t, std::size_t>>
        groups;  // source, target
    std::set<std::size_t> matched;
    for (const tsfill::segment& s : r.segments()) {
      if (s.partition != rep.partition) continue;
      std::vector<std::string> key;
      for (std::size_t j = 0; j < ev.rows.keys.size(); ++j)
        key.push_back(key_word(ev.rows.keys[j], r.distinct_keys(j)[s.key]));
      std::vector<std::string> group;
      for (const std::size_t j : by_) group.push_back(key[j]);
      for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
        const std::int64_t slot = r.slot_times()[i];
        const auto it = at.find({key, slot});
        bool any = false;
        for (std::size_t c = 0; c < nv; ++c) {
          const auto want = result_text(r.values()[c], i, false);
          any = any || want.has_value();
          if (job_.provenance.how && it != at.end()) {
            const loaded_key& how = target.keys[job_.keys.size() + c];
            const std::string got_how = key_word(how, how.values[it->second]);
            const char* want_how = tsfill::to_string(r.values()[c].status()[i]);
            if (got_how != want_how && provenance_bad++ == 0)
              provenance_msg = "key " + key_label(key) + " slot " + format_timestamp(slot) + ": " +
                               names[c] + "_how is " + shown_cell(got_how) +
                               " in the target, the source gives " + want_how;
          }
          std::optional<std::string> got;
          if (it != at.end()) got = cell_text(target.values[c], it->second);
          if (got == want || (!want && it == at.end())) continue;  // (a missing row: "rows")
          if (observed_bad++ == 0)
            observed_msg = "key " + key_label(key) + " slot " + format_timestamp(slot) + ": " +
                           names[c] + " is " +
                           (got ? *got : std::string(it == at.end() ? "a missing row" : "null")) +
                           " in the target, " + want.value_or("null") + " in the source";
        }
        if (any) ++groups[group].first;
        if (it != at.end()) matched.insert(it->second);
      }
    }
    // Observed values the source does not have (a target row or value added).
    for (std::size_t i = 0; i < target.rows(); ++i) {
      const std::vector<std::string> key = target_key(target, i);
      std::vector<std::string> group;
      for (const std::size_t j : by_) group.push_back(key[j]);
      bool any = false;
      for (std::size_t c = 0; c < nv; ++c) any = any || cell_text(target.values[c], i).has_value();
      if (any) ++groups[group].second;
      if (matched.count(i) != 0 || !any) continue;
      if (observed_bad++ == 0)
        observed_msg = "key " + key_label(key) + " slot " + format_timestamp(target.time[i]) +
                       ": the target has a value the source does not";
    }
    if (observed_bad)
      rep.failures.push_back(
          {"observed",
           observed_msg +
               (observed_bad > 1 ? " (and " + std::to_string(observed_bad - 1) + " more)" : "")});
    if (provenance_bad)
      rep.failures.push_back(
          {"provenance",
           provenance_msg + (provenance_bad > 1
                                 ? " (and " + std::to_string(provenance_bad - 1) + " more)"
                                 : "")});
    // filled, carried: within the target
    const bool forward_only =
        job_.fill.method == fill_method::forward && job_.fill_for.empty() && !job_.carry_in;
    std::size_t filled_bad = 0, carried_bad = 0;
    std::string filled_msg, carried_msg;
    std::map<std::vector<std::string>, std::vector<std::size_t>> rows_of;
    for (std::size_t i = 0; i < target.rows(); ++i) {
      const std::vector<std::string> key = target_key(target, i);
      rows_of[key].push_back(i);
    }
    for (auto& [key, rows] : rows_of) {
      std::sort(rows.begin(), rows.end(),
                [&](std::size_t a, std::size_t b) { return target.time[a] < target.time[b]; });
      for (std::size_t c = 0; c < nv; ++c) {
        bool seen = false;
        for (const std::size_t i : rows) {
          const auto orig = cell_text(target.values[c], i);
          const auto fill = cell_text(target.values[nv + c], i);
          if (orig && fill != orig && filled_bad++ == 0)
            filled_msg = "key " + key_label(key) + " slot " + format_timestamp(target.time[i]) +
                         ": " + names[c] + job_.suffix + " is " + fill.value_or("null") +
                         " where " + names[c] + " is " + *orig;
          seen = seen || orig.has_value();
          if (forward_only && !seen && fill && carried_bad++ == 0)
            carried_msg = "key " + key_label(key) + " slot " + format_timestamp(target.time[i]) +
                          ": " + names[c] + job_.suffix + " is " + *fill +
                          " before the key's first observation in the partition";
        }
      }
    }
    if (filled_bad)
      rep.failures.push_back(
          {"filled",
           filled_msg +
               (filled_bad > 1 ? " (and " + std::to_string(filled_bad - 1) + " more)" : "")});
    if (carried_bad)
      rep.failures.push_back(
          {"carried",
           carried_msg +
               (carried_bad > 1 ? " (and " + std::to_string(carried_bad - 1) + " more)" : "")});
    if (!by_.empty())
      for (const auto& [group, n] : groups)
        if (n.first != n.second) {
          rep.failures.push_back({"by", "group " + key_label(group) + ": " +
                                            std::to_string(n.second) +
                                            " observed cells in the target, " +
                                            std::to_string(n.first) + " in the source"});
        }
  }

  const job_spec& job_;
  partitioned_run& run_;
  std::vector<std::size_t> by_;
};

int run_validate(const job_spec& job, const validate_spec& v) {
  const spill_dir spill(std::filesystem::temp_directory_path().string());
  partitioned_run run(job, 1, &spill, [&](std::int64_t p) {
    return (!v.to || p <= *v.to) && (job.carry_in || !v.from || p >= *v.from);
  });
  note_columns_left_out(run.scan().not_numeric);
  const auto target = target_partitions(v.target, job.partition_name, job.ymd_layout);
  std::set<std::int64_t> all;
  for (const auto& [p, rows] : run.scan().partition_rows) all.insert(p);
  for (const auto& [p, files] : target) all.insert(p);
  validator check(job, v, run);
  std::vector<partition_report> reports;
  for (const std::int64_t p : all) {
    if (v.to && p > *v.to) break;
    if (v.from && p < *v.from) {
      if (job.carry_in && run.scan().partition_rows.count(p) != 0)
        run.carry(run.evaluate(bf::batch::of(p)).result);  // values carried into the range
      continue;
    }
    const auto it = target.find(p);
    reports.push_back(check.check(p, it == target.end() ? nullptr : &it->second));
  }
  std::size_t failed = 0;
  for (const partition_report& r : reports) failed += !r.failures.empty();
  if (v.json) {
    std::string s =
        "{\n  \"ok\": " + std::string(failed ? "false" : "true") + ",\n  \"partitions\": [";
    for (std::size_t i = 0; i < reports.size(); ++i) {
      const partition_report& r = reports[i];
      s += (i ? ",\n    " : "\n    ") + std::string("{\"partition\": ") +
           json_string(format_date(r.partition)) +
           ", \"source_rows\": " + std::to_string(r.source_rows) +
           ", \"target_rows\": " + std::to_string(r.target_rows) +
           ", \"ok\": " + (r.failures.empty() ? "true" : "false") + ", \"failures\": [";
      for (std::size_t f = 0; f < r.failures.size(); ++f)
        s += (f ? ", " : "") + std::string("{\"check\": ") + json_string(r.failures[f].check) +
             ", \"message\": " + json_string(r.failures[f].message) + "}";
      s += "]}";
    }
    s += "\n  ]\n}\n";
    std::fputs(s.c_str(), stdout);
  } else {
    std::printf("%-12s %12s %12s  %s\n", "partition", "source rows", "target rows", "result");
    for (const partition_report& r : reports) {
      std::printf("%-12s %12llu %12llu  %s\n", format_date(r.partition).c_str(),
                  static_cast<unsigned long long>(r.source_rows),
                  static_cast<unsigned long long>(r.target_rows),
                  r.failures.empty() ? "ok" : "FAILED");
      for (const failure& f : r.failures)
        std::printf("  %s %s: %s\n", format_date(r.partition).c_str(), f.check.c_str(),
                    f.message.c_str());
    }
    std::printf("%zu of %zu partitions pass\n", reports.size() - failed, reports.size());
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_validate_command(CLI::App& app, command_run& run) {
  CLI::App* cmd = app.add_subcommand(
      "validate",
      "Check a partitioned target against its source, partition by partition: partitions "
      "present, rows of the grid, uniform slot counts, every observed value unchanged, fills "
      "only where null, nothing carried across partitions, and with --by counts per group. "
      "Exit 0 only if all pass.");
  auto flags = std::make_shared<flag_texts>();
  add_input_flags(*cmd, *flags);
  add_job_flags(*cmd, *flags);
  CLI::App& g = *cmd->add_option_group("validate", "What to check");
  flags->value(g, "--source", "INPUT",
               "the source: files or directories (repeatable; or as INPUT...)");
  flags->value(g, "--target", "DIR", "the partitioned target to check");
  flags->value(g, "--partition-name", "NAME",
               "the target's partition directory name (default partition_date)");
  flags->value(g, "--from", "DATE", "first partition to check (default: all)");
  flags->value(g, "--to", "DATE", "last partition to check, inclusive (default: all)");
  flags->value(g, "--layout", "day|ymd",
               "the target's directories: NAME=YYYY-MM-DD (default) or year=YYYY/month=MM/day=DD");
  flags->value(g, "--by", "COL[,COL...]",
               "also reconcile observed cells per group of these key columns");
  flags->value_or_bare(g, "--provenance", "all", "",
                       "the target was written with --provenance: check that each cell's "
                       "COL_how is the status the source gives it");
  flags->toggle(g, "--json", "print JSON: {\"ok\": ..., \"partitions\": [...]}");
  cmd->allow_extras();
  cmd->callback([cmd, flags, &run] {
    refuse_unknown_flags(*cmd);
    validate_spec v;
    if (const auto t = flags->last("--target")) v.target = *t;
    if (v.target.empty()) throw flag_error("--target", "required: the partitioned output to check");
    if (const auto b = flags->last("--by")) {
      std::size_t start = 0;
      for (std::size_t p; (p = b->find(',', start)) != std::string::npos; start = p + 1)
        v.by.push_back(b->substr(start, p - start));
      v.by.push_back(b->substr(start));
    }
    v.json = flags->on("--json");
    for (const char* flag : {"--from", "--to"})
      if (const auto d = flags->last(flag)) {
        const auto day = tsfill::parse_date(*d);
        if (!day) throw flag_error(flag, "expected a date YYYY-MM-DD, got '" + *d + "'");
        (flag[2] == 'f' ? v.from : v.to) = day->time_since_epoch().count();
      }
    job_spec spec = job_spec_from(*flags);
    for (const std::string& s : flags->all("--source")) spec.inputs.push_back(s);
    if (spec.inputs.empty())
      throw flag_error("--source", "required: the input the target was made from");
    spec.output = v.target;
    spec.progress = false;
    validate(spec);
    if (!spec.partition_by_day)
      throw flag_error("--partition", "validate checks partitions: use day");
    if (spec.grid == grid_kind::range || spec.grid == grid_kind::session)
      throw flag_error("--grid", "range and session grids are not supported by validate yet");
    run = [spec = std::move(spec), v = std::move(v)] { return run_validate(spec, v); };
  });
}

}  // namespace tsfill_cli
