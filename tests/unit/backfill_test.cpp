// The backfill component: planner, engine, stores and directory sink. The memory store is
// the model; the SQLite store must record exactly what it records, in a real file.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tsfill/backfill.hpp>

namespace bf = tsfill::backfill;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the build's temp dir, removed at the end.
struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("tsfill-backfill-test-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(counter()++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bf::partition_record rec(std::int64_t p, bf::partition_status s) {
  bf::partition_record r;
  r.partition = p;
  r.status = s;
  return r;
}

}  // namespace

// --- planner ------------------------------------------------------------------------------

TEST(BackfillPlan, SelectsByRangeAndReprocessMode) {
  const std::vector<std::int64_t> available{1, 2, 3, 4, 5, 6};
  std::map<std::int64_t, bf::partition_record> recorded;
  recorded[2] = rec(2, bf::partition_status::complete);
  recorded[3] = rec(3, bf::partition_status::failed);
  recorded[4] = rec(4, bf::partition_status::running);  // a process died
  recorded[5] = rec(5, bf::partition_status::pending);
  using v = std::vector<std::int64_t>;
  EXPECT_EQ(bf::select_partitions(available, {}, {}, recorded, bf::reprocess_mode::none),
            (v{1, 4, 5, 6}));
  EXPECT_EQ(bf::select_partitions(available, {}, {}, recorded, bf::reprocess_mode::failed),
            (v{1, 3, 4, 5, 6}));
  EXPECT_EQ(bf::select_partitions(available, {}, {}, recorded, bf::reprocess_mode::all),
            (v{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(bf::select_partitions(available, 2, 4, recorded, bf::reprocess_mode::all),
            (v{2, 3, 4}));
  EXPECT_EQ(bf::select_partitions(available, 7, {}, recorded, bf::reprocess_mode::all), v{});
  EXPECT_EQ(bf::parse_reprocess("failed"), bf::reprocess_mode::failed);
  EXPECT_FALSE(bf::parse_reprocess("some"));
}

TEST(BackfillPlan, BatchesChunkTheSelectedPartitions) {
  const std::vector<std::int64_t> available{1, 2, 3, 4, 5, 6, 7};
  const std::vector<std::int64_t> selected{2, 3, 5, 6};
  const auto b = bf::make_batches(available, selected, 3, false);
  ASSERT_EQ(b.size(), 2U);
  EXPECT_EQ(b[0].partitions, (std::vector<std::int64_t>{2, 3, 5}));
  EXPECT_EQ(b[0].targets, b[0].partitions);
  EXPECT_EQ(b[1].partitions, (std::vector<std::int64_t>{6}));
  EXPECT_TRUE(bf::make_batches(available, {}, 3, false).empty());
  // chunk 0 means 1
  EXPECT_EQ(bf::make_batches(available, selected, 0, false).size(), 4U);
}

TEST(BackfillPlan, CarryInBatchesCoverEveryPartitionUpToTheLastSelected) {
  const std::vector<std::int64_t> available{1, 2, 3, 4, 5, 6, 7};
  const auto b = bf::make_batches(available, {3, 5}, 2, true);
  ASSERT_EQ(b.size(), 3U);  // {1,2} {3,4} {5}
  EXPECT_EQ(b[0].partitions, (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(b[0].targets.empty());  // computed for the carry only
  EXPECT_EQ(b[1].targets, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(b[2].partitions, (std::vector<std::int64_t>{5}));
  EXPECT_EQ(b[2].targets, (std::vector<std::int64_t>{5}));
}

// --- engine over the memory store -----------------------------------------------------------

namespace {

// A compute function whose partitions fail a set number of times (-1: always).
struct flaky_job {
  std::map<std::int64_t, int> failures;  // partition -> attempts that fail
  std::mutex m;
  std::map<std::int64_t, int> calls;
  std::vector<std::vector<std::int64_t>> batches_seen;

  std::vector<bf::partition_result> operator()(const bf::batch& b) {
    std::lock_guard lock(m);
    batches_seen.push_back(b.partitions);
    for (const std::int64_t p : b.partitions) {
      const int n = calls[p]++;
      const auto it = failures.find(p);
      if (it != failures.end() && (it->second < 0 || n < it->second))
        throw std::runtime_error("partition " + std::to_string(p) + " broke");
    }
    std::vector<bf::partition_result> out;
    for (const std::int64_t p : b.targets)
      out.push_back({p, static_cast<std::uint64_t>(p * 10), static_cast<std::uint64_t>(p * 20),
                     "sum" + std::to_string(p)});
    return out;
  }
};

bf::engine_options quick(unsigned workers, unsigned retries) {
  bf::engine_options o;
  o.workers = workers;
  o.retries = retries;
  o.backoff = std::chrono::milliseconds(1);
  return o;
}

}  // namespace

TEST(BackfillEngine, RecordsEveryPartitionComplete) {
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  flaky_job job;
  const auto batches = bf::make_batches({1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, 2, false);
  const bf::run_summary s = bf::run(store, "x", batches, std::ref(job), quick(2, 0));
  EXPECT_EQ(s.complete, 5U);
  EXPECT_EQ(s.failed, 0U);
  EXPECT_EQ(s.rows_in, 150U);
  EXPECT_EQ(s.outcome(), "done");
  for (const auto& [p, r] : store.partitions("x")) {
    EXPECT_EQ(r.status, bf::partition_status::complete) << p;
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.rows_out, static_cast<std::uint64_t>(p * 20));
    EXPECT_EQ(r.checksum, "sum" + std::to_string(p));
  }
}

TEST(BackfillEngine, OneBadPartitionFailsAloneTheRestGoOn) {
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  flaky_job job;
  job.failures[3] = -1;
  const auto batches = bf::make_batches({1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5, 6}, 3, false);
  const bf::run_summary s = bf::run(store, "x", batches, std::ref(job), quick(1, 2));
  EXPECT_EQ(s.complete, 5U);
  EXPECT_EQ(s.failed, 1U);
  EXPECT_EQ(s.outcome(), "failed");
  const auto recs = store.partitions("x");
  EXPECT_EQ(recs.at(3).status, bf::partition_status::failed);
  EXPECT_EQ(recs.at(3).error, "partition 3 broke");
  EXPECT_EQ(recs.at(3).attempts, 4);  // once in its batch, then alone with 2 retries
  EXPECT_EQ(recs.at(2).status, bf::partition_status::complete);
}

TEST(BackfillEngine, TransientFailuresAreRetriedWithGrowingDelays) {
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  flaky_job job;
  job.failures[1] = 2;  // two failures, then fine
  std::vector<std::chrono::milliseconds> delays;
  bf::engine_options o = quick(1, 2);
  o.backoff = std::chrono::milliseconds(8);
  o.on_retry = [&](const bf::batch&, int, const std::string&, std::chrono::milliseconds d) {
    delays.push_back(d);
  };
  const bf::run_summary s =
      bf::run(store, "x", bf::make_batches({1}, {1}, 1, false), std::ref(job), o);
  EXPECT_EQ(s.complete, 1U);
  EXPECT_EQ(store.partitions("x").at(1).attempts, 3);
  ASSERT_EQ(delays.size(), 2U);
  EXPECT_GE(delays[0].count(), 4);  // 8 ms x [0.5, 1.5)
  EXPECT_LT(delays[0].count(), 12);
  EXPECT_GE(delays[1].count(), 8);  // 16 ms x [0.5, 1.5)
  EXPECT_LT(delays[1].count(), 24);
}

TEST(BackfillEngine, InOrderStopsAtAFailureAndLeavesTheRestPending) {
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  flaky_job job;
  job.failures[3] = -1;
  const auto batches = bf::make_batches({1, 2, 3, 4, 5}, {2, 3, 4, 5}, 1, true);
  bf::engine_options o = quick(2, 1);
  o.in_order = true;
  const bf::run_summary s = bf::run(store, "x", batches, std::ref(job), o);
  EXPECT_EQ(s.complete, 1U);  // 2 (1 computed for the carry only)
  EXPECT_EQ(s.failed, 1U);
  EXPECT_EQ(s.pending, 2U);
  EXPECT_TRUE(s.failure_stop);
  const auto recs = store.partitions("x");
  EXPECT_EQ(recs.count(1), 0U);
  EXPECT_EQ(recs.at(4).status, bf::partition_status::pending);
  EXPECT_EQ(recs.at(5).status, bf::partition_status::pending);
}

TEST(BackfillEngine, ACarryOnlyBatchFailingFailsWhatFollows) {
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  flaky_job job;
  job.failures[1] = -1;
  const auto batches = bf::make_batches({1, 2, 3}, {2, 3}, 1, true);
  bf::engine_options o = quick(1, 0);
  o.in_order = true;
  const bf::run_summary s = bf::run(store, "x", batches, std::ref(job), o);
  EXPECT_EQ(s.failed, 2U);
  EXPECT_NE(store.partitions("x").at(3).error.find("cannot be carried in"), std::string::npos);
}

TEST(BackfillEngine, TimeBudgetStartsNothingNewAndLeavesThePartitionsPending) {
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  auto slow = [](const bf::batch& b) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return std::vector<bf::partition_result>{{b.targets[0], 1, 1, "c"}};
  };
  bf::engine_options o = quick(1, 0);
  o.time_budget = std::chrono::milliseconds(45);
  const bf::run_summary s =
      bf::run(store, "x", bf::make_batches({1, 2, 3, 4}, {1, 2, 3, 4}, 1, false), slow, o);
  EXPECT_TRUE(s.budget_stop);
  EXPECT_EQ(s.complete, 2U);
  EXPECT_EQ(s.pending, 2U);
  EXPECT_EQ(s.outcome(), "time budget");
  EXPECT_EQ(store.partitions("x").at(4).status, bf::partition_status::pending);
}

TEST(BackfillStore, MemoryStoreRefusesAnotherJobUnderOneId) {
  bf::memory_store store;
  store.open_backfill("x", "job A", 1);
  EXPECT_NO_THROW(store.open_backfill("x", "job A", 2));
  EXPECT_THROW(store.open_backfill("x", "job B", 3), bf::store_error);
  EXPECT_NO_THROW(store.open_backfill("y", "job B", 3));
}

// --- the SQLite store: the same records as the model, in a real file ----------------------

namespace {

// The records without the clock's fields.
std::map<std::int64_t, bf::partition_record> timeless(
    std::map<std::int64_t, bf::partition_record> m) {
  for (auto& [p, r] : m) r.started_ms = r.finished_ms = 0;
  return m;
}

}  // namespace

TEST(BackfillStore, SqliteRecordsWhatTheModelRecordsOnRandomRuns) {
  temp_dir dir;
  std::mt19937 rng(20261128);
  for (int round = 0; round < 40; ++round) {
    const std::string db = (dir.path / ("s" + std::to_string(round) + ".db")).string();
    bf::memory_store model;
    bf::sqlite_store real(db);
    std::vector<std::int64_t> all;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) all.push_back(100 + i);
    flaky_job job_a, job_b;
    for (const std::int64_t p : all) {
      const int f = static_cast<int>(rng() % 6) - 1;  // -1 always, 0 never, 1..4 transient
      if (f != 0) job_a.failures[p] = job_b.failures[p] = f;
    }
    const std::size_t chunk = 1 + rng() % 3;
    const bool in_order = rng() % 3 == 0;
    const unsigned retries = static_cast<unsigned>(rng() % 3);
    const auto batches = bf::make_batches(all, all, chunk, in_order);
    bf::engine_options o = quick(1, retries);  // one worker: attempt order is deterministic
    o.in_order = in_order;
    model.open_backfill("id", "job", 1);
    real.open_backfill("id", "job", 1);
    const auto sm = bf::run(model, "id", batches, std::ref(job_a), o);
    const auto sr = bf::run(real, "id", batches, std::ref(job_b), o);
    EXPECT_EQ(sm.complete, sr.complete) << "round " << round;
    EXPECT_EQ(sm.failed, sr.failed) << "round " << round;
    ASSERT_EQ(timeless(model.partitions("id")), timeless(real.partitions("id")))
        << "round " << round << ": " << n << " partitions, chunk " << chunk << ", in order "
        << in_order << ", retries " << retries;
  }
}

TEST(BackfillStore, SqliteKeepsEverythingAcrossReopening) {
  temp_dir dir;
  const std::string db = (dir.path / "state.db").string();
  {
    bf::sqlite_store s(db);
    s.open_backfill("nightly", "--slot 30min", 5);
    s.set_pending("nightly", {1, 2});
    s.mark_running("nightly", 1, 10);
    bf::partition_record r = rec(1, bf::partition_status::complete);
    r.finished_ms = 20;
    r.rows_in = 7;
    r.rows_out = 9;
    r.checksum = "x64:00";
    s.mark_done("nightly", r);
    s.mark_running("nightly", 2, 30);  // then "killed": stays RUNNING
    s.finish_run("nightly", "time budget", 40);
    s.set_rules("nightly", {{"size<50", 7}, {"a:notnull", 0}});
    s.set_checkpoint("nightly", 42);
  }
  bf::sqlite_store s(db, bf::sqlite_store::access::read);
  const auto recs = s.partitions("nightly");
  ASSERT_EQ(recs.size(), 2U);
  EXPECT_EQ(recs.at(1).status, bf::partition_status::complete);
  EXPECT_EQ(recs.at(1).attempts, 1);
  EXPECT_EQ(recs.at(1).rows_out, 9U);
  EXPECT_EQ(recs.at(1).checksum, "x64:00");
  EXPECT_EQ(recs.at(2).status, bf::partition_status::running);
  const auto b = s.backfills();
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(b[0].job, "--slot 30min");
  EXPECT_EQ(b[0].last_outcome, "time budget");
  EXPECT_EQ(b[0].last_finished_ms, 40);
  EXPECT_EQ(b[0].checkpoint, 42);
  EXPECT_EQ(b[0].rules,
            (std::vector<std::pair<std::string, std::uint64_t>>{{"size<50", 7}, {"a:notnull", 0}}));
}

TEST(BackfillStore, SqliteRefusesASecondProcessAndNamesTheHolder) {
  temp_dir dir;
  const std::string db = (dir.path / "state.db").string();
  bf::sqlite_store holder(db);
  holder.open_backfill("x", "job", 1);
  // Another process (the lock is per open file description: a thread would share ours).
  const pid_t child = fork();
  if (child == 0) {
    int code = 1;
    try {
      bf::sqlite_store second(db);
    } catch (const bf::store_busy& e) {
      const std::string what = e.what();
      code = what.find("process " + std::to_string(getppid())) != std::string::npos ? 0 : 2;
    } catch (...) {
      code = 3;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not refused, 2: holder not named, 3: other error";
}

TEST(BackfillStore, ADeadHolderDoesNotBlock) {
  temp_dir dir;
  const std::string db = (dir.path / "state.db").string();
  const pid_t child = fork();
  if (child == 0) {
    bf::sqlite_store s(db);
    s.open_backfill("x", "job", 1);
    s.mark_running("x", 1, 1);
    _exit(0);  // no destructor: as if killed, the holder row stays
  }
  int status = 0;
  waitpid(child, &status, 0);
  bf::sqlite_store s(db);  // the kernel dropped the lock with the process
  EXPECT_EQ(s.partitions("x").at(1).status, bf::partition_status::running);
}

TEST(BackfillStore, ReadersDoNotNeedTheLockAndRefuseOtherFiles) {
  temp_dir dir;
  const std::string db = (dir.path / "state.db").string();
  bf::sqlite_store writer(db);
  writer.open_backfill("x", "job", 1);
  bf::sqlite_store reader(db, bf::sqlite_store::access::read);
  EXPECT_EQ(reader.backfills().size(), 1U);
  const fs::path other = dir.path / "other.db";
  std::ofstream(other) << "not a database at all, just some text that is long enough.......";
  EXPECT_THROW(bf::sqlite_store(other.string(), bf::sqlite_store::access::read), bf::store_error);
  EXPECT_THROW(bf::sqlite_store((dir.path / "missing.db").string(), bf::sqlite_store::access::read),
               bf::store_error);
}

// --- the directory sink ----------------------------------------------------------------------

TEST(BackfillSink, ReplacesAtomicallyAndKeepsUnchangedFiles) {
  temp_dir dir;
  bf::directory_sink sink((dir.path / "out").string(), "part-0.csv");
  sink.prepare();
  auto writing = [](const std::string& text) {
    return [text](const std::string& path) { std::ofstream(path, std::ios::binary) << text; };
  };
  const bf::written_partition a = sink.replace("d=1", writing("a\n1\n"));
  EXPECT_FALSE(a.unchanged);
  EXPECT_EQ(read_file(a.path), "a\n1\n");
  EXPECT_EQ(a.checksum, bf::file_checksum(a.path));
  EXPECT_EQ(a.bytes, 4U);
  const auto mtime = fs::last_write_time(a.path);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bf::written_partition same = sink.replace("d=1", writing("a\n1\n"));
  EXPECT_TRUE(same.unchanged);
  EXPECT_EQ(fs::last_write_time(a.path), mtime);
  const bf::written_partition b = sink.replace("d=1", writing("a\n2\n"));
  EXPECT_FALSE(b.unchanged);
  EXPECT_NE(b.checksum, a.checksum);
  EXPECT_EQ(read_file(b.path), "a\n2\n");
  // A failing writer leaves the old file and nothing hidden.
  EXPECT_THROW(sink.replace("d=1",
                            [](const std::string& path) {
                              std::ofstream(path) << "half";
                              throw std::runtime_error("disk full");
                            }),
               std::runtime_error);
  EXPECT_THROW(sink.replace("d=2",
                            [](const std::string& path) {
                              std::ofstream(path) << "half";
                              throw std::runtime_error("disk full");
                            }),
               std::runtime_error);
  EXPECT_EQ(read_file(b.path), "a\n2\n");
  EXPECT_FALSE(fs::exists(dir.path / "out" / "d=2"));
  std::size_t entries = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path / "out")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 2U);  // d=1 and its file
}

TEST(BackfillSink, RemovesWhatAKilledRunLeftStaged) {
  temp_dir dir;
  const fs::path out = dir.path / "out";
  fs::create_directories(out / "d=1");
  fs::create_directories(out / ".d=2.tsfill-tmp-1-2");
  std::ofstream(out / ".d=2.tsfill-tmp-1-2" / "part-0.csv") << "x";
  std::ofstream(out / "d=1" / ".part-0.csv.tsfill-tmp-1-2") << "x";
  std::ofstream(out / "d=1" / "part-0.csv") << "keep";
  std::ofstream(out / "notes.tsfill-tmp.txt") << "not hidden: not ours";
  bf::directory_sink sink(out.string(), "part-0.csv");
  EXPECT_EQ(sink.remove_staged(), 2U);
  EXPECT_TRUE(fs::exists(out / "d=1" / "part-0.csv"));
  EXPECT_TRUE(fs::exists(out / "notes.tsfill-tmp.txt"));
  EXPECT_FALSE(fs::exists(out / ".d=2.tsfill-tmp-1-2"));
}

TEST(BackfillSink, ChecksumsSeeEveryByteAndItsPlace) {
  temp_dir dir;
  std::mt19937 rng(7);
  std::set<std::string> seen;
  auto sum = [&](const std::string& text) {
    const fs::path p = dir.path / "f";
    std::ofstream(p, std::ios::binary) << text;
    std::uint64_t n = 0;
    const std::string c = bf::file_checksum(p.string(), &n);
    EXPECT_EQ(n, text.size());
    return c;
  };
  const std::string base(100'000, 'a');
  EXPECT_EQ(sum(base), sum(base));
  seen.insert(sum(base));
  seen.insert(sum(""));
  seen.insert(sum(base + "a"));    // only the length differs
  for (int i = 0; i < 200; ++i) {  // one byte changed anywhere, or two swapped
    std::string s = base;
    const std::size_t at = rng() % s.size();
    s[at] = static_cast<char>('b' + rng() % 20);
    if (i % 2) std::swap(s[at], s[(at + 1 + rng() % 40) % s.size()]);
    seen.insert(sum(s));
  }
  EXPECT_EQ(seen.size(), 203U);
  EXPECT_NE(sum("ab"), sum("ba"));
}

TEST(BackfillPlan, SequenceRangesRecomputeTheirPartitionsInOrder) {
  const std::map<std::int64_t, std::set<std::int64_t>> touched{{50, {3, 1, 2}}, {97, {2}}};
  const auto b = bf::make_sequence_batches(touched, 2);
  ASSERT_EQ(b.size(), 3U);  // range 50: {1,2} {3}; range 97: {2}
  EXPECT_EQ(b[0].partitions, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(b[0].up_to, 50);
  EXPECT_FALSE(b[0].checkpoint);  // the range is not done after its first chunk
  EXPECT_EQ(b[1].partitions, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(b[1].checkpoint, 50);
  EXPECT_EQ(b[2].targets, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(b[2].up_to, 97);
  EXPECT_EQ(b[2].checkpoint, 97);
}

TEST(BackfillEngine, ACheckpointIsRecordedOnlyWhenItsRangeIsDone) {
  const std::map<std::int64_t, std::set<std::int64_t>> touched{{10, {1, 2}}, {20, {3}}, {30, {1}}};
  bf::engine_options o = quick(1, 0);
  o.in_order = true;
  {
    bf::memory_store store;
    store.open_backfill("x", "job", 1);
    flaky_job job;
    EXPECT_EQ(bf::run(store, "x", bf::make_sequence_batches(touched, 1), std::ref(job), o).complete,
              4U);
    EXPECT_EQ(store.backfills()[0].checkpoint, 30);
  }
  bf::memory_store store;
  store.open_backfill("x", "job", 1);
  flaky_job job;
  job.failures[3] = -1;  // range 20 fails: 10 stays the checkpoint, range 30 is not run
  const bf::run_summary s =
      bf::run(store, "x", bf::make_sequence_batches(touched, 1), std::ref(job), o);
  EXPECT_EQ(s.failed, 1U);
  EXPECT_TRUE(s.failure_stop);
  EXPECT_EQ(store.backfills()[0].checkpoint, 10);
  EXPECT_EQ(job.calls.count(1) ? job.calls.at(1) : 0, 1);  // partition 1 computed for range 10 only
}

// --- file tracking (incremental ingestion) --------------------------------------------------

TEST(FileTracking, DiffFindsNewMovedAndGoneFiles) {
  std::map<std::string, bf::tracked_file> tracked;
  for (const char* p : {"a.csv", "b.csv", "c.csv"}) {
    tracked[p].path = p;
    tracked[p].size = 10;
    tracked[p].mtime_ns = 100;
  }
  const std::vector<bf::observed_file> listing = {
      {"d.csv", 1, 1}, {"b.csv", 10, 101}, {"a.csv", 10, 100}};  // c.csv is gone
  const bf::file_diff d = bf::diff_files(tracked, listing, true);
  ASSERT_EQ(d.added.size(), 1U);
  EXPECT_EQ(d.added[0].path, "d.csv");
  ASSERT_EQ(d.candidates.size(), 1U);
  EXPECT_EQ(d.candidates[0].path, "b.csv");
  EXPECT_EQ(d.gone, std::vector<std::string>{"c.csv"});
  EXPECT_EQ(d.unchanged, 1U);
  // A narrowed listing (--pattern, --modified-*) says nothing of files it does not list.
  EXPECT_TRUE(bf::diff_files(tracked, listing, false).gone.empty());
}

TEST(FileTracking, RoundsPlanExactlyThePartitionsChangesTouchOnRandomHistories) {
  // The model: each file's partitions; a round changes some files. The plan must recompute
  // exactly the partitions a change touches (old or new rows, or left over), read exactly
  // the readable files with rows there, and track what the files now are.
  std::mt19937 rng(20261128);
  for (int c = 0; c < 2000; ++c) {
    std::map<std::string, bf::tracked_file> tracked;
    const int files = static_cast<int>(rng() % 7);
    auto some_partitions = [&] {
      std::map<std::int64_t, std::uint64_t> m;
      const int n = static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) m[static_cast<std::int64_t>(rng() % 10)] += 1 + rng() % 5;
      return m;
    };
    for (int f = 0; f < files; ++f) {
      bf::tracked_file t;
      t.path = "f" + std::to_string(f);
      t.failed = rng() % 5 == 0;
      if (!t.failed) t.partitions = some_partitions();
      tracked[t.path] = t;
    }
    std::vector<bf::read_file> changed;
    std::vector<bf::observed_file> touched;
    std::vector<std::string> gone;
    std::set<std::int64_t> expect;
    for (const auto& [path, t] : tracked) {
      const auto what = rng() % 5;  // 0 keep, 1 change, 2 touch, 3 gone, 4 break
      if (what == 0) continue;
      if (what == 2) {
        touched.push_back({path, t.size, t.mtime_ns + 1});
        continue;
      }
      for (const auto& [p, n] : t.partitions) expect.insert(p);
      if (what == 3) {
        gone.push_back(path);
        continue;
      }
      bf::read_file r;
      r.file = {path, 5, 7};
      if (what == 4)
        r.error = path + ", row 1 (line 2), column 'v': bad";
      else
        r.partitions = some_partitions();
      for (const auto& [p, n] : r.partitions) expect.insert(p);
      changed.push_back(r);
    }
    for (int n = static_cast<int>(rng() % 3); n > 0; --n) {  // new files
      bf::read_file r;
      r.file = {"n" + std::to_string(n), 1, 1};
      r.partitions = some_partitions();
      for (const auto& [p, k] : r.partitions) expect.insert(p);
      changed.push_back(r);
    }
    std::set<std::int64_t> left_over;
    if (rng() % 4 == 0) left_over.insert(static_cast<std::int64_t>(rng() % 10));
    expect.insert(left_over.begin(), left_over.end());
    const bf::round_plan plan =
        bf::plan_round(tracked, changed, touched, gone, left_over, false, 1000);
    ASSERT_EQ(plan.partitions, expect) << "case " << c;
    std::vector<std::string> read;
    for (const auto& [path, t] : plan.after) {
      bool rows_there = false;
      for (const auto& [p, n] : t.partitions) rows_there |= expect.count(p) != 0;
      if (!t.failed && rows_there) read.push_back(path);
    }
    ASSERT_EQ(plan.read, read) << "case " << c;
    for (const std::string& g : gone) ASSERT_EQ(plan.after.count(g), 0U) << "case " << c;
    for (const bf::read_file& r : changed) {
      const bf::tracked_file& t = plan.after.at(r.file.path);
      ASSERT_EQ(t.failed, r.error.has_value()) << "case " << c;
      ASSERT_EQ(t.partitions, r.partitions) << "case " << c;  // a failed file: none
      ASSERT_EQ(t.processed_ms, 1000) << "case " << c;
    }
    for (const bf::observed_file& f : touched) {
      ASSERT_EQ(plan.after.at(f.path).mtime_ns, f.mtime_ns) << "case " << c;
      ASSERT_EQ(plan.after.at(f.path).partitions, tracked.at(f.path).partitions) << "case " << c;
    }
    // `everything`: every partition a readable file has, whatever changed.
    const bf::round_plan all =
        bf::plan_round(tracked, changed, touched, gone, left_over, true, 1000);
    std::set<std::int64_t> every = expect;
    for (const auto& [path, t] : plan.after)
      for (const auto& [p, n] : t.partitions) every.insert(p);
    ASSERT_EQ(all.partitions, every) << "case " << c;
  }
}

TEST(FileTracking, KeyKindsAreDecidedByAllReadableFiles) {
  std::map<std::string, bf::tracked_file> files;
  files["a"].key_kinds = "i-";
  files["b"].key_kinds = "ii";
  EXPECT_EQ(bf::dataset_key_kinds(files), "ii");
  files["c"].key_kinds = "si";
  files["c"].failed = true;  // a failed file has no say
  EXPECT_EQ(bf::dataset_key_kinds(files), "ii");
  files["c"].failed = false;
  EXPECT_EQ(bf::dataset_key_kinds(files), "si");
  EXPECT_EQ(bf::dataset_key_kinds({}), "");
}

TEST(FileTracking, SqliteKeepsFilesPartitionsAndTheDatasetSchema) {
  temp_dir dir;
  const std::string db = (dir.path / "state.db").string();
  std::map<std::string, bf::tracked_file> files;
  files["x/a.csv"] =
      bf::tracked_file{"x/a.csv", 120, 1'700'000'000'123'456'789, "x64:01", false, "", 7, "si",
                       5,         6,   {{19783, 3}, {19784, 4}}};
  files["b.csv"] = bf::tracked_file{
      "b.csv", 9, 1, "x64:02", true, "b.csv, row 1 (line 2), column 'v': bad", 0, "", 5, 6, {}};
  const bf::dataset_schema schema{{"vol", "size"}, "si", {"note", "extra"}};
  {
    bf::sqlite_store s(db);
    s.open_backfill("in", "job", 1);
    s.save_files("in", files, {"x/a.csv", "b.csv"});
    s.set_dataset("in", schema);
    s.set_pending("in", {19783, 19784});
    s.remove_partitions("in", {19783});
  }
  {
    bf::sqlite_store s(db, bf::sqlite_store::access::read);
    EXPECT_EQ(s.tracked_files("in"), files);
    EXPECT_TRUE(s.tracked_files("other").empty());
    EXPECT_EQ(s.dataset("in"), schema);
    EXPECT_FALSE(s.dataset("other").has_value());
    EXPECT_EQ(s.partitions("in").size(), 1U);
  }
  bf::sqlite_store s(db);
  files.erase("b.csv");  // gone: forgotten
  files["x/a.csv"].partitions = {{19790, 1}};
  s.save_files("in", files, {"x/a.csv", "b.csv"});
  EXPECT_EQ(s.tracked_files("in"), files);
}
