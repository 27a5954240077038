// `tsfill history apply|verify|roll`: month-partitioned tables of rolling history arrays.
//   apply   late values (a staging file of key, month, values) into every partition of
//           their window [m, m + N - 1] at index p - m, new rows in month m first; each
//           rewritten partition replaced atomically and recorded, with its audit, in the
//           progress store, so a killed run resumes (apply is idempotent: same bytes);
//   verify  exit 0 only if every staged value sits at its index in every partition;
//   roll    month M built from M - 1 (arrays shifted by one, the new month's values at 0).
// The rule is the library's (tsfill::history); this file reads flags and files, drives
// the workers and the store, and prints what happened.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <tsfill/backfill.hpp>
#include <tsfill/history.hpp>

#include "../app/flags.hpp"
#include "commands.hpp"
#include "history_io.hpp"

namespace tsfill_cli {
namespace {

namespace bf = tsfill::backfill;
namespace h = tsfill::history;

struct history_spec {
  std::string table, staging, input, state, id = "default";
  history_layout layout;
  h::staged_dedup dedup = h::staged_dedup::reject;
  char delimiter = ',';
  unsigned workers = 1;
  bool dry_run = false;
  std::optional<h::month> month;  // roll
};

// The store's partition id of a month: the day number of its first day (status shows it
// as that date).
std::int64_t month_id(h::month m) {
  using namespace std::chrono;
  const std::int64_t y = 1970 + (m >= 0 ? m / 12 : -((-m + 11) / 12));
  const unsigned mo = static_cast<unsigned>(m - (y - 1970) * 12 + 1);
  return sys_days(year_month_day(year(static_cast<int>(y)), std::chrono::month(mo), day(1)))
      .time_since_epoch()
      .count();
}

std::string thousands(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// The table's partitions, the key kind and column names (from the newest partition).
struct table_view {
  std::map<h::month, history_partition> parts;
  std::vector<std::string> columns;
  history_keys keys;
};

void open_table(const history_spec& o, table_view& t) {
  t.parts = list_history_partitions(o.table);
  if (t.parts.empty())
    throw flag_error("--table", o.table + " has no month=YYYY-MM/part-0.parquet|csv partitions");
  t.columns = inspect_history_partition(t.parts.rbegin()->second, o.layout, t.keys, o.delimiter);
}

h::staged_set staged_of(const history_spec& o, const h::staging& s, const history_keys& keys) {
  try {
    return h::staged_set(s, o.dedup);
  } catch (const h::duplicate_staged& e) {
    const std::size_t i = static_cast<std::size_t>(
        std::find(s.rows.begin(), s.rows.end(), e.first_row) - s.rows.begin());
    const std::string key = keys.text ? keys.word(s.keys[i]) : std::to_string(s.keys[i]);
    throw cli_error(o.staging + ": rows " + std::to_string(e.first_row) + " and " +
                    std::to_string(e.second_row) + " stage two values for key " + shown_cell(key) +
                    " and month " + h::month_text(s.months[i]) +
                    " (--dedup last keeps the later row)");
  }
}

// The table and the staging file read together (apply, verify): the layout completed from
// the staging file's header, its staged set, and the partitions in some staged window.
// (Not movable: the set refers to `s`.)
struct staged_table {
  table_view t;
  history_spec spec;
  h::staging s;
  std::optional<h::staged_set> set;
  std::vector<h::month> touched;

  explicit staged_table(const history_spec& o) : spec(o) {
    open_table(o, t);
    s = read_staging(o.staging, spec.layout, t.columns, t.keys, o.delimiter);
    set.emplace(staged_of(spec, s, t.keys));
    std::vector<h::month> months;
    for (const auto& [m, p] : t.parts) months.push_back(m);
    touched = set->partitions_touched(months, spec.layout.length);
  }
  staged_table(const staged_table&) = delete;
  staged_table& operator=(const staged_table&) = delete;
};

// The staged months whose window holds no partition of the table: reported, not an error.
void note_nothing_to_do(const table_view& t, const h::staging& s, std::size_t length) {
  std::map<h::month, std::size_t> idle;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto it = t.parts.lower_bound(s.months[i]);
    if (it == t.parts.end() || it->first > s.months[i] + static_cast<h::month>(length) - 1)
      ++idle[s.months[i]];
  }
  if (idle.empty()) return;
  std::string list;
  for (const auto& [m, n] : idle)
    list += (list.empty() ? "" : ", ") + h::month_text(m) + " (" + std::to_string(n) + " rows)";
  std::fprintf(stderr,
               "tsfill: note: nothing to do for staged months whose window [m, m+%zu] holds no "
               "partition (after every partition or before every window): %s\n",
               length - 1, list.c_str());
}

// Reads, applies and (when something changed) writes one partition.
struct applied {
  h::apply_audit audit;
  std::size_t rows_in = 0, rows_out = 0;
  bf::written_partition written;
};

applied apply_one(const history_spec& o, history_partition p, const h::staged_set& set,
                  history_keys& keys, const bf::directory_sink* sink) {
  applied a;
  read_history_partition(p, o.layout, keys, o.delimiter);
  a.rows_in = p.data.rows();
  try {
    a.audit = h::apply(p.data, set);
  } catch (const std::invalid_argument& e) {  // a key with two rows in the month
    throw cli_error(p.path + ": " + e.what());
  }
  a.rows_out = p.data.rows();
  if (sink && a.audit.changed())
    a.written = sink->replace(p.dir, [&](const std::string& path) {
      write_history_partition(p, path, keys, o.delimiter);
    });
  else if (sink)
    a.written.checksum = bf::file_checksum(p.path);
  return a;
}

int run_apply(const history_spec& o) {
  staged_table st(o);
  table_view& t = st.t;
  const history_spec& spec = st.spec;
  const history_layout& layout = spec.layout;
  const h::staging& s = st.s;
  const h::staged_set& set = *st.set;
  const std::vector<h::month>& touched = st.touched;
  note_nothing_to_do(t, s, layout.length);
  // Every touched partition's key and array columns checked before anything is written
  // (what only the rows show, an array of the wrong length, fails its partition).
  for (const h::month m : touched) {
    history_keys probe = t.keys;
    inspect_history_partition(t.parts.at(m), layout, probe, o.delimiter);
    check_history_columns(t.parts.at(m), layout, o.delimiter);
  }
  if (o.dry_run) {
    std::printf("history apply %s: %zu staged rows, %zu partitions in their windows\n",
                o.id.c_str(), set.entries().size(), touched.size());
    for (const h::month m : touched) {
      const applied a = apply_one(spec, t.parts.at(m), set, t.keys, nullptr);
      std::printf("  %s  %zu rows, %zu would change, %zu new, %zu values\n",
                  t.parts.at(m).dir.c_str(), a.rows_in, a.audit.rows_changed, a.audit.new_rows,
                  a.audit.values_placed);
    }
    return 0;
  }
  std::unique_ptr<bf::sqlite_store> store;
  try {
    store = std::make_unique<bf::sqlite_store>(o.state);
    std::string job = "history apply --table " + o.table + " --staging " + o.staging + " --key " +
                      layout.key + " --length " + std::to_string(layout.length);
    for (const auto& [array, staged] : layout.columns) job += " --column " + array + "=" + staged;
    job += o.dedup == h::staged_dedup::last ? " --dedup last" : " --dedup reject";
    store->open_backfill(o.id, job, bf::wall_clock_ms());
  } catch (const bf::store_busy& e) {
    throw busy_error(e.what());
  } catch (const bf::store_error& e) {
    throw flag_error("--state", e.what());
  }
  const auto done = store->partitions(o.id);
  std::vector<h::month> todo;
  for (const h::month m : touched) {
    const auto it = done.find(month_id(m));
    if (it == done.end() || it->second.status != bf::partition_status::complete) todo.push_back(m);
  }
  std::map<std::string, std::unique_ptr<bf::directory_sink>> sinks;  // per file name
  for (const auto& [m, p] : t.parts) {
    const std::string file = p.path.substr(p.path.rfind('/') + 1);
    if (!sinks.count(file)) {
      sinks[file] = std::make_unique<bf::directory_sink>(o.table, file);
      sinks[file]->remove_staged();
    }
  }
  {
    std::vector<std::int64_t> ids;
    for (const h::month m : todo) ids.push_back(month_id(m));
    store->set_pending(o.id, ids);
  }
  std::mutex store_mutex;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> failed{0}, rewritten{0};
  std::atomic<std::uint64_t> rows_changed{0}, values{0}, new_rows{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < todo.size();) {
      const h::month m = todo[i];
      const history_partition& p = t.parts.at(m);
      {
        const std::lock_guard lock(store_mutex);
        store->mark_running(o.id, month_id(m), bf::wall_clock_ms());
      }
      bf::partition_record r;
      r.partition = month_id(m);
      bf::sqlite_store::history_audit audit;
      try {
        history_keys keys = t.keys;  // (read-only lookups; each worker its own copy)
        const std::string file = p.path.substr(p.path.rfind('/') + 1);
        const applied a = apply_one(spec, p, set, keys, sinks.at(file).get());
        r.status = bf::partition_status::complete;
        r.rows_in = a.rows_in;
        r.rows_out = a.rows_out;
        r.checksum = a.written.checksum;
        audit = {a.audit.rows_changed, a.audit.values_placed, a.audit.new_rows};
        rewritten += a.audit.changed() && !a.written.unchanged;
        rows_changed += a.audit.rows_changed;
        values += a.audit.values_placed;
        new_rows += a.audit.new_rows;
      } catch (const std::exception& e) {
        r.status = bf::partition_status::failed;
        r.error = without_prefix(e.what());
        ++failed;
        std::fprintf(stderr, "tsfill: %s FAILED: %s\n", p.dir.c_str(), r.error.c_str());
      }
      r.finished_ms = bf::wall_clock_ms();
      const std::lock_guard lock(store_mutex);
      store->mark_done_with_audit(o.id, r, audit);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned w = 1; w < std::min<std::size_t>(o.workers, todo.size()); ++w)
    threads.emplace_back(work);
  work();
  for (std::thread& th : threads) th.join();
  store->finish_run(o.id, failed ? "failed" : "done", bf::wall_clock_ms());
  std::fprintf(stderr,
               "tsfill: history apply %s: %zu partitions in the staged windows, %zu done before, "
               "%zu rewritten, %zu FAILED; %s rows changed, %s values placed, %s new rows\n",
               o.id.c_str(), touched.size(), touched.size() - todo.size(), rewritten.load(),
               failed.load(), thousands(rows_changed).c_str(), thousands(values).c_str(),
               thousands(new_rows).c_str());
  return failed ? 1 : 0;
}

int run_verify(const history_spec& o) {
  staged_table st(o);
  table_view& t = st.t;
  const history_layout& layout = st.spec.layout;
  const h::staged_set& set = *st.set;
  std::size_t checked = 0, bad = 0, partitions = 0;
  for (const h::month m : st.touched) {
    history_partition p = t.parts.at(m);
    read_history_partition(p, layout, t.keys, o.delimiter);
    ++partitions;
    checked += set.window(m, layout.length).size() * layout.columns.size();
    for (const h::misplaced& x : h::verify(p.data, set)) {
      if (bad++ >= 20) continue;
      const std::string key = t.keys.text ? t.keys.word(x.key) : std::to_string(x.key);
      if (x.column == SIZE_MAX) {
        std::printf("  %s key %s: no row for the value staged for this month (row %zu)\n",
                    p.dir.c_str(), key.c_str(), x.staged_row);
        continue;
      }
      const auto& [array, staged] = layout.columns[x.column];
      std::string found = "null";
      if (x.found_valid) found = std::to_string(x.found);
      std::printf("  %s key %s: %s[%lld] holds %s, not what row %zu stages for %s\n", p.dir.c_str(),
                  key.c_str(), array.c_str(), static_cast<long long>(m - x.staged_month),
                  found.c_str(), x.staged_row, h::month_text(x.staged_month).c_str());
    }
  }
  if (bad > 20) std::printf("  (and %zu more)\n", bad - 20);
  std::printf("history verify: %zu partitions, %zu staged values checked, %zu misplaced: %s\n",
              partitions, checked, bad, bad ? "FAIL" : "ok");
  return bad ? 1 : 0;
}

int run_roll(const history_spec& o) {
  table_view t;
  open_table(o, t);
  const h::month m = *o.month;
  if (t.parts.count(m))
    throw flag_error("--month", "month=" + h::month_text(m) + " exists in " + o.table +
                                    "; roll builds a month the table does not have yet");
  const auto prev = t.parts.find(m - 1);
  if (prev == t.parts.end())
    throw flag_error("--month", "roll builds month M from M-1, and " + o.table +
                                    " has no month=" + h::month_text(m - 1));
  history_layout layout = o.layout;
  const h::staging in = read_staging(o.input, layout, t.columns, t.keys, o.delimiter, m);
  // Every array column moves on, staged or not (an unstaged one gets a null at index 0).
  std::vector<std::string> arrays;
  history_keys probe = t.keys;
  inspect_history_partition(prev->second, layout, probe, o.delimiter, &arrays);
  for (const std::string& a : arrays)
    if (std::none_of(layout.columns.begin(), layout.columns.end(),
                     [&](const auto& c) { return c.first == a; }))
      layout.columns.emplace_back(a, "");
  check_history_columns(prev->second, layout, o.delimiter);
  history_partition p = prev->second;
  read_history_partition(p, layout, t.keys, o.delimiter);
  h::rolled r;
  try {
    r = h::roll(p.data, in, o.dedup);
  } catch (const h::duplicate_staged& e) {
    throw cli_error(o.input + ": rows " + std::to_string(e.first_row) + " and " +
                    std::to_string(e.second_row) + " give two values for one key");
  } catch (const std::invalid_argument& e) {
    throw cli_error(p.path + ": " + e.what());
  }
  const std::size_t new_keys = r.part.rows() - p.data.rows();
  p.data = std::move(r.part);
  p.dir = "month=" + h::month_text(m);
  const std::string file = p.path.substr(p.path.rfind('/') + 1);
  const bf::directory_sink sink(o.table, file);
  sink.remove_staged();
  sink.replace(p.dir, [&](const std::string& path) {
    write_history_partition(p, path, t.keys, o.delimiter);
  });
  std::fprintf(stderr,
               "tsfill: history roll: %s from %s: %zu rows (%zu new keys), %zu input rows\n",
               p.dir.c_str(), prev->second.dir.c_str(), p.data.rows(), new_keys, in.size());
  return 0;
}

void add_layout_flags(CLI::App& c, flag_texts& f) {
  CLI::App& g = *c.add_option_group("table", "The history table");
  f.value(g, "--table", "DIR", "the table: DIR/month=YYYY-MM/part-0.parquet|csv");
  f.value(g, "--key", "COL", "the key column, in the table and the staging file (default acct)");
  f.value(g, "--length", "N", "the arrays' length N: index 0 = that month ... N-1 (default 36)");
  f.value(g, "--column", "ARRAY=STAGED",
          "staged column STAGED goes to array column ARRAY (repeatable; default: every staged "
          "column X to X_history)");
  f.value(g, "--month-column", "COL", "the staging file's month column, YYYY-MM (default month)");
  f.value(g, "--dedup", "reject|last",
          "two staged values for one key and month: an error naming both rows (reject, "
          "default), or the later row wins (last)");
  f.value(g, "--delimiter", "C", "CSV delimiter (default ,)");
}

history_spec spec_of(const flag_texts& f) {
  history_spec o;
  if (const auto v = f.last("--table")) o.table = *v;
  if (o.table.empty()) throw flag_error("--table", "required: the history table's directory");
  while (!o.table.empty() && o.table.size() > 1 && o.table.back() == '/') o.table.pop_back();
  if (const auto v = f.last("--key")) o.layout.key = *v;
  if (const auto v = f.last("--length")) o.layout.length = whole_number("--length", *v, 1, 100000);
  for (const std::string& c : f.all("--column")) {
    const auto eq = c.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == c.size())
      throw flag_error("--column", "expected ARRAY=STAGED, got " + shown_cell(c));
    o.layout.columns.emplace_back(c.substr(0, eq), c.substr(eq + 1));
    o.layout.columns_given = true;
  }
  if (const auto v = f.last("--month-column")) o.layout.month_column = *v;
  if (const auto v = f.last("--dedup")) {
    if (*v != "reject" && *v != "last")
      throw flag_error("--dedup", "expected reject or last, got " + shown_cell(*v));
    o.dedup = *v == "last" ? h::staged_dedup::last : h::staged_dedup::reject;
  }
  if (const auto v = f.last("--delimiter")) {
    if (v->size() != 1 && *v != "tab") throw flag_error("--delimiter", "expected one character");
    o.delimiter = *v == "tab" ? '\t' : (*v)[0];
  }
  return o;
}

}  // namespace

void add_history_command(CLI::App& app, command_run& run) {
  CLI::App* history = app.add_subcommand(
      "history",
      "Month-partitioned tables of rolling history arrays (index 0 = that month, 1 = the "
      "month before, ... N-1): late values into every partition of their window, a new "
      "month from the last, and the check.");
  history->require_subcommand(1);

  auto apply = std::make_shared<flag_texts>();
  CLI::App* a = history->add_subcommand(
      "apply",
      "Place late values: a value staged for key K and month m goes to index p-m of K's "
      "arrays in every partition p in [m, m+N-1] where K has a row; in month m a key without "
      "a row gets one first. Each rewritten partition is replaced atomically and recorded "
      "(with rows changed, values placed, new rows) in the progress store; a killed run "
      "resumes.");
  add_layout_flags(*a, *apply);
  CLI::App& ag = *a->add_option_group("apply", "What to apply, and the store");
  apply->value(ag, "--staging", "FILE", "the late values: CSV or Parquet with key, month, values");
  apply->value(ag, "--state", "STATE.db", "the progress store (created if missing)");
  apply->value(ag, "--id", "NAME", "this apply's name in the store (default: default)");
  apply->value(ag, "--workers", "N", "partitions processed at once (default 1)");
  apply->toggle(ag, "--dry-run",
                "list the partitions and the rows that would change; write nothing");
  a->allow_extras();
  a->callback([a, apply, &run] {
    refuse_unknown_flags(*a);
    history_spec o = spec_of(*apply);
    if (const auto v = apply->last("--staging")) o.staging = *v;
    if (o.staging.empty()) throw flag_error("--staging", "required: the file of late values");
    if (const auto v = apply->last("--state")) o.state = *v;
    o.dry_run = apply->on("--dry-run");
    if (o.state.empty() && !o.dry_run)
      throw flag_error("--state", "required: the progress store, e.g. state.db");
    if (const auto v = apply->last("--id")) o.id = *v;
    if (const auto v = apply->last("--workers"))
      o.workers = static_cast<unsigned>(whole_number("--workers", *v, 1, 256));
    run = [o] { return run_apply(o); };
  });

  auto verify = std::make_shared<flag_texts>();
  CLI::App* v = history->add_subcommand(
      "verify",
      "Exit 0 only if every staged value sits at its index in every partition of its window "
      "(and each key has a row in its staged month); lists what is misplaced.");
  add_layout_flags(*v, *verify);
  CLI::App& vg = *v->add_option_group("verify", "What to check");
  verify->value(vg, "--staging", "FILE", "the staged values to look for");
  v->allow_extras();
  v->callback([v, verify, &run] {
    refuse_unknown_flags(*v);
    history_spec o = spec_of(*verify);
    if (const auto s = verify->last("--staging")) o.staging = *s;
    if (o.staging.empty()) throw flag_error("--staging", "required: the file of staged values");
    run = [o] { return run_verify(o); };
  });

  auto roll = std::make_shared<flag_texts>();
  CLI::App* r = history->add_subcommand(
      "roll",
      "Build month M from month M-1: every row moves on with its arrays shifted by one, the "
      "input's value for the key (or a null) at index 0; keys only the input has get new "
      "rows. Other columns are carried from M-1 (null for new keys).");
  add_layout_flags(*r, *roll);
  CLI::App& rg = *r->add_option_group("roll", "The new month");
  roll->value(rg, "--month", "YYYY-MM", "the month to build (M-1 must be in the table, M not)");
  roll->value(rg, "--input", "FILE", "the new month's values: CSV or Parquet with key and values");
  r->allow_extras();
  r->callback([r, roll, &run] {
    refuse_unknown_flags(*r);
    history_spec o = spec_of(*roll);
    const auto m = roll->last("--month");
    if (!m) throw flag_error("--month", "required: the month to build, YYYY-MM");
    o.month = h::parse_month(*m);
    if (!o.month || m->size() != 7)
      throw flag_error("--month", "expected YYYY-MM, got " + shown_cell(*m));
    if (const auto i = roll->last("--input")) o.input = *i;
    if (o.input.empty()) throw flag_error("--input", "required: the new month's values");
    o.staging = o.input;
    run = [o] { return run_roll(o); };
  });
}

}  // namespace tsfill_cli
