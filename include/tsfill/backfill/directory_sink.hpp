// ===========================================================================================
// directory_sink: a partitioned dataset on disk, each partition replaced atomically
// ===========================================================================================
//
// ROOT/<partition dir>/<file>, e.g. OUT/partition_date=2024-03-01/part-0.csv (the Hive
// layout Spark, DuckDB, Polars and pyarrow read). replace() writes the new file under a
// hidden name (".…tsfill-tmp…", which those readers skip), fsyncs it and its directory,
// and renames it into place: a new partition as a whole directory, an existing one file
// over file. A crash at any instant leaves every visible partition whole (old or new); the
// hidden leftovers are removed by remove_staged() at the start of the next run. A rewrite
// whose bytes equal the visible file's is dropped, so the visible file keeps its inode and
// mtime (a re-run rewrites nothing that did not change).
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <tsfill/detail/config.hpp>

TSFILL_BEGIN_NAMESPACE
namespace backfill {

class sink_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What replace() did.
struct written_partition {
  std::string path;      // the visible file
  std::string checksum;  // file_checksum(): "x64:" + 16 hex digits
  std::uint64_t bytes = 0;
  bool unchanged = false;  // the same bytes were there already: nothing was renamed
};

// A 64-bit checksum of a file's bytes: detects a changed partition, not an attacker. Four
// independent multiply-xorshift lanes over 8-byte words (byte-wise FNV-1a was a tenth of
// a backfill's time), folded with the length at the end.
inline std::string file_checksum(const std::string& path, std::uint64_t* bytes = nullptr) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw sink_error(path + ": cannot read: " + std::strerror(errno));
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ULL;
  std::uint64_t lane[4] = {1, 2, 3, 4}, n = 0;
  auto mix = [](std::uint64_t h, std::uint64_t w) {
    h = (h ^ w) * k;
    return h ^ (h >> 29);
  };
  alignas(8) unsigned char buf[1 << 16];
  for (std::size_t got; (got = std::fread(buf, 1, sizeof buf, f)) > 0;) {
    std::size_t i = 0;
    for (; i + 32 <= got; i += 32)
      for (int l = 0; l < 4; ++l) {
        std::uint64_t w;
        std::memcpy(&w, buf + i + 8 * l, 8);
        lane[l] = mix(lane[l], w);
      }
    for (; i < got; ++i) lane[0] = mix(lane[0], buf[i] | 0x100ULL);  // the tail, bytewise
    n += got;
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw sink_error(path + ": read failed");
  if (bytes) *bytes = n;
  std::uint64_t h = mix(mix(mix(mix(n, lane[0]), lane[1]), lane[2]), lane[3]);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string("x64:") + hex;
}

class directory_sink {
 public:
  static constexpr const char* staged_marker = ".tsfill-tmp";

  directory_sink(std::string root, std::string file_name)
      : root_(std::move(root)), file_name_(std::move(file_name)) {}

  const std::string& root() const noexcept { return root_; }
  std::string visible_path(const std::string& partition_dir) const {
    return root_ + "/" + partition_dir + "/" + file_name_;
  }

  // Creates the root (and its parents) if needed.
  void prepare() const {
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) throw sink_error(root_ + ": cannot create: " + ec.message());
    if (!std::filesystem::is_directory(root_)) throw sink_error(root_ + ": not a directory");
  }

  // Removes what a killed run left staged (hidden names carrying the marker), in the root
  // and down to three levels (year=/month=/day= partitions). Only safe while no other
  // process writes here (the store's lock).
  std::size_t remove_staged() const {
    namespace fs = std::filesystem;
    std::size_t removed = 0;
    std::error_code ec;
    auto sweep = [&](const fs::path& dir, int depth, auto& self) -> void {
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.find(staged_marker) != std::string::npos && (name[0] == '.' || name[0] == '_')) {
          removed += fs::remove_all(it->path(), ec) > 0;
        } else if (depth > 0 && it->is_directory(ec)) {
          self(it->path(), depth - 1, self);
        }
      }
    };
    sweep(root_, 3, sweep);
    return removed;
  }

  // Replaces partition `partition_dir` (a name, or nested names "year=2024/month=03/day=05")
  // with what `write(path)` writes at `path`.
  written_partition replace(const std::string& partition_dir,
                            const std::function<void(const std::string&)>& write) const {
    namespace fs = std::filesystem;
    const std::string dir = root_ + "/" + partition_dir;
    const std::size_t slash = partition_dir.rfind('/');
    const std::string parent =
        slash == std::string::npos ? root_ : root_ + "/" + partition_dir.substr(0, slash);
    const std::string leaf =
        slash == std::string::npos ? partition_dir : partition_dir.substr(slash + 1);
    const std::string tag =
        std::string(staged_marker) + "-" + std::to_string(::getpid()) + "-" +
        std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
    written_partition w;
    w.path = dir + "/" + file_name_;
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      // A new partition: stage the whole directory, then rename it into place (its parents,
      // if nested, are made first: an empty directory is no partition).
      if (parent != root_ && !fs::exists(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec) throw sink_error(parent + ": cannot create: " + ec.message());
        for (std::string up = parent; up != root_;) {  // each new level, durably
          up = up.substr(0, up.rfind('/'));
          sync_path(up);
        }
      }
      const std::string staged_dir = parent + "/." + leaf + tag;
      cleanup guard{staged_dir};
      fs::create_directories(staged_dir, ec);
      if (ec) throw sink_error(staged_dir + ": cannot create: " + ec.message());
      const std::string staged = staged_dir + "/" + file_name_;
      write(staged);
      sync_path(staged);
      sync_path(staged_dir);
      w.checksum = file_checksum(staged, &w.bytes);
      rename_or_throw(staged_dir, dir);
      guard.path.clear();
      sync_path(parent);
      return w;
    }
    const std::string staged = dir + "/." + file_name_ + tag;
    cleanup guard{staged};
    write(staged);
    w.checksum = file_checksum(staged, &w.bytes);
    if (fs::exists(w.path, ec) && file_checksum(w.path) == w.checksum) {
      w.unchanged = true;  // guard removes the staged copy
      return w;
    }
    sync_path(staged);
    rename_or_throw(staged, w.path);
    guard.path.clear();
    sync_path(dir);
    return w;
  }

  // Removes partition `partition_dir` (no rows are left for it): renamed to a hidden name
  // first, so readers see it whole or not at all, then deleted. Nothing there: nothing done.
  void remove(const std::string& partition_dir) const {
    namespace fs = std::filesystem;
    const std::string dir = root_ + "/" + partition_dir;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return;
    const std::size_t slash = dir.rfind('/');
    const std::string parent = dir.substr(0, slash);
    const std::string hidden = parent + "/." + dir.substr(slash + 1) + staged_marker + "-" +
                               std::to_string(::getpid()) + "-removed";
    rename_or_throw(dir, hidden);
    sync_path(parent);
    fs::remove_all(hidden, ec);
    if (ec) throw sink_error(hidden + ": cannot remove: " + ec.message());
  }

 private:
  struct cleanup {
    std::string path;
    ~cleanup() {
      if (path.empty()) return;
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };

  static void sync_path(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw sink_error(path + ": cannot open to sync: " + std::strerror(errno));
    const int rc = ::fsync(fd);
    const int why = errno;
    ::close(fd);
    if (rc != 0) throw sink_error(path + ": fsync failed: " + std::strerror(why));
  }
  static void rename_or_throw(const std::string& from, const std::string& to) {
    if (std::rename(from.c_str(), to.c_str()) != 0)
      throw sink_error(to + ": cannot rename into place: " + std::strerror(errno));
  }

  std::string root_;
  std::string file_name_;
};

}  // namespace backfill
TSFILL_END_NAMESPACE
