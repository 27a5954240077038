// `tsfill fill INPUT... --output OUT`: the job on the inputs, written as a file or a
// directory of partitions; with --chunk-days, the inputs in partition order a chunk of
// partitions at a time, in memory bounded by the chunk.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "../app/flags.hpp"
#include "../app/job_factory.hpp"
#include "../app/job_spec.hpp"
#include "../app/notices.hpp"
#include "../stats.hpp"
#include "commands.hpp"
#include "csv_reader.hpp"
#include "output.hpp"
#include "parquet_io.hpp"
#include "paths.hpp"
#include "table.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

int run_fill(job_spec o) {
  const auto t0 = std::chrono::steady_clock::now();
  const output_target target = output_target_of(o.writing());  // refuse an existing output early
  std::unique_ptr<rejects_file> rejects;
  read_spec reading = o.reading();
  if (!o.rejects.empty()) {
    rejects = std::make_unique<rejects_file>(o.rejects, o.delimiter, o.overwrite);
    reading.on_reject = [&rejects](const rejected_row& r) { rejects->add(r); };
  }
  loaded_table table = load_inputs(reading);
  const auto t1 = std::chrono::steady_clock::now();
  const job job = make_job(o);
  const tsfill::result r = job.run(table);
  release_rows(table);  // (the result holds all it needs)
  const auto t2 = std::chrono::steady_clock::now();
  write_output(o.writing(), target, table, r);
  if (rejects) rejects->commit();
  note_columns_left_out(table.not_numeric);  // (after the output: an error stays one line)
  const auto t3 = std::chrono::steady_clock::now();
  if (o.stats) {
    std::vector<std::pair<std::string, double>> stages;
    stages.emplace_back("read", std::chrono::duration<double>(t1 - t0).count());
    for (const auto& s : r.stats().stage_seconds) stages.push_back(s);
    stages.emplace_back("write", std::chrono::duration<double>(t3 - t2).count());
    print_stats(o, summarize(table, r, job.expected_slots()), stages);
  }
  return 0;
}

// --- fill --chunk-days N: the input read a block at a time, N whole partitions at a time run
// and written -------------------------------------------------------------------------------

// TSFILL_CSV_BLOCK_BYTES: smaller blocks, for tests (0: the defaults below).
std::size_t block_bytes_set() {
  const char* v = std::getenv("TSFILL_CSV_BLOCK_BYTES");
  const long n = v != nullptr ? std::atol(v) : 0;
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// Bytes of CSV read at once: 16 MiB. With a writer thread, reading in smaller blocks
// overlaps it better (the reference file at 2 threads: 1.31-1.38 s with 64 MiB blocks,
// 1.19-1.25 s with 16 MiB), and holds less (peak RSS 338 -> 185 MiB).
std::size_t csv_block_bytes() {
  const std::size_t set = block_bytes_set();
  return set > 0 ? set : std::size_t{16} << 20;
}

// Rows of Parquet row groups read at once: about a million (with TSFILL_CSV_BLOCK_BYTES, a
// sixty-fourth of it: about as many rows as a CSV block of it holds).
std::size_t parquet_step_rows() {
  const std::size_t set = block_bytes_set();
  return set > 0 ? std::max<std::size_t>(1, set / 64) : std::size_t{1} << 20;
}

// How many partitions a chunk holds: at least `partitions`, and more until it has at least
// `rows` rows.
struct chunk_size {
  std::size_t partitions = 1;
  std::size_t rows = 0;
};

class chunked_fill {
 public:
  chunked_fill(const job_spec& o, chunk_size size, const output_target& target)
      : o_(o),
        size_(size),
        job_(make_job(o)),
        out_(o.writing(), target),
        write_in_background_(o.threads > 1) {}

  // After each read: runs every chunk of partitions that is complete (a later partition
  // began).
  void run_complete() { run_chunks(false); }
  // At the end of the input: the rest (at least one run, so that an empty result still
  // writes a CSV file's header).
  void run_rest() {
    run_chunks(true);
    if (!ran_) run_rows(0, pending.rows());
  }
  void commit() {
    finish_writing();
    out_.commit();
  }

  loaded_table pending;  // rows read, not yet run (the readers append here)
  run_summary totals;
  double run_seconds = 0;
  double write_seconds = 0;       // the writer's own time (it overlaps reading and running)
  double write_wait_seconds = 0;  // time spent waiting for the writer
  std::vector<std::pair<std::string, double>> stage_seconds;  // the pipeline's, summed

 private:
  // The partitions of the rows read since the last look: each must come after the ones
  // before it (then every partition but the last is complete).
  void note_partitions() {
    for (std::size_t i = seen_; i < pending.rows(); ++i) {
      const std::int64_t p = day_partition(pending.time[i], o_.zone.get());
      if (!starts_.empty() && p == starts_.back().first) continue;
      if (p < last_) {
        throw cli_error(
            pending.describe_row(i) + ": a row of " + format_date(p) + " after rows of " +
            format_date(last_) +
            ": --chunk-days reads partitions one after another, so the input must be in "
            "partition order (each day's rows after the days before it, in any order within "
            "the day); sort it by time, or run without --chunk-days");
      }
      starts_.emplace_back(p, i);
      last_ = p;
    }
    seen_ = pending.rows();
  }

  void run_chunks(bool at_end) {
    note_partitions();
    std::size_t next = 0;  // the first partition not run
    while (next < starts_.size()) {
      std::size_t end = std::min(next + size_.partitions, starts_.size());
      auto first_row = [&](std::size_t p) {
        return p < starts_.size() ? starts_[p].second : pending.rows();
      };
      while (end < starts_.size() && first_row(end) - first_row(next) < size_.rows) ++end;
      // (the last partition read may still grow, until the input ends)
      if (end == starts_.size() && !at_end) break;
      run_rows(first_row(next), first_row(end));
      next = end;
    }
    forget(next);
  }

  // Drops the rows of the first `partitions` partitions, which have run.
  void forget(std::size_t partitions) {
    if (partitions == 0) return;
    const std::size_t n = partitions < starts_.size() ? starts_[partitions].second : pending.rows();
    drop_front(pending, n);
    starts_.erase(starts_.begin(), starts_.begin() + static_cast<std::ptrdiff_t>(partitions));
    for (auto& st : starts_) st.second -= n;
    seen_ -= n;
  }

  // Runs and writes the rows [begin, end) of `pending` (whole partitions).
  void run_rows(std::size_t begin, std::size_t end) {
    for (const loaded_value& v : pending.values)
      if (!v.numeric && value_written(v.name)) {
        std::string why;
        for (const auto& [name, text] : pending.not_numeric)
          if (name == v.name) why = text;
        throw cli_error(why + " (column " + shown_cell(v.name) +
                        ", written as a value column for the partitions before: with "
                        "--chunk-days a value column must be numeric throughout)");
      }
    // (values borrowed from `pending`, which does not change until the chunk is written)
    loaded_table batch = copy_rows(pending, begin, end, true);
    std::erase_if(batch.values, [](const loaded_value& v) { return !v.numeric; });
    finish_keys(batch);
    const auto t0 = std::chrono::steady_clock::now();
    tsfill::result r = job_.run(batch);
    release_rows(batch);
    run_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& [name, secs] : r.stats().stage_seconds) {
      auto it = std::find_if(stage_seconds.begin(), stage_seconds.end(),
                             [&](const auto& st) { return st.first == name; });
      if (it == stage_seconds.end())
        stage_seconds.emplace_back(name, secs);
      else
        it->second += secs;
    }
    if (o_.stats) {
      totals.add_chunk(summarize(batch, r, job_.expected_slots()));
      count_keys(batch, r);
    }
    for (const tsfill::result_column& c : r.values()) names_written_.insert(c.name());
    ran_ = true;
    write_chunk(std::move(batch), std::move(r));
  }

  // With more than one thread a chunk is written on a thread of its own while the next one
  // is read and run (the reference file at 2 threads: CSV 2.14 s -> 1.97 s; Parquet, once
  // freed memory was kept for reuse, 1.34 s -> 1.25 s); with --threads 1 everything runs on
  // one thread. Chunks are written one at a time, in order: the output is that of writing
  // them in turn, and at most two chunks are held. A write's error comes out at the next
  // chunk or at commit; an error elsewhere first waits for the write under way (the
  // destructor), and the staged output is then dropped.
  void write_chunk(loaded_table batch, tsfill::result r) {
    finish_writing();
    if (!write_in_background_) {
      const auto t0 = std::chrono::steady_clock::now();
      out_.write(batch, r);
      const double took =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      write_seconds += took;
      write_wait_seconds += took;  // (the reading waited for all of it)
      return;
    }
    auto chunk =
        std::make_shared<std::pair<loaded_table, tsfill::result>>(std::move(batch), std::move(r));
    writing_ = std::async(std::launch::async, [this, chunk] {
      const auto t0 = std::chrono::steady_clock::now();
      out_.write(chunk->first, chunk->second);
      write_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });
  }

  // Waits for the chunk being written; its error, if any, is thrown here.
  void finish_writing() {
    if (!writing_.valid()) return;
    const auto t0 = std::chrono::steady_clock::now();
    writing_.get();
    write_wait_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  bool value_written(const std::string& name) const { return names_written_.count(name) != 0; }

  // String keys get the batch's codes (the words sorted, as one run of the whole input
  // orders them). A key whose words were all integers so far is an integer key, as the
  // whole input's would be unless a later word is not: then it is an error, said so.
  void finish_keys(loaded_table& batch) {
    if (integer_key_.empty()) integer_key_.assign(batch.keys.size(), -1);
    for (std::size_t j = 0; j < batch.keys.size(); ++j) {
      loaded_key& k = batch.keys[j];
      if (!k.is_string) continue;
      const std::vector<std::string> words = k.builder.words();
      finish_string_key(k, integer_key_[j] == 0);
      if (integer_key_[j] < 0 && !k.values.empty()) integer_key_[j] = k.is_string ? 0 : 1;
      if (integer_key_[j] == 1 && k.is_string) {
        std::int64_t v = 0;
        const auto word = *std::find_if(words.begin(), words.end(), [&](const std::string& w) {
          return !canonical_integer(w, v);
        });
        throw cli_error("--keys: column " + shown_cell(k.name) + " holds " + shown_cell(word) +
                        ", but its words in the partitions written before were all integers "
                        "(an integer key, ordered as numbers): with --chunk-days a key column "
                        "must hold words from its first chunk on; run without --chunk-days");
      }
    }
  }

  // Distinct keys over all chunks (--stats), by their words.
  void count_keys(const loaded_table& batch, const tsfill::result& r) {
    const std::size_t distinct = batch.keys.empty() ? 1 : r.distinct_keys(0).size();
    for (std::size_t i = 0; i < distinct && !r.segments().empty(); ++i) {
      std::string id;
      for (std::size_t j = 0; j < batch.keys.size(); ++j) {
        const std::int64_t v = r.distinct_keys(j)[i];
        id += batch.keys[j].is_string ? batch.keys[j].words[static_cast<std::size_t>(v)]
                                      : std::to_string(v);
        id.push_back('\x1f');
      }
      keys_.insert(std::move(id));
    }
    totals.keys = keys_.size();
  }

  const job_spec& o_;
  chunk_size size_;
  job job_;
  chunked_output out_;
  bool write_in_background_;
  std::future<void> writing_;  // the chunk being written (after out_: it ends first)
  std::vector<std::pair<std::int64_t, std::size_t>> starts_;  // partition, its first row
  std::size_t seen_ = 0;                                      // rows whose partition is known
  std::int64_t last_ = INT64_MIN;
  bool ran_ = false;
  std::set<std::string> names_written_;
  std::vector<int> integer_key_;  // per key: -1 not yet known, 0 words, 1 integers
  std::unordered_set<std::string> keys_;
};

// Why the job cannot run a chunk of partitions at a time (empty: it can): flags whose
// result crosses partitions or needs the whole input first.
std::string why_not_in_chunks(const job_spec& o) {
  if (!o.partition_by_day) return "needs partitions to read a chunk of (not --partition none)";
  if (!o.unique_columns.empty())
    return "cannot go with --unique: a record's last copy may come in any later partition";
  if (o.carry_in)
    return "cannot go with --carry-in: a day's leading gap takes the last value of the days "
           "before it";
  if (o.grid == grid_kind::range || o.grid == grid_kind::session)
    return "goes with partition, key and observed grids only";
  if (o.slot_unit != calendar_slot::none)
    return "goes with fixed slots only (not --slot 1w|1mo|1q|1y)";
  if (!o.calendars.empty()) return "cannot go with --calendar";
  return {};
}

int run_fill_in_chunks(const job_spec& o, chunk_size size) {
  const auto t0 = std::chrono::steady_clock::now();
  if (const std::string why = why_not_in_chunks(o); !why.empty())
    throw flag_error("--chunk-days", why + " (run without --chunk-days)");
  const output_target target = output_target_of(o.writing());
  std::unique_ptr<rejects_file> rejects;
  read_spec reading = o.reading();
  if (!o.rejects.empty()) {
    rejects = std::make_unique<rejects_file>(o.rejects, o.delimiter, o.overwrite);
    reading.on_reject = [&rejects](const rejected_row& r) { rejects->add(r); };
  }
  chunked_fill run(o, size, target);
  loaded_table& t = run.pending;
  for (const std::string& path : discover_inputs(reading.inputs)) {
    t.files.push_back(path);
    t.file_first_row.push_back(t.rows());
    if (input_format_of(reading, path) == "parquet") {
      // Row groups of about a million rows at a time.
      read_steps steps{parquet_step_rows(), [&] {
                         check_value_types(t, path);
                         run.run_complete();
                       }};
      read_parquet(reading, path, t, steps);
    } else {
      csv_file_reader file(reading, path, t);
      while (!file.done()) {
        file.read(csv_block_bytes());
        check_value_types(t, path);
        run.run_complete();
      }
      file.finish();
    }
    run.run_complete();
  }
  run.run_rest();
  run.commit();
  if (rejects) rejects->commit();
  note_columns_left_out(t.not_numeric);
  if (o.stats) {
    run_summary& s = run.totals;
    s.rows_read = t.rows_read;
    s.rows_filtered = t.rows_filtered;
    s.rejected_by = t.rejected_by;
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<std::pair<std::string, double>> stages;
    // (writing overlaps reading and running: read is what remains of the total once the
    // runs and the waits for the writer are taken out)
    stages.emplace_back("read", total - run.run_seconds - run.write_wait_seconds);
    for (const auto& st : run.stage_seconds) stages.push_back(st);
    stages.emplace_back("write", run.write_seconds);
    print_stats(o, s, stages);
  }
  return 0;
}

// Without --chunk-days, a job that can run a chunk of partitions at a time does so when its
// inputs are files (about 256 Ki rows a chunk: smaller chunks leave fewer rows to carry
// from block to block, and measured faster than 1 Mi on the reference file): when they are in
// partition order, that is the output and --stats of one run over the whole input, in a fraction of
// the memory, and faster (memory reused, not mapped afresh). Anything the chunks cannot do alike
// (input out of partition order, a column found not numeric or a key not an integer after the first
// chunk, any error) leaves it to one run over the whole input, which then gives its own output or
// error (the chunks' hidden copy is gone by then).
int run_fill_chunked_if_possible(const job_spec& o) {
  bool possible = why_not_in_chunks(o).empty() && o.rejects.empty();
  if (possible)
    for (const std::string& path : discover_inputs(o.inputs))
      possible = possible && std::filesystem::is_regular_file(path);
  if (possible) {
    try {
      return run_fill_in_chunks(o, chunk_size{1, std::size_t{1} << 18});
    } catch (const cli_error&) {
      // (one run over the whole input decides)
    }
  }
  return run_fill(o);
}

}  // namespace

void add_fill_command(CLI::App& app, command_run& run) {
  CLI::App* fill = app.add_subcommand(
      "fill",
      "Regularize rows into a uniform grid of slots per key and partition, then fill gaps. "
      "INPUT and OUT are CSV or Parquet by extension; an OUT without one is a directory of "
      "partitions OUT/<partition-name>=YYYY-MM-DD/part-0.csv|parquet (the Hive layout).");
  auto flags = std::make_shared<flag_texts>();
  add_job_command_flags(*fill, *flags);
  CLI::App& g = *fill->add_option_group("chunks", "Inputs larger than memory");
  flags->value(g, "--chunk-days", "N",
               "read the inputs a block at a time and run and write N partitions at a time: "
               "memory bounded by the chunk, not the input; the inputs must be in partition "
               "order. 0: the whole input at once. Default: chunks of about 256 Ki rows "
               "where the job and inputs allow, else the whole input (the same output either "
               "way)");
  fill->callback([fill, flags, &run] {
    refuse_unknown_flags(*fill);
    job_spec spec = job_spec_from(*flags);
    validate(spec);
    const auto days = flags->last("--chunk-days");
    if (!days) {
      run = [spec = std::move(spec)] { return run_fill_chunked_if_possible(spec); };
    } else if (const std::size_t n = whole_number("--chunk-days", *days, 0, 1'000'000); n > 0) {
      run = [spec = std::move(spec), n] { return run_fill_in_chunks(spec, chunk_size{n}); };
    } else {
      run = [spec = std::move(spec)] { return run_fill(spec); };
    }
  });
}

}  // namespace tsfill_cli
