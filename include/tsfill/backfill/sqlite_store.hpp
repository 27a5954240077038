// ===========================================================================================
// sqlite_store: the durable progress store, one SQLite file (WAL), one process at a time
// ===========================================================================================
//
// Tables: meta (schema version), backfills (id, job, created, last run), partitions (per
// backfill and partition: status, attempts, started/finished, rows in/out, checksum, error),
// rules (rows each row rule dropped at the last run), holder (who holds the store: pid,
// start time, for the refusal message), and for incremental ingestion files (per backfill
// and path: size, mtime, hash, status, error, rows), file_partitions (the rows each file has
// in each partition) and datasets (the value columns and key kinds fixed at the first
// write). Tables only ever get added, so the schema version stays 1. Every state
// change is one transaction, synchronous=FULL, so a kill -9 or a power cut loses at most
// the change in flight (a partition then stays RUNNING or PENDING and is redone).
//
// One process at a time: the writer takes an exclusive flock(2) on the database file for
// its lifetime. The lock is the kernel's, so a holder that died does not block anyone; the
// holder row is only read to name the holder when a second process is refused. Readers
// (tsfill status) open the store without the lock: WAL lets them read while a run writes.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <tsfill/backfill/file_tracking.hpp>
#include <tsfill/backfill/progress.hpp>

TSFILL_BEGIN_NAMESPACE
namespace backfill {

class sqlite_store {
 public:
  static constexpr int schema_version = 1;
  enum class access { run, read };  // run: lock it and write; read: look only

  explicit sqlite_store(const std::string& path, access mode = access::run) : path_(path) {
    const int flags =
        mode == access::run ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw store_error(path + ": cannot open the store: " + why);
    }
    sqlite3_busy_timeout(db_, 10'000);
    try {
      if (mode == access::run) {
        lock();
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        create_schema();
        claim();
      } else {
        check_schema();
      }
    } catch (...) {  // no destructor runs for a constructor that throws
      sqlite3_close(db_);
      if (lock_fd_ >= 0) ::close(lock_fd_);
      throw;
    }
  }
  ~sqlite_store() {
    if (db_ && lock_fd_ >= 0) {
      try {
        exec("DELETE FROM holder");
      } catch (...) {  // the lock goes with the process anyway
      }
    }
    sqlite3_close(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // after sqlite3_close: see lock()
  }
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  const std::string& path() const noexcept { return path_; }

  // --- the progress_store concept ---------------------------------------------------------
  backfill_record open_backfill(const std::string& id, const std::string& job,
                                std::int64_t now_ms) {
    transaction t(*this);
    statement q(db_, "SELECT job FROM backfills WHERE id = ?");
    q.bind(1, id);
    if (q.step()) {
      const std::string stored = q.text(0);
      if (stored != job)
        throw store_error("backfill '" + id + "' in " + path_ + " was started with another job (" +
                          stored + "); use a new --id or the same flags");
    } else {
      statement ins(db_, "INSERT INTO backfills(id, job, created_ms) VALUES (?, ?, ?)");
      ins.bind(1, id).bind(2, job).bind(3, now_ms);
      ins.run();
    }
    statement up(db_, "UPDATE backfills SET last_started_ms = ?, last_outcome = '' WHERE id = ?");
    up.bind(1, now_ms).bind(2, id);
    up.run();
    t.commit();
    for (backfill_record& b : backfills())
      if (b.id == id) return b;
    throw store_error(path_ + ": backfill '" + id + "' vanished");
  }

  std::map<std::int64_t, partition_record> partitions(const std::string& id) const {
    std::map<std::int64_t, partition_record> m;
    statement q(db_,
                "SELECT partition, status, attempts, started_ms, finished_ms, rows_in, rows_out, "
                "checksum, error FROM partitions WHERE id = ? ORDER BY partition");
    q.bind(1, id);
    while (q.step()) {
      partition_record r;
      r.partition = q.int64(0);
      r.status = parse_status(q.text(1)).value_or(partition_status::pending);
      r.attempts = static_cast<int>(q.int64(2));
      r.started_ms = q.int64(3);
      r.finished_ms = q.int64(4);
      r.rows_in = static_cast<std::uint64_t>(q.int64(5));
      r.rows_out = static_cast<std::uint64_t>(q.int64(6));
      r.checksum = q.text(7);
      r.error = q.text(8);
      m.emplace(r.partition, std::move(r));
    }
    return m;
  }

  void set_pending(const std::string& id, const std::vector<std::int64_t>& ps) {
    transaction t(*this);
    statement q(db_,
                "INSERT INTO partitions(id, partition, status) VALUES (?, ?, 'PENDING') "
                "ON CONFLICT(id, partition) DO UPDATE SET status = 'PENDING'");
    for (const std::int64_t p : ps) {
      q.reset();
      q.bind(1, id).bind(2, p);
      q.run();
    }
    t.commit();
  }

  void mark_running(const std::string& id, std::int64_t p, std::int64_t now_ms) {
    statement q(db_,
                "INSERT INTO partitions(id, partition, status, attempts, started_ms) "
                "VALUES (?, ?, 'RUNNING', 1, ?) ON CONFLICT(id, partition) DO UPDATE SET "
                "status = 'RUNNING', attempts = attempts + 1, started_ms = excluded.started_ms");
    q.bind(1, id).bind(2, p).bind(3, now_ms);
    q.run();
  }

  void mark_done(const std::string& id, const partition_record& r) {
    statement q(db_,
                "UPDATE partitions SET status = ?, finished_ms = ?, rows_in = ?, rows_out = ?, "
                "checksum = ?, error = ? WHERE id = ? AND partition = ?");
    q.bind(1, std::string(to_string(r.status)))
        .bind(2, r.finished_ms)
        .bind(3, static_cast<std::int64_t>(r.rows_in))
        .bind(4, static_cast<std::int64_t>(r.rows_out))
        .bind(5, r.checksum)
        .bind(6, r.error)
        .bind(7, id)
        .bind(8, r.partition);
    q.run();
  }

  void finish_run(const std::string& id, const std::string& outcome, std::int64_t now_ms) {
    statement q(db_, "UPDATE backfills SET last_outcome = ?, last_finished_ms = ? WHERE id = ?");
    q.bind(1, outcome).bind(2, now_ms).bind(3, id);
    q.run();
  }

  void set_rules(const std::string& id,
                 const std::vector<std::pair<std::string, std::uint64_t>>& rules) {
    transaction t(*this);
    statement del(db_, "DELETE FROM rules WHERE id = ?");
    del.bind(1, id);
    del.run();
    statement ins(db_, "INSERT INTO rules(id, position, rule, rows) VALUES (?, ?, ?, ?)");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      ins.reset();
      ins.bind(1, id)
          .bind(2, static_cast<std::int64_t>(i))
          .bind(3, rules[i].first)
          .bind(4, static_cast<std::int64_t>(rules[i].second));
      ins.run();
    }
    t.commit();
  }

  void set_checkpoint(const std::string& id, std::optional<std::int64_t> checkpoint) {
    statement q(db_, "UPDATE backfills SET checkpoint = ? WHERE id = ?");
    if (checkpoint)
      q.bind(1, *checkpoint);
    else
      q.bind_null(1);
    q.bind(2, id);
    q.run();
  }

  std::vector<backfill_record> backfills() const {
    std::vector<backfill_record> v;
    statement q(db_,
                "SELECT id, job, created_ms, last_started_ms, last_finished_ms, last_outcome, "
                "checkpoint FROM backfills ORDER BY id");
    while (q.step()) {
      v.push_back(backfill_record{
          q.text(0), q.text(1), q.int64(2), q.int64(3), q.int64(4), q.text(5), {}, {}});
      if (!q.is_null(6)) v.back().checkpoint = q.int64(6);
    }
    statement r(db_, "SELECT rule, rows FROM rules WHERE id = ? ORDER BY position");
    for (backfill_record& b : v) {
      r.reset();
      r.bind(1, b.id);
      while (r.step()) b.rules.emplace_back(r.text(0), static_cast<std::uint64_t>(r.int64(1)));
    }
    return v;
  }

  void remove_partitions(const std::string& id, const std::vector<std::int64_t>& ps) {
    transaction t(*this);
    statement q(db_, "DELETE FROM partitions WHERE id = ? AND partition = ?");
    for (const std::int64_t p : ps) {
      q.reset();
      q.bind(1, id).bind(2, p);
      q.run();
    }
    t.commit();
  }

  // --- file tracking (incremental ingestion) ----------------------------------------------
  // The files of a backfill, with the partitions each has rows in unless `with_partitions`
  // is false (enough to see what is new).
  std::map<std::string, tracked_file> tracked_files(const std::string& id,
                                                    bool with_partitions = true) const {
    std::map<std::string, tracked_file> m;
    statement q(db_,
                "SELECT path, size, mtime_ns, hash, status, error, rows, key_kinds, seen_ms, "
                "processed_ms FROM files WHERE id = ? ORDER BY path");
    q.bind(1, id);
    while (q.step()) {
      tracked_file f;
      f.path = q.text(0);
      f.size = static_cast<std::uint64_t>(q.int64(1));
      f.mtime_ns = q.int64(2);
      f.hash = q.text(3);
      f.failed = q.text(4) == "FAILED";
      f.error = q.text(5);
      f.rows = static_cast<std::uint64_t>(q.int64(6));
      f.key_kinds = q.text(7);
      f.seen_ms = q.int64(8);
      f.processed_ms = q.int64(9);
      m.emplace_hint(m.end(), f.path, std::move(f));  // (rows come in path order)
    }
    if (!with_partitions) return m;
    statement p(db_, "SELECT path, partition, rows FROM file_partitions WHERE id = ?");
    p.bind(1, id);
    while (p.step())
      if (const auto it = m.find(p.text(0)); it != m.end())
        it->second.partitions[p.int64(1)] = static_cast<std::uint64_t>(p.int64(2));
    return m;
  }

  // Records, in one transaction, the files of `paths` as `files` has them (a path missing
  // from `files` is forgotten).
  void save_files(const std::string& id, const std::map<std::string, tracked_file>& files,
                  const std::vector<std::string>& paths) {
    transaction t(*this);
    statement del(db_, "DELETE FROM files WHERE id = ? AND path = ?");
    statement del_parts(db_, "DELETE FROM file_partitions WHERE id = ? AND path = ?");
    statement ins(db_,
                  "INSERT INTO files(id, path, size, mtime_ns, hash, status, error, rows, "
                  "key_kinds, seen_ms, processed_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    statement ins_part(
        db_, "INSERT INTO file_partitions(id, path, partition, rows) VALUES (?, ?, ?, ?)");
    for (const std::string& path : paths) {
      del.reset();
      del.bind(1, id).bind(2, path);
      del.run();
      del_parts.reset();
      del_parts.bind(1, id).bind(2, path);
      del_parts.run();
      const auto it = files.find(path);
      if (it == files.end()) continue;
      const tracked_file& f = it->second;
      ins.reset();
      ins.bind(1, id)
          .bind(2, f.path)
          .bind(3, static_cast<std::int64_t>(f.size))
          .bind(4, f.mtime_ns)
          .bind(5, f.hash)
          .bind(6, std::string(f.failed ? "FAILED" : "COMPLETE"))
          .bind(7, f.error)
          .bind(8, static_cast<std::int64_t>(f.rows))
          .bind(9, f.key_kinds)
          .bind(10, f.seen_ms)
          .bind(11, f.processed_ms);
      ins.run();
      for (const auto& [p, rows] : f.partitions) {
        ins_part.reset();
        ins_part.bind(1, id).bind(2, path).bind(3, p).bind(4, static_cast<std::int64_t>(rows));
        ins_part.run();
      }
    }
    t.commit();
  }

  // The value columns and key kinds a dataset was first written with (none: not yet).
  // --- history apply: what each rewritten partition's apply did ---------------------------
  struct history_audit {
    std::uint64_t rows_changed = 0, values_placed = 0, new_rows = 0;
  };
  // Recorded with the partition's COMPLETE, in one transaction.
  void mark_done_with_audit(const std::string& id, const partition_record& r,
                            const history_audit& a) {
    transaction t(*this);
    mark_done(id, r);
    statement q(db_,
                "INSERT OR REPLACE INTO history_audit(id, partition, rows_changed, "
                "values_placed, new_rows) VALUES (?, ?, ?, ?, ?)");
    q.bind(1, id)
        .bind(2, r.partition)
        .bind(3, static_cast<std::int64_t>(a.rows_changed))
        .bind(4, static_cast<std::int64_t>(a.values_placed))
        .bind(5, static_cast<std::int64_t>(a.new_rows));
    q.run();
    t.commit();
  }
  std::map<std::int64_t, history_audit> history_audits(const std::string& id) const {
    std::map<std::int64_t, history_audit> m;
    statement q(db_,
                "SELECT partition, rows_changed, values_placed, new_rows FROM history_audit "
                "WHERE id = ? ORDER BY partition");
    q.bind(1, id);
    while (q.step())
      m[q.int64(0)] = {static_cast<std::uint64_t>(q.int64(1)),
                       static_cast<std::uint64_t>(q.int64(2)),
                       static_cast<std::uint64_t>(q.int64(3))};
    return m;
  }

  std::optional<dataset_schema> dataset(const std::string& id) const {
    statement q(db_, "SELECT value_names, key_kinds, other_columns FROM datasets WHERE id = ?");
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    return dataset_schema{split_names(q.text(0)), q.text(1), split_names(q.text(2))};
  }
  void set_dataset(const std::string& id, const dataset_schema& d) {
    statement q(db_,
                "INSERT INTO datasets(id, value_names, key_kinds, other_columns) VALUES (?, ?, ?, "
                "?) ON CONFLICT(id) DO UPDATE SET value_names = excluded.value_names, "
                "key_kinds = excluded.key_kinds, other_columns = excluded.other_columns");
    q.bind(1, id).bind(2, join_names(d.value_names)).bind(3, d.key_kinds);
    q.bind(4, join_names(d.other_columns));
    q.run();
  }

 private:
  // Column names in one text, apart by US (0x1f), which no sane column name holds.
  static std::string join_names(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& n : names) text += (text.empty() ? "" : "\x1f") + n;
    return text;
  }
  static std::vector<std::string> split_names(const std::string& text) {
    std::vector<std::string> names;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = std::min(text.find('\x1f', at), text.size());
      names.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return names;
  }

  // A prepared statement; errors become store_errors naming the store.
  class statement {
   public:
    statement(sqlite3* db, const char* sql) : db_(db) {
      if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
        throw store_error(std::string("progress store: ") + sqlite3_errmsg(db));
    }
    ~statement() { sqlite3_finalize(s_); }
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int i, std::int64_t v) {
      check(sqlite3_bind_int64(s_, i, v));
      return *this;
    }
    statement& bind_null(int i) {
      check(sqlite3_bind_null(s_, i));
      return *this;
    }
    bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    statement& bind(int i, const std::string& v) {
      check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
      return *this;
    }
    bool step() {
      const int rc = sqlite3_step(s_);
      if (rc == SQLITE_ROW) return true;
      if (rc == SQLITE_DONE) return false;
      throw store_error(std::string("progress store: ") + sqlite3_errmsg(db_));
    }
    void run() { step(); }
    void reset() { sqlite3_reset(s_); }
    std::int64_t int64(int c) const { return sqlite3_column_int64(s_, c); }
    std::string text(int c) const {
      const auto* p = sqlite3_column_text(s_, c);
      return p ? std::string(reinterpret_cast<const char*>(p),
                             static_cast<std::size_t>(sqlite3_column_bytes(s_, c)))
               : std::string();
    }

   private:
    void check(int rc) const {
      if (rc != SQLITE_OK) throw store_error(std::string("progress store: ") + sqlite3_errmsg(db_));
    }
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
  };

  class transaction {
   public:
    explicit transaction(sqlite_store& s) : s_(s) { s_.exec("BEGIN IMMEDIATE"); }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }
    ~transaction() {
      if (!done_) sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }

   private:
    sqlite_store& s_;
    bool done_ = false;
  };

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      throw store_error(path_ + ": " + why);
    }
  }

  // flock on a descriptor of our own. SQLite's locks are POSIX record locks, which closing
  // any descriptor of the file would drop, so this one stays open until after sqlite3_close.
  void lock() {
    lock_fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) throw store_error(path_ + ": cannot open: " + std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) return;
    const int why = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (why != EWOULDBLOCK) throw store_error(path_ + ": cannot lock: " + std::strerror(why));
    std::string holder = "another process";
    try {
      statement q(db_, "SELECT pid, started_ms FROM holder");
      if (q.step())
        holder = "process " + std::to_string(q.int64(0)) + " (started " +
                 format_utc_ms(q.int64(1)) + ")";
    } catch (const store_error&) {  // not created yet: the holder is just starting
    }
    throw store_busy(path_ + " is in use by " + holder + "; one process per store");
  }

  void create_schema() {
    transaction t(*this);
    exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    {
      statement q(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (q.step()) {
        if (q.text(0) != std::to_string(schema_version))
          throw store_error(path_ + ": a progress store of schema version " + q.text(0) +
                            ", this tsfill reads version " + std::to_string(schema_version));
      } else {
        statement ins(db_, "INSERT INTO meta VALUES ('schema_version', ?)");
        ins.bind(1, std::to_string(schema_version));
        ins.run();
      }
    }
    exec(
        "CREATE TABLE IF NOT EXISTS backfills(id TEXT PRIMARY KEY, job TEXT NOT NULL, "
        "created_ms INTEGER NOT NULL, last_started_ms INTEGER NOT NULL DEFAULT 0, "
        "last_finished_ms INTEGER NOT NULL DEFAULT 0, last_outcome TEXT NOT NULL DEFAULT '', "
        "checkpoint INTEGER)");
    exec(
        "CREATE TABLE IF NOT EXISTS partitions(id TEXT NOT NULL, partition INTEGER NOT NULL, "
        "status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
        "started_ms INTEGER NOT NULL DEFAULT 0, finished_ms INTEGER NOT NULL DEFAULT 0, "
        "rows_in INTEGER NOT NULL DEFAULT 0, rows_out INTEGER NOT NULL DEFAULT 0, "
        "checksum TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '', "
        "PRIMARY KEY(id, partition))");
    exec("CREATE TABLE IF NOT EXISTS holder(pid INTEGER NOT NULL, started_ms INTEGER NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS rules(id TEXT NOT NULL, position INTEGER NOT NULL, "
        "rule TEXT NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY(id, position))");
    exec(
        "CREATE TABLE IF NOT EXISTS files(id TEXT NOT NULL, path TEXT NOT NULL, "
        "size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT NOT NULL, "
        "status TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', rows INTEGER NOT NULL DEFAULT 0, "
        "key_kinds TEXT NOT NULL DEFAULT '', seen_ms INTEGER NOT NULL DEFAULT 0, "
        "processed_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(id, path))");
    exec(
        "CREATE TABLE IF NOT EXISTS file_partitions(id TEXT NOT NULL, path TEXT NOT NULL, "
        "partition INTEGER NOT NULL, rows INTEGER NOT NULL, PRIMARY KEY(id, path, partition))");
    exec(
        "CREATE INDEX IF NOT EXISTS file_partitions_by_partition ON file_partitions(id, "
        "partition)");
    exec(
        "CREATE TABLE IF NOT EXISTS datasets(id TEXT PRIMARY KEY, value_names TEXT NOT NULL, "
        "key_kinds TEXT NOT NULL, other_columns TEXT NOT NULL DEFAULT '')");
    exec(
        "CREATE TABLE IF NOT EXISTS history_audit(id TEXT NOT NULL, partition INTEGER NOT NULL, "
        "rows_changed INTEGER NOT NULL, values_placed INTEGER NOT NULL, "
        "new_rows INTEGER NOT NULL, PRIMARY KEY(id, partition))");
    t.commit();
  }

  void check_schema() {
    try {
      statement q(db_, "SELECT value FROM meta WHERE key = 'schema_version'");
      if (q.step() && q.text(0) == std::to_string(schema_version)) return;
    } catch (const store_error&) {
    }
    throw store_error(path_ + ": not a tsfill progress store (schema version " +
                      std::to_string(schema_version) + ")");
  }

  void claim() {
    transaction t(*this);
    exec("DELETE FROM holder");
    statement q(db_, "INSERT INTO holder VALUES (?, ?)");
    q.bind(1, static_cast<std::int64_t>(::getpid())).bind(2, now_ms());
    q.run();
    t.commit();
  }

  static std::int64_t now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
  }
  static std::string format_utc_ms(std::int64_t ms) {
    const time_t s = static_cast<time_t>(ms / 1000);
    tm t{};
    gmtime_r(&s, &t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &t);
    return buf;
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  int lock_fd_ = -1;
};

static_assert(progress_store<sqlite_store>);

}  // namespace backfill
TSFILL_END_NAMESPACE
