// `tsfill ingest SRC_DIR --output DIR --state STATE.db [JOB]`: incremental ingestion. Each
// round lists the source directory, takes the files that are new or whose content changed
// (or that are gone), and recomputes exactly the partitions they touch from every file with
// rows there, so that after any sequence of rounds the output equals one `tsfill fill` over
// the current files. The machinery is the library's (tsfill::backfill: file tracking, store,
// engine, sink); this file lists the source, reads the flags and prints what happens.
//
// A round, in the order it runs:
//   1. list      SRC_DIR (pattern, modified window; with --watch a second look later: a file
//                still growing waits for the next poll);
//   2. diff      against the store's files: new, size/mtime moved (hashed: same content is
//                only touched), gone;
//   3. read      the new and changed files: their partitions and rows, or their error (a bad
//                file is FAILED, nothing of it applied);
//   4. plan      the partitions to recompute and the files to read for them;
//   5. compute   those partitions through the engine (each replaced atomically; one left
//                without rows is removed);
//   6. record    the files' new state, after the partitions: a round killed before this
//                point is simply done again by the next.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tsfill/backfill.hpp>

#include "../app/flags.hpp"
#include "../app/job_spec.hpp"
#include "../app/notices.hpp"
#include "../backfill/partitioned_run.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "paths.hpp"
#include "signals.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

namespace bf = tsfill::backfill;
namespace fs = std::filesystem;

const std::vector<std::string> run_flags = {
    "--state",   "--id",      "--pattern",        "--once",
    "--watch",   "--dry-run", "--modified-after", "--modified-before",
    "--workers", "--threads", "--max-memory",     "--no-progress"};

struct ingest_spec {
  std::string source;  // SRC_DIR, without a trailing slash
  std::string state;
  std::string id = "default";
  std::string pattern;  // empty: every .csv/.tsv/.parquet/.pq file
  std::optional<double> watch_seconds;
  bool dry_run = false;
  std::optional<std::int64_t> modified_after, modified_before;  // ns since the epoch
  unsigned workers = 1;
  std::string job_text;
};

// --- flags ------------------------------------------------------------------------------------

std::int64_t parse_instant(const std::string& flag, const std::string& v) {
  std::string why;
  if (const auto ns = parse_timestamp(v, &why)) return *ns;
  throw flag_error(flag, "expected a time like 2024-03-01 or 2024-03-01T12:00:00Z, got '" + v +
                             "'" + (why.empty() ? "" : ": " + why));
}

ingest_spec ingest_spec_from(const flag_texts& f, const job_spec& job) {
  ingest_spec s;
  if (job.inputs.size() != 1)
    throw cli_error("ingest takes one source directory (tsfill ingest SRC_DIR --output DIR)");
  s.source = without_trailing_slash(job.inputs[0]);
  std::error_code ec;
  if (!fs::is_directory(s.source, ec))
    throw cli_error(s.source + ": not a directory (ingest watches a directory of files)");
  if (const auto v = f.last("--state")) s.state = *v;
  if (s.state.empty()) throw flag_error("--state", "required: the progress store, e.g. state.db");
  if (const auto v = f.last("--id")) {
    if (v->empty()) throw flag_error("--id", "must not be empty");
    s.id = *v;
  }
  if (const auto v = f.last("--pattern")) {
    if (v->empty()) throw flag_error("--pattern", "must not be empty");
    s.pattern = *v;
  }
  if (f.on("--once") && f.given("--watch"))
    throw flag_error("--watch", "does not go with --once: one round, or rounds until a signal");
  if (const auto v = f.last("--watch")) {  // seconds (0.5, 10) or a duration (1min)
    std::optional<double> secs;
    if (!v->empty() && v->find_first_not_of("0123456789.") == std::string::npos) {
      char* end = nullptr;
      const double d = std::strtod(v->c_str(), &end);
      if (end && *end == '\0') secs = d;
    } else if (const auto ns = parse_duration(*v)) {
      secs = static_cast<double>(*ns) / 1e9;
    }
    if (!secs || !(*secs > 0) || *secs > 86400 * 366)
      throw flag_error("--watch",
                       "expected seconds between polls (e.g. 10, 0.5 or 1min), got '" + *v + "'");
    s.watch_seconds = secs;
  }
  s.dry_run = f.on("--dry-run");
  if (s.dry_run && s.watch_seconds) throw flag_error("--dry-run", "does not go with --watch");
  if (const auto v = f.last("--modified-after"))
    s.modified_after = parse_instant("--modified-after", *v);
  if (const auto v = f.last("--modified-before"))
    s.modified_before = parse_instant("--modified-before", *v);
  if (s.modified_after && s.modified_before && *s.modified_after >= *s.modified_before)
    throw flag_error("--modified-before", "is not after --modified-after");
  if (const auto v = f.last("--workers"))
    s.workers = static_cast<unsigned>(whole_number("--workers", *v, 1, 1024));
  // What ingest does not do (yet), refused rather than done differently from fill.
  if (!job.partition_by_day)
    throw flag_error("--partition", "ingest works partition by partition: use day");
  if (job.grid == grid_kind::range || job.grid == grid_kind::session)
    throw flag_error("--grid", "range and session grids are not supported by ingest yet");
  if (!job.unique_columns.empty())
    throw flag_error("--unique",
                     "not supported by ingest yet (a re-delivered file's rows are deduplicated by "
                     "--dedup like any others)");
  if (job.overwrite)
    throw flag_error("--overwrite", "ingest replaces the partitions new files touch, in place");
  if (job.stats) throw flag_error("--stats", "not supported by ingest (see tsfill status)");
  if (!job.rejects.empty()) throw flag_error("--rejects", "not supported by ingest yet");
  const std::string& out = job.output;
  if (has_extension(out, ".csv") || has_extension(out, ".tsv") || has_extension(out, ".parquet") ||
      has_extension(out, ".pq"))
    throw flag_error("--output", "ingest writes a directory of partitions, not a file");
  s.job_text = f.canonical(run_flags);
  return s;
}

// --- 1. list ------------------------------------------------------------------------------

struct listing {
  std::vector<bf::observed_file> files;  // paths relative to the source
  std::set<std::string> growing;         // changed between two looks: wait for the next poll
};

bool hidden(const std::string& name) {
  return !name.empty() && (name[0] == '.' || name[0] == '_');
}

// One look at the source: every file the round may take, with its size and mtime. A walk
// of its own (openat, fstatat relative to each directory): one stat per entry and no path
// resolution, so 100,000 files are listed in a fraction of a second.
std::vector<bf::observed_file> look(const ingest_spec& s, const std::string& output) {
  struct identity {
    dev_t dev = 0;
    ino_t ino = 0;
    bool known = false;
    bool is(const struct stat& st) const { return known && st.st_dev == dev && st.st_ino == ino; }
  };
  auto identity_of = [](const std::string& path) {
    struct stat st {};
    identity id;
    if (::stat(path.c_str(), &st) == 0) id = {st.st_dev, st.st_ino, true};
    return id;
  };
  const identity out = identity_of(output), state = identity_of(s.state);  // never inputs
  std::vector<bf::observed_file> found;
  auto wanted = [&](const std::string& rel, const std::string& name) {
    if (s.pattern.empty())
      return has_extension(name, ".csv") || has_extension(name, ".tsv") ||
             has_extension(name, ".parquet") || has_extension(name, ".pq");
    return s.pattern.find('/') != std::string::npos
               ? ::fnmatch(s.pattern.c_str(), rel.c_str(), FNM_PATHNAME) == 0
               : ::fnmatch(s.pattern.c_str(), name.c_str(), 0) == 0;
  };
  auto walk = [&](int fd, const std::string& prefix, auto& self) -> void {
    DIR* dir = ::fdopendir(fd);
    if (!dir) {
      ::close(fd);
      throw cli_error(s.source + "/" + prefix +
                      ": cannot list the directory: " + std::strerror(errno));
    }
    struct closer {
      DIR* d;
      ~closer() { ::closedir(d); }
    } close_at_end{dir};
    errno = 0;
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (name == "." || name == ".." || hidden(name)) continue;
      struct stat st {};
      if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone
      const std::string rel = prefix + name;
      if (S_ISLNK(st.st_mode)) {  // a link to a file is that file; links to directories are not
        if (::fstatat(::dirfd(dir), e->d_name, &st, 0) != 0 || S_ISDIR(st.st_mode))  // followed
          continue;                                                                  // (as fill)
      }
      if (S_ISDIR(st.st_mode)) {
        if (out.is(st)) continue;  // the output, inside the source
        const int sub = ::openat(::dirfd(dir), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sub >= 0) self(sub, rel + "/", self);
        continue;
      }
      if (!S_ISREG(st.st_mode) || state.is(st) || !wanted(rel, name)) continue;
      const std::int64_t mtime =
          std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
      if ((s.modified_after && mtime < *s.modified_after) ||
          (s.modified_before && mtime >= *s.modified_before))
        continue;
      found.push_back({rel, static_cast<std::uint64_t>(st.st_size), mtime});
    }
  };
  const int root = ::open(s.source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) throw cli_error(s.source + ": cannot list the directory: " + std::strerror(errno));
  walk(root, "", walk);
  std::sort(found.begin(), found.end(),
            [](const bf::observed_file& a, const bf::observed_file& b) { return a.path < b.path; });
  return found;
}

// With --watch, two looks a moment apart: a file whose size or mtime moved between them is
// still being written and waits for the next poll.
listing list_source(const ingest_spec& s, const std::string& output, bool twice) {
  listing l;
  l.files = look(s, output);
  if (!twice) return l;
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  const std::vector<bf::observed_file> again = look(s, output);
  std::map<std::string, const bf::observed_file*> second;
  for (const bf::observed_file& f : again) second[f.path] = &f;
  std::erase_if(l.files, [&](const bf::observed_file& f) {
    const auto it = second.find(f.path);
    const bool still =
        it != second.end() && it->second->size == f.size && it->second->mtime_ns == f.mtime_ns;
    if (!still) l.growing.insert(f.path);
    return !still;
  });
  return l;
}

// --- a round --------------------------------------------------------------------------------

struct round_outcome {
  std::size_t new_files = 0, changed = 0, touched = 0, gone = 0, failed_files = 0;
  std::size_t partitions_written = 0, partitions_unchanged = 0, partitions_removed = 0;
  std::size_t partitions_failed = 0, partitions_pending = 0;
  std::uint64_t rows_read = 0;   // by the computation (the rows of the files read for it)
  std::uint64_t bytes_read = 0;  // every file read: hashed, scanned, computed from
  bool stopped = false;
};

class ingester {
 public:
  ingester(const job_spec& job, const ingest_spec& s, bf::sqlite_store* store)
      : job_(job), s_(s), store_(store), root_(without_trailing_slash(job.output)) {}

  round_outcome round(bool twice, const std::function<bool()>& stop);

 private:
  struct read_result {
    std::vector<bf::read_file> files;
    std::vector<std::vector<std::string>> value_names;  // per file: its numeric columns
    std::vector<std::vector<std::string>> left_out;     // per file: its other columns
    std::vector<std::vector<std::string>> absent;       // per file: the dataset's it lacks
  };
  std::string source_path(const std::string& rel) const { return s_.source + "/" + rel; }
  read_result read_changed(const std::vector<bf::observed_file>& files,
                           const std::map<std::string, std::string>& hashed,
                           const std::optional<bf::dataset_schema>& schema) const;
  void print_dry_run(const std::vector<bf::read_file>& changed,
                     const std::vector<bf::observed_file>& touched,
                     const std::vector<std::string>& gone, const bf::round_plan& plan) const;
  void compute(const bf::round_plan& plan, const bf::dataset_schema& schema,
               const std::function<bool()>& stop, round_outcome& o);

  const job_spec& job_;
  const ingest_spec& s_;
  bf::sqlite_store* store_;  // none with --dry-run on a store not yet made
  std::string root_;
};

// 3. read: the new and changed files (each alone), their partitions and rows or their error.
// `hashed`: the hashes the diff already took (of changed candidates), not taken again.
ingester::read_result ingester::read_changed(
    const std::vector<bf::observed_file>& files, const std::map<std::string, std::string>& hashed,
    const std::optional<bf::dataset_schema>& schema) const {
  read_result out;
  if (files.empty()) return out;
  job_spec one = job_;
  one.inputs.clear();
  for (const bf::observed_file& f : files) one.inputs.push_back(source_path(f.path));
  if (schema) one.value_patterns = schema->value_names;
  const partitioned_run scan(one, s_.workers, nullptr, {}, std::nullopt,
                             partitioned_run::bad_file::skip, schema ? &*schema : nullptr);
  const input_scan& sc = scan.scan();
  if (!schema) note_columns_left_out(sc.not_numeric);  // (the first files fix the columns)
  for (std::size_t i = 0; i < files.size(); ++i) {
    bf::read_file r;
    r.file = files[i];
    if (const auto h = hashed.find(files[i].path); h != hashed.end()) {
      r.hash = h->second;
    } else {
      try {
        r.hash = bf::file_checksum(source_path(files[i].path));
      } catch (const bf::sink_error& e) {
        r.error = e.what();
      }
    }
    if (!sc.file_errors[i].empty()) r.error = sc.file_errors[i];
    if (!r.error) {
      r.rows = sc.files[i].rows;
      for (const auto& [p, rows] : sc.files[i].partitions) r.partitions[p] = rows;
      r.key_kinds = sc.file_key_kinds[i];
    }
    out.value_names.push_back(r.error ? std::vector<std::string>{} : sc.file_value_names[i]);
    out.left_out.push_back(r.error ? std::vector<std::string>{} : sc.file_columns_left_out[i]);
    out.absent.push_back(r.error ? std::vector<std::string>{} : sc.file_values_absent[i]);
    out.files.push_back(std::move(r));
  }
  return out;
}

void ingester::print_dry_run(const std::vector<bf::read_file>& changed,
                             const std::vector<bf::observed_file>& touched,
                             const std::vector<std::string>& gone,
                             const bf::round_plan& plan) const {
  std::printf("ingest %s: %s -> %s\n", s_.id.c_str(), s_.source.c_str(), root_.c_str());
  for (const bf::read_file& r : changed) {
    if (r.error) {
      std::printf("%s: would fail: %s\n", r.file.path.c_str(), r.error->c_str());
      continue;
    }
    std::printf("%s: %llu rows in %zu partitions\n", r.file.path.c_str(),
                static_cast<unsigned long long>(r.rows), r.partitions.size());
    for (const auto& [p, rows] : r.partitions)
      std::printf("  %s %12llu rows\n", format_date(p).c_str(),
                  static_cast<unsigned long long>(rows));
  }
  for (const bf::observed_file& f : touched)
    std::printf("%s: touched, same content: nothing to do\n", f.path.c_str());
  for (const std::string& g : gone)
    std::printf("%s: gone: its partitions are recomputed\n", g.c_str());
  std::printf("%zu partitions to recompute, from %zu files\n", plan.partitions.size(),
              plan.read.size());
}

// 5. compute: the plan's partitions from the plan's files, through the engine.
void ingester::compute(const bf::round_plan& plan, const bf::dataset_schema& schema,
                       const std::function<bool()>& stop, round_outcome& o) {
  const write_spec writing = job_.writing();
  const bf::directory_sink sink(root_, "");
  std::set<std::int64_t> with_rows;
  std::vector<bf::batch> batches;
  std::unique_ptr<spill_dir> spill;
  std::unique_ptr<partitioned_run> run;
  if (!plan.read.empty()) {
    job_spec all = job_;
    all.inputs.clear();
    for (const std::string& rel : plan.read) {
      all.inputs.push_back(source_path(rel));
      o.rows_read += plan.after.at(rel).rows;
      o.bytes_read += plan.after.at(rel).size;
    }
    all.value_patterns = schema.value_names;
    // The output's format is the source directory's, as one fill of it (not its first file's).
    if (all.format.empty())
      all.format = writing.default_format.empty() ? "csv" : writing.default_format;
    spill = std::make_unique<spill_dir>(root_);
    const std::int64_t last = *plan.partitions.rbegin();
    run = std::make_unique<partitioned_run>(
        all, s_.workers, spill.get(),
        [&](std::int64_t p) {  // (with carry-in, the partitions before carry values in)
          return plan.partitions.count(p) != 0 || (job_.carry_in && p < last);
        },
        std::nullopt, partitioned_run::bad_file::stop, &schema);
    for (const std::int64_t p : run->scan().partitions())
      if (plan.partitions.count(p)) with_rows.insert(p);
    const std::vector<std::int64_t> selected(with_rows.begin(), with_rows.end());
    batches = bf::make_batches(run->scan().partitions(), selected, 1, job_.carry_in);
  }
  // A partition no file has rows in any more: removed, as one fill would not write it.
  std::vector<std::int64_t> removed;
  for (const std::int64_t p : plan.partitions)
    if (with_rows.count(p) == 0) {
      sink.remove(partition_path(writing, p));
      removed.push_back(p);
    }
  store_->remove_partitions(s_.id, removed);
  o.partitions_removed = removed.size();
  if (batches.empty()) return;
  bf::engine_options opt;
  opt.workers = s_.workers;
  opt.retries = 2;
  opt.jitter_seed = static_cast<std::uint64_t>(::getpid());
  opt.stop_requested = stop;
  opt.in_order = job_.carry_in;  // each batch seeded with the one before
  opt.on_partition = [&](const bf::partition_record& r) {
    if (r.status == bf::partition_status::failed)
      std::fprintf(stderr, "tsfill: ingest %s: %s FAILED: %s\n", s_.id.c_str(),
                   format_date(r.partition).c_str(), r.error.c_str());
  };
  const bf::run_summary sum = bf::run(
      *store_, s_.id, batches, [&](const bf::batch& b) { return run->compute(b); }, opt);
  o.partitions_written = sum.complete;
  o.partitions_failed = sum.failed;
  o.partitions_pending = sum.pending;
  o.stopped = sum.stopped;
}

round_outcome ingester::round(bool twice, const std::function<bool()>& stop) {
  round_outcome o;
  // 1. list, 2. diff
  const listing l = list_source(s_, root_, twice);
  // (without each file's partitions: a round with nothing new needs no more)
  auto tracked =
      store_ ? store_->tracked_files(s_.id, false) : std::map<std::string, bf::tracked_file>{};
  std::vector<bf::observed_file> seen = l.files;
  for (const std::string& g : l.growing)  // a tracked file being rewritten: not gone, not yet read
    if (const auto it = tracked.find(g); it != tracked.end())
      seen.push_back({g, it->second.size, it->second.mtime_ns});
  const bool listed_all = s_.pattern.empty() && !s_.modified_after && !s_.modified_before;
  const bf::file_diff diff = bf::diff_files(tracked, seen, listed_all);
  std::vector<bf::observed_file> to_read = diff.added, touched;
  std::map<std::string, std::string> hashed;  // of the candidates: read_changed reuses them
  for (const bf::observed_file& f : diff.candidates) {
    std::string hash;
    try {
      hash = bf::file_checksum(source_path(f.path));
    } catch (const bf::sink_error&) {  // unreadable now: the reader says why below
    }
    if (!hash.empty() && hash == tracked.at(f.path).hash) {
      touched.push_back(f);
    } else {
      to_read.push_back(f);
      if (!hash.empty()) hashed.emplace(f.path, hash);
    }
  }
  std::sort(to_read.begin(), to_read.end(),
            [](const bf::observed_file& a, const bf::observed_file& b) { return a.path < b.path; });
  o.new_files = diff.added.size();
  o.changed = to_read.size() - diff.added.size();
  o.touched = touched.size();
  for (const bf::observed_file& f : diff.candidates) o.bytes_read += f.size;  // hashed
  for (const bf::observed_file& f : diff.added) o.bytes_read += f.size;       // hashed
  for (const bf::observed_file& f : to_read) o.bytes_read += f.size;          // scanned
  o.gone = diff.gone.size();
  std::set<std::int64_t> left_over;  // partitions a killed or failed round left unfinished
  if (store_)
    for (const auto& [p, r] : store_->partitions(s_.id))
      if (r.status != bf::partition_status::complete) left_over.insert(p);
  if (to_read.empty() && touched.empty() && diff.gone.empty() && left_over.empty()) {
    if (s_.dry_run) std::printf("ingest %s: nothing new in %s\n", s_.id.c_str(), s_.source.c_str());
    return o;
  }
  if (store_) tracked = store_->tracked_files(s_.id);

  // 3. read
  std::optional<bf::dataset_schema> schema = store_ ? store_->dataset(s_.id) : std::nullopt;
  const read_result read = read_changed(to_read, hashed, schema);
  for (const bf::read_file& r : read.files)
    if (r.error) {
      ++o.failed_files;
      std::fprintf(stderr, "tsfill: ingest %s: %s FAILED: %s\n", s_.id.c_str(), r.file.path.c_str(),
                   r.error->c_str());
    }
  bf::dataset_schema now_schema;
  auto known = [](const std::vector<std::string>& v, const std::string& name) {
    return std::find(v.begin(), v.end(), name) != v.end();
  };
  if (schema) {  // later files are read for the dataset's columns: drift is said, not applied
    now_schema = *schema;
    for (std::size_t i = 0; i < read.files.size(); ++i) {
      const char* path = read.files[i].file.path.c_str();
      for (const std::string& name : read.left_out[i])
        if (!known(schema->value_names, name) && !known(schema->other_columns, name))
          std::fprintf(stderr,
                       "tsfill: ingest %s: %s: column '%s' is left out: not a column of the "
                       "dataset when it was first written (a new --id starts over with it)\n",
                       s_.id.c_str(), path, name.c_str());
      for (const std::string& name : read.absent[i])
        std::fprintf(stderr,
                     "tsfill: ingest %s: %s: has no column '%s' of the dataset: its rows are "
                     "null there\n",
                     s_.id.c_str(), path, name.c_str());
    }
  } else {  // the first readable files fix the value columns, as one fill of them would
    bool first = true;
    for (std::size_t i = 0; i < read.files.size(); ++i) {
      if (read.files[i].error) continue;
      const std::vector<std::string>& names = read.value_names[i];
      for (const std::string& name : read.left_out[i])
        if (!known(now_schema.other_columns, name)) now_schema.other_columns.push_back(name);
      if (first) {
        now_schema.value_names = names;
        first = false;
        continue;
      }
      for (const std::string& name : now_schema.value_names)
        if (!known(names, name) && !known(now_schema.other_columns, name))
          now_schema.other_columns.push_back(name);
      std::erase_if(now_schema.value_names, [&](const std::string& n) { return !known(names, n); });
    }
  }

  // 4. plan, with the partitions a killed or failed round left unfinished
  const std::int64_t now = bf::wall_clock_ms();
  bf::round_plan plan =
      bf::plan_round(tracked, read.files, touched, diff.gone, left_over, false, now);
  now_schema.key_kinds = bf::dataset_key_kinds(plan.after);
  if (schema) {  // a key now read as strings (or integers) orders every partition anew
    bool kinds_moved = false;
    for (std::size_t j = 0; j < schema->key_kinds.size() && j < now_schema.key_kinds.size(); ++j)
      kinds_moved |= schema->key_kinds[j] != '-' && schema->key_kinds[j] != now_schema.key_kinds[j];
    if (kinds_moved) {
      std::fprintf(stderr,
                   "tsfill: ingest %s: a key column's kind changed (integer/string): "
                   "every partition is recomputed\n",
                   s_.id.c_str());
      plan = bf::plan_round(tracked, read.files, touched, diff.gone, left_over, true, now);
    }
  }
  if (job_.carry_in) bf::carry_forward(plan);  // values flow on into every later partition
  if (s_.dry_run) {
    print_dry_run(read.files, touched, diff.gone, plan);
    return o;
  }

  // 5. compute, 6. record
  if (!plan.partitions.empty()) {
    if (now_schema.value_names.empty() && !plan.read.empty())
      throw flag_error("--values", "no column is numeric in every input file: nothing to fill");
    compute(plan, now_schema, stop, o);
  }
  std::vector<std::string> paths;
  for (const bf::read_file& r : read.files) paths.push_back(r.file.path);
  for (const bf::observed_file& f : touched) paths.push_back(f.path);
  paths.insert(paths.end(), diff.gone.begin(), diff.gone.end());
  if (!paths.empty()) store_->save_files(s_.id, plan.after, paths);
  if (!schema && !now_schema.value_names.empty())
    store_->set_dataset(s_.id, now_schema);
  else if (schema && now_schema != *schema)
    store_->set_dataset(s_.id, now_schema);
  return o;
}

void print_round(const ingest_spec& s, const round_outcome& o, double secs) {
  std::fprintf(stderr,
               "tsfill: ingest %s: %zu new, %zu changed, %zu touched only, %zu gone, %zu FAILED "
               "files; %zu partitions written, %zu removed, %zu FAILED, %zu PENDING; %llu rows "
               "computed, %.1f MB read (%.2f s)%s\n",
               s.id.c_str(), o.new_files, o.changed, o.touched, o.gone, o.failed_files,
               o.partitions_written, o.partitions_removed, o.partitions_failed,
               o.partitions_pending, static_cast<unsigned long long>(o.rows_read),
               static_cast<double>(o.bytes_read) / 1e6, secs,
               o.stopped ? "; stopped by a signal, the rest is taken next time" : "");
}

int run_ingest(const job_spec& job, const ingest_spec& s) {
  // The store first: a second process is refused at once, before any input is read.
  std::unique_ptr<bf::sqlite_store> store;
  try {
    if (!s.dry_run)
      store = std::make_unique<bf::sqlite_store>(s.state);
    else if (fs::exists(s.state))
      store = std::make_unique<bf::sqlite_store>(s.state, bf::sqlite_store::access::read);
  } catch (const bf::store_busy& e) {
    throw busy_error(e.what());
  } catch (const bf::store_error& e) {
    throw flag_error("--state", e.what());
  }
  if (store && !s.dry_run) {
    try {
      store->open_backfill(s.id, s.job_text, bf::wall_clock_ms());
    } catch (const bf::store_error& e) {
      throw flag_error("--id", e.what());
    }
    try {
      const bf::directory_sink sink(without_trailing_slash(job.output), "");
      sink.prepare();
      sink.remove_staged();  // what a killed run left (we hold the store's lock)
    } catch (const bf::sink_error& e) {
      throw flag_error("--output", e.what());
    }
  }
  const graceful_stop signals;  // SIGINT/SIGTERM: finish the partition being written, stop
  const std::function<bool()> stop = [&signals] { return signals.requested(); };
  ingester in(job, s, store.get());
  int status = 0;
  for (;;) {
    const auto started = std::chrono::steady_clock::now();
    round_outcome o;
    try {
      o = in.round(s.watch_seconds.has_value(), stop);
    } catch (const bf::store_error& e) {
      throw run_failure(std::string("progress store failed: ") + e.what());
    } catch (const bf::sink_error& e) {
      throw run_failure(e.what());
    } catch (const cli_error& e) {
      if (!s.watch_seconds) throw;
      std::fprintf(stderr, "tsfill: ingest %s: round failed, retried at the next poll: %s\n",
                   s.id.c_str(), e.what());
      status = 1;
    }
    if (s.dry_run) return 0;
    print_round(s, o,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (o.failed_files || o.partitions_failed) status = 1;
    if (store)
      store->finish_run(s.id, o.partitions_failed ? "failed" : "done", bf::wall_clock_ms());
    if (!s.watch_seconds) return signals.requested() ? 128 + signals.signal() : status;
    // --watch: sleep until the next poll, waking for a signal.
    const auto next = started + std::chrono::duration<double>(*s.watch_seconds);
    while (!signals.requested() && std::chrono::steady_clock::now() < next)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (signals.requested()) {
      std::fprintf(stderr, "tsfill: ingest %s: stopped by signal %d; the store is consistent\n",
                   s.id.c_str(), signals.signal());
      return 0;
    }
  }
}

}  // namespace

void add_ingest_command(CLI::App& app, command_run& run) {
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Incremental ingestion of a directory of files into a directory of partitions: each "
      "round takes the files that are new or changed (or gone) and recomputes exactly the "
      "partitions they touch, each replaced atomically, tracking every file in a SQLite "
      "store: after every round the output equals one 'tsfill fill' of the current files.");
  auto flags = std::make_shared<flag_texts>();
  add_job_command_flags(*cmd, *flags);
  CLI::App& g = *cmd->add_option_group("ingest", "How the ingestion runs");
  flags->value(g, "--state", "STATE.db", "the progress store (SQLite; created if missing)");
  flags->value(g, "--id", "NAME", "this dataset's name in the store (default: default)");
  flags->value(g, "--pattern", "GLOB",
               "which files: a name glob ('*.csv'), or a path glob relative to SRC_DIR when it "
               "has a '/' (default: every .csv and .parquet file, recursively)");
  flags->toggle(g, "--once", "process what is new, then exit (the default)");
  flags->value(g, "--watch", "SECONDS",
               "poll every SECONDS until SIGINT/SIGTERM, which finish the partition being "
               "written and exit 0; a file still growing waits for the next poll");
  flags->value(g, "--modified-after", "T", "only files modified at or after T");
  flags->value(g, "--modified-before", "T", "only files modified before T");
  flags->value(g, "--workers", "N", "files read and partitions computed at once (default 1)");
  flags->toggle(g, "--dry-run",
                "list the new or changed files and the partitions each would touch, with row "
                "counts; write nothing");
  cmd->callback([cmd, flags, &run] {
    refuse_unknown_flags(*cmd);
    job_spec spec = job_spec_from(*flags);
    validate(spec);
    ingest_spec s = ingest_spec_from(*flags, spec);
    run = [spec = std::move(spec), s = std::move(s)] { return run_ingest(spec, s); };
  });
}

}  // namespace tsfill_cli
