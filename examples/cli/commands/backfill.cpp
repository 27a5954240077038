// `tsfill backfill INPUT... --output DIR --state STATE.db [JOB]`: the job recomputed
// partition by partition into a directory of partitions, each replaced atomically, with
// its progress in a SQLite store so that a killed or failed run resumes where it stopped.
// The machinery is the library's (tsfill::backfill: planner, engine, store, sink); this
// file reads the flags, prints what happens, and maps the outcome to the exit status.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <tsfill/backfill.hpp>

#include "../app/flags.hpp"
#include "../app/job_spec.hpp"
#include "../app/notices.hpp"
#include "../backfill/partitioned_run.hpp"
#include "commands.hpp"
#include "paths.hpp"
#include "signals.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

namespace bf = tsfill::backfill;

// The flags of the backfill group: how to run, not what to compute (so not part of the
// job recorded in the store).
const std::vector<std::string> run_flags = {
    "--state",   "--id",         "--from",        "--to",        "--chunk-days",
    "--workers", "--retries",    "--reprocess",   "--dry-run",   "--time-budget",
    "--threads", "--max-memory", "--no-progress", "--batch-size"};  // (the ranges' size does not
                                                                    // change the result)

struct backfill_spec {
  std::string state;
  std::string id = "default";
  std::optional<std::int64_t> from, to;  // days
  std::size_t chunk_days = 1;
  unsigned workers = 1;
  unsigned retries = 2;
  bf::reprocess_mode reprocess = bf::reprocess_mode::none;
  bool dry_run = false;
  std::optional<std::chrono::steady_clock::duration> time_budget;
  std::string sequence_column;  // rows by ranges of this increasing id instead of by days
  std::int64_t batch_size = 0;  // numbers per range
  std::string job_text;         // the job flags, canonical
};

unsigned parse_whole(const std::string& flag, const std::string& v, unsigned min) {
  return static_cast<unsigned>(whole_number(flag, v, min, 1'000'000));
}

std::int64_t parse_day(const std::string& flag, const std::string& v) {
  const auto d = tsfill::parse_date(v);
  if (!d) throw flag_error(flag, "expected a date YYYY-MM-DD, got '" + v + "'");
  return d->time_since_epoch().count();
}

backfill_spec backfill_spec_from(const flag_texts& f, const job_spec& job) {
  backfill_spec b;
  if (const auto v = f.last("--state")) b.state = *v;
  if (b.state.empty()) throw flag_error("--state", "required: the progress store, e.g. state.db");
  if (const auto v = f.last("--id")) {
    if (v->empty()) throw flag_error("--id", "must not be empty");
    b.id = *v;
  }
  if (const auto v = f.last("--from")) b.from = parse_day("--from", *v);
  if (const auto v = f.last("--to")) b.to = parse_day("--to", *v);
  if (b.from && b.to && *b.from > *b.to) throw flag_error("--to", "is before --from");
  if (const auto v = f.last("--chunk-days")) b.chunk_days = parse_whole("--chunk-days", *v, 1);
  if (const auto v = f.last("--workers")) b.workers = parse_whole("--workers", *v, 1);
  if (const auto v = f.last("--retries")) b.retries = parse_whole("--retries", *v, 0);
  if (const auto v = f.last("--reprocess")) {
    const auto m = bf::parse_reprocess(*v);
    if (!m) throw flag_error("--reprocess", "expected none|failed|all, got '" + *v + "'");
    b.reprocess = *m;
  }
  b.dry_run = f.on("--dry-run");
  if (const auto v = f.last("--time-budget")) {
    std::string why;
    const auto ns = parse_duration(*v, &why);
    if (!ns || *ns <= 0)
      throw flag_error("--time-budget", "expected a positive duration (30min, 8h), got '" + *v +
                                            "'" + (why.empty() ? "" : ": " + why));
    b.time_budget = std::chrono::nanoseconds(*ns);
  }
  if (const auto v = f.last("--sequence-column")) b.sequence_column = *v;
  if (const auto v = f.last("--batch-size")) {
    if (b.sequence_column.empty())
      throw flag_error("--batch-size", "goes with --sequence-column (numbers per range)");
    b.batch_size = parse_whole("--batch-size", *v, 1);
  }
  if (!b.sequence_column.empty()) {
    if (b.batch_size == 0)
      throw flag_error("--sequence-column", "needs --batch-size N (sequence numbers per range)");
    if (job.carry_in)
      throw flag_error("--carry-in",
                       "does not go with --sequence-column: a range recomputes "
                       "partitions out of order");
    if (b.from || b.to)
      throw flag_error(b.from ? "--from" : "--to",
                       "does not go with --sequence-column: ranges pick the partitions");
    if (b.sequence_column == job.time_column ||
        std::find(job.keys.begin(), job.keys.end(), b.sequence_column) != job.keys.end())
      throw flag_error("--sequence-column",
                       "'" + b.sequence_column + "' is the time or a key column");
  }
  // What backfill does not do (yet), refused rather than done differently from fill.
  if (!job.partition_by_day)
    throw flag_error("--partition", "backfill works partition by partition: use day");
  if (job.grid == grid_kind::range || job.grid == grid_kind::session)
    throw flag_error("--grid", "range and session grids are not supported by backfill yet");
  if (job.overwrite)
    throw flag_error("--overwrite",
                     "backfill replaces partitions in place; --reprocess all "
                     "recomputes complete ones");
  if (job.stats) throw flag_error("--stats", "not supported by backfill (see tsfill status)");
  if (!job.rejects.empty())
    throw flag_error("--rejects", "not supported by backfill yet (status counts each rule's rows)");
  const std::string& out = job.output;
  if (has_extension(out, ".csv") || has_extension(out, ".tsv") || has_extension(out, ".parquet") ||
      has_extension(out, ".pq"))
    throw flag_error("--output", "backfill writes a directory of partitions, not a file");
  b.job_text = f.canonical(run_flags);
  return b;
}

std::string day_text(std::int64_t p) {
  return format_date(p);
}

double rows_per_second(const std::map<std::int64_t, bf::partition_record>& recs) {
  std::uint64_t rows = 0;
  std::int64_t ms = 0;
  for (const auto& [p, r] : recs)
    if (r.status == bf::partition_status::complete && r.finished_ms > r.started_ms) {
      rows += r.rows_in;
      ms += r.finished_ms - r.started_ms;
    }
  return ms > 0 ? static_cast<double>(rows) * 1000.0 / static_cast<double>(ms) : 0;
}

// --dry-run: each partition of the range, its input rows and what a run would do with it.
int print_dry_run(const backfill_spec& b, const partitioned_run& run,
                  const std::map<std::int64_t, bf::partition_record>& recs,
                  const std::vector<bf::batch>& batches,
                  const std::vector<bf::partition_record>& unreadable) {
  std::printf("backfill %s: %s -> %s\n", b.id.c_str(), b.state.c_str(), run.sink().root().c_str());
  std::printf("%-12s %12s  %s\n", "partition", "input rows", "action");
  std::uint64_t rows = 0;
  std::size_t computed = 0;
  for (const bf::batch& batch : batches)
    for (const std::int64_t p : batch.partitions) {
      const std::uint64_t n = run.scan().partition_rows.at(p);
      const bool target =
          std::find(batch.targets.begin(), batch.targets.end(), p) != batch.targets.end();
      rows += n;
      computed += target;
      const auto it = recs.find(p);
      std::string what = target ? "compute" : "read to carry values in (not written)";
      if (batch.up_to)
        what += " from the rows up to sequence number " + std::to_string(*batch.up_to);
      if (target && it != recs.end())
        what += std::string(" (now ") + bf::to_string(it->second.status) + ")";
      std::printf("%-12s %12llu  %s\n", day_text(p).c_str(), static_cast<unsigned long long>(n),
                  what.c_str());
    }
  for (const bf::partition_record& r : unreadable)
    std::printf("%-12s %12llu  fail: %s\n", day_text(r.partition).c_str(),
                static_cast<unsigned long long>(r.rows_in), r.error.c_str());
  for (const auto& [p, r] : recs) {
    if ((b.from && p < *b.from) || (b.to && p > *b.to)) continue;
    if (run.scan().failed.count(p) != 0) continue;
    if (run.scan().partition_rows.count(p) == 0 || bf::recompute(r.status, b.reprocess)) continue;
    std::printf("%-12s %12llu  skip (%s%s)\n", day_text(p).c_str(),
                static_cast<unsigned long long>(run.scan().partition_rows.at(p)),
                bf::to_string(r.status),
                r.status == bf::partition_status::failed ? "; --reprocess failed redoes it" : "");
  }
  const double speed = rows_per_second(recs);
  std::printf("%zu partitions to compute, %llu input rows to read", computed,
              static_cast<unsigned long long>(rows));
  if (speed > 0)
    std::printf("; about %.0f s at the %.2fM rows/s this store measured",
                static_cast<double>(rows) / speed, speed / 1e6);
  std::printf("\n");
  return 0;
}

// One line per partition on stderr, or a redrawn progress line on a terminal.
class reporter {
 public:
  reporter(const backfill_spec& b, std::size_t total, bool progress)
      : id_(b.id),
        total_(total),
        tty_(progress && isatty(2) == 1),
        start_(std::chrono::steady_clock::now()) {}
  void partition(const bf::partition_record& r) {
    ++done_;
    rows_ += r.rows_in;
    if (!tty_ || r.status == bf::partition_status::failed) {
      if (drawn_) std::fprintf(stderr, "\r\033[K");
      if (r.status == bf::partition_status::complete)
        std::fprintf(stderr, "tsfill: backfill %s: %s COMPLETE, %llu rows in, %llu out\n",
                     id_.c_str(), day_text(r.partition).c_str(),
                     static_cast<unsigned long long>(r.rows_in),
                     static_cast<unsigned long long>(r.rows_out));
      else
        std::fprintf(stderr, "tsfill: backfill %s: %s FAILED after %d attempt%s: %s\n", id_.c_str(),
                     day_text(r.partition).c_str(), r.attempts, r.attempts == 1 ? "" : "s",
                     r.error.c_str());
    }
    if (tty_) {
      const double secs = seconds();
      const double speed = secs > 0 ? static_cast<double>(rows_) / secs : 0;
      const double eta =
          done_ ? secs * static_cast<double>(total_ - done_) / static_cast<double>(done_) : 0;
      std::fprintf(stderr, "\rbackfill %s: %zu/%zu partitions, %.2fM rows/s, ETA %.0fs   ",
                   id_.c_str(), done_, total_, speed / 1e6, eta);
      drawn_ = true;
    }
  }
  void retry(const bf::batch& b, int attempt, const std::string& error,
             std::chrono::milliseconds delay) {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
    drawn_ = false;
    std::fprintf(stderr,
                 "tsfill: backfill %s: %s..%s attempt %d failed (%s); retrying in %lld ms\n",
                 id_.c_str(), day_text(b.first()).c_str(), day_text(b.last()).c_str(), attempt,
                 error.c_str(), static_cast<long long>(delay.count()));
  }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  ~reporter() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  std::string id_;
  std::size_t total_, done_ = 0;
  std::uint64_t rows_ = 0;
  bool tty_, drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

int run_backfill(const job_spec& job, const backfill_spec& b) {
  // The store first: a second process is refused at once, before any input is read.
  std::unique_ptr<bf::sqlite_store> store;
  try {
    if (!b.dry_run)
      store = std::make_unique<bf::sqlite_store>(b.state);
    else if (std::filesystem::exists(b.state))
      store = std::make_unique<bf::sqlite_store>(b.state, bf::sqlite_store::access::read);
  } catch (const bf::store_busy& e) {
    throw busy_error(e.what());
  } catch (const bf::store_error& e) {
    throw flag_error("--state", e.what());
  }
  std::map<std::int64_t, bf::partition_record> recs;
  if (store && !b.dry_run) {
    try {
      store->open_backfill(b.id, b.job_text, bf::wall_clock_ms());
    } catch (const bf::store_error& e) {
      throw flag_error("--id", e.what());
    }
  }
  if (store) recs = store->partitions(b.id);

  // The scan, spilling the rows of the partitions the run may compute into the output's
  // hidden spill directory. Bad input stops here: nothing written (an output directory
  // made for the spill is removed again).
  std::unique_ptr<spill_dir> spill;
  const std::string root = without_trailing_slash(job.output);
  const bool made_root = !std::filesystem::exists(root);
  struct remove_unless_kept {
    std::string path;
    ~remove_unless_kept() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } made{made_root && !b.dry_run ? root : ""};
  if (!b.dry_run) {
    try {
      const bf::directory_sink sink(root, "");
      sink.prepare();
      sink.remove_staged();  // what a killed run left (we hold the store's lock)
    } catch (const bf::sink_error& e) {
      throw flag_error("--output", e.what());
    }
    spill = std::make_unique<spill_dir>(root);
  }
  auto wanted = [&](std::int64_t p) {
    if (b.to && p > *b.to) return false;
    if (job.carry_in) return true;  // earlier partitions carry values in
    if (b.from && p < *b.from) return false;
    const auto it = recs.find(p);
    return it == recs.end() || bf::recompute(it->second.status, b.reprocess);
  };
  std::optional<partitioned_run::sequence_ranges> ranges;
  if (!b.sequence_column.empty()) {
    ranges = partitioned_run::sequence_ranges{b.sequence_column, INT64_MIN, b.batch_size};
    if (store && b.reprocess != bf::reprocess_mode::all)
      for (const bf::backfill_record& r : store->backfills())
        if (r.id == b.id && r.checkpoint) ranges->done = *r.checkpoint;
  }
  // A file with bad cells fails just its partitions (the rest go on), unless values carry
  // across partitions or ranges recompute them: then it stops the run before any write.
  partitioned_run run(job, b.workers, spill.get(),
                      ranges ? std::function<bool(std::int64_t)>([](std::int64_t) { return true; })
                             : std::function<bool(std::int64_t)>(wanted),
                      ranges,
                      !ranges && !job.carry_in ? partitioned_run::bad_file::fail_partitions
                                               : partitioned_run::bad_file::stop);
  made.path.clear();  // the scan passed: the output directory stays
  note_columns_left_out(run.scan().not_numeric);
  if (!b.dry_run) {
    std::vector<std::pair<std::string, std::uint64_t>> rules;
    for (std::size_t w = 0; w < job.where.size(); ++w)
      rules.emplace_back("--where " + job.where[w].text(),
                         w < run.scan().rejected_by.size() ? run.scan().rejected_by[w] : 0);
    if (!job.unique_columns.empty()) {
      std::string cols;
      for (const std::string& c : job.unique_columns) cols += (cols.empty() ? "" : ",") + c;
      rules.emplace_back("--unique " + cols, run.scan().rows_repeated);
    }
    store->set_rules(b.id, rules);
  }
  const std::vector<std::int64_t> available = run.scan().partitions();
  std::vector<std::int64_t> selected;
  std::vector<bf::batch> batches;
  if (ranges) {  // each range's partitions, recomputed from the rows up to its end
    batches = bf::make_sequence_batches(run.scan().touched_by_range, b.chunk_days);
    std::set<std::int64_t> touched;
    for (const bf::batch& batch : batches)
      touched.insert(batch.targets.begin(), batch.targets.end());
    selected.assign(touched.begin(), touched.end());
    if (store && !b.dry_run && b.reprocess == bf::reprocess_mode::all)
      store->set_checkpoint(b.id, std::nullopt);
  } else {
    selected = bf::select_partitions(available, b.from, b.to, recs, b.reprocess);
    std::erase_if(selected, [&](std::int64_t p) { return run.scan().failed.count(p) != 0; });
    batches = bf::make_batches(available, selected, b.chunk_days, run.carries_in());
  }
  // The partitions a bad file fails, recorded with its error (those the run would compute).
  std::vector<bf::partition_record> unreadable;
  for (const auto& [p, error] : run.scan().failed) {
    if (!wanted(p)) continue;
    bf::partition_record r;
    r.partition = p;
    r.status = bf::partition_status::failed;
    r.rows_in = run.scan().partition_rows.at(p);
    r.error = error;
    unreadable.push_back(r);
  }
  if (b.dry_run) return print_dry_run(b, run, recs, batches, unreadable);

  if (selected.empty() && ranges) {
    std::fprintf(
        stderr, "tsfill: backfill %s: nothing to compute: no rows after sequence number %s\n",
        b.id.c_str(), ranges->done == INT64_MIN ? "(none)" : std::to_string(ranges->done).c_str());
    store->finish_run(b.id, "done", bf::wall_clock_ms());
    return 0;
  }
  if (selected.empty() && unreadable.empty()) {
    std::fprintf(stderr,
                 "tsfill: backfill %s: nothing to compute: %zu partitions in range, none "
                 "PENDING (--reprocess failed|all computes FAILED or COMPLETE ones again)\n",
                 b.id.c_str(),
                 static_cast<std::size_t>(
                     std::count_if(available.begin(), available.end(), [&](std::int64_t p) {
                       return (!b.from || p >= *b.from) && (!b.to || p <= *b.to);
                     })));
    store->finish_run(b.id, "done", bf::wall_clock_ms());
    return 0;
  }
  reporter report(b, selected.size() + unreadable.size(), job.progress);
  const graceful_stop signals;  // SIGINT/SIGTERM: finish the partitions being written, stop
  bf::engine_options opt;
  opt.stop_requested = [&signals] { return signals.requested(); };
  opt.workers = b.workers;
  opt.retries = b.retries;
  opt.in_order = run.carries_in() || ranges.has_value();
  opt.time_budget = b.time_budget;
  opt.jitter_seed = static_cast<std::uint64_t>(::getpid());
  opt.on_partition = [&](const bf::partition_record& r) { report.partition(r); };
  opt.on_retry = [&](const bf::batch& batch, int attempt, const std::string& error,
                     std::chrono::milliseconds delay) {
    report.retry(batch, attempt, error, delay);
  };
  bf::run_summary s;
  try {
    for (bf::partition_record& r : unreadable) {  // failed before they could start
      store->set_pending(b.id, {r.partition});
      store->mark_running(b.id, r.partition, bf::wall_clock_ms());
      r.attempts = recs.count(r.partition) ? recs.at(r.partition).attempts + 1 : 1;
      r.finished_ms = bf::wall_clock_ms();
      store->mark_done(b.id, r);
      report.partition(r);
    }
    s = bf::run(
        *store, b.id, batches, [&](const bf::batch& batch) { return run.compute(batch); }, opt);
    s.failed += unreadable.size();
    store->finish_run(b.id, s.outcome(), bf::wall_clock_ms());
  } catch (const bf::store_error& e) {
    throw run_failure(std::string("progress store failed: ") + e.what());
  }
  const double secs = report.seconds();
  if (ranges) {
    std::optional<std::int64_t> done;
    for (const bf::backfill_record& r : store->backfills())
      if (r.id == b.id) done = r.checkpoint;
    std::fprintf(stderr,
                 "tsfill: backfill %s: %zu ranges of %lld sequence numbers, %zu partition "
                 "computations COMPLETE, %zu FAILED; done up to sequence number %s (%.2f s)\n",
                 b.id.c_str(), run.scan().touched_by_range.size(),
                 static_cast<long long>(b.batch_size), s.complete, s.failed,
                 done ? std::to_string(*done).c_str() : "(none)", secs);
  } else {
    std::fprintf(stderr,
                 "tsfill: backfill %s: %zu COMPLETE, %zu FAILED, %zu PENDING of %zu partitions "
                 "(%.2f s, %.2fM rows/s)%s\n",
                 b.id.c_str(), s.complete, s.failed, s.pending, selected.size(), secs,
                 secs > 0 ? static_cast<double>(s.rows_in) / secs / 1e6 : 0.0,
                 s.budget_stop    ? "; the time budget is spent, run again to go on"
                 : s.failure_stop ? "; stopped at the failure (values carry in from it)"
                                  : "");
  }
  if (signals.requested()) {
    std::fprintf(stderr,
                 "tsfill: backfill %s: stopped by signal %d; the store is consistent, run again "
                 "to go on\n",
                 b.id.c_str(), signals.signal());
    return 128 + signals.signal();
  }
  if (s.failed) {
    std::fprintf(stderr, "tsfill: backfill %s: %zu partition%s FAILED (tsfill status --state %s)\n",
                 b.id.c_str(), s.failed, s.failed == 1 ? "" : "s", b.state.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void add_backfill_command(CLI::App& app, command_run& run) {
  CLI::App* cmd = app.add_subcommand(
      "backfill",
      "Recompute the job partition by partition into a directory of partitions "
      "(OUT/<partition-name>=YYYY-MM-DD/part-0.csv|parquet), each replaced atomically, "
      "recording each partition's progress in a SQLite store: a killed or failed run "
      "resumes where it stopped, and the output equals one 'tsfill fill' of the input.");
  auto flags = std::make_shared<flag_texts>();
  add_job_command_flags(*cmd, *flags);
  CLI::App& g = *cmd->add_option_group("backfill", "How the backfill runs");
  flags->value(g, "--state", "STATE.db", "the progress store (SQLite; created if missing)");
  flags->value(g, "--id", "NAME", "this backfill's name in the store (default: default)");
  flags->value(g, "--from", "DATE", "first partition to compute (default: the input's first)");
  flags->value(g, "--to", "DATE",
               "last partition to compute, inclusive (default: the input's last)");
  flags->value(g, "--chunk-days", "N",
               "read and process N partitions at a time: memory bounded by the chunk "
               "(default 1)");
  flags->value(g, "--workers", "N", "partitions computed at once (default 1)");
  flags->value(g, "--retries", "N",
               "further attempts of a failing partition, with exponential backoff (default 2)");
  flags->value(g, "--reprocess", "MODE",
               "none|failed|all: none skips COMPLETE and FAILED partitions (resume; default), "
               "failed also redoes FAILED ones, all recomputes everything");
  flags->toggle(g, "--dry-run", "list the partitions that would be computed, with input rows");
  flags->value(g, "--sequence-column", "COL",
               "process rows by ranges of this increasing integer id (e.g. an ingestion id) "
               "instead of by days, recording the highest one done");
  flags->value(g, "--batch-size", "N", "sequence numbers per range (with --sequence-column)");
  flags->value(g, "--time-budget", "DUR",
               "start no new partition after DUR; the rest stay PENDING for the next run");
  cmd->callback([cmd, flags, &run] {
    refuse_unknown_flags(*cmd);
    job_spec spec = job_spec_from(*flags);
    validate(spec);
    backfill_spec b = backfill_spec_from(*flags, spec);
    run = [spec = std::move(spec), b = std::move(b)] { return run_backfill(spec, b); };
  });
}

}  // namespace tsfill_cli
