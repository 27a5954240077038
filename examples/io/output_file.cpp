#include "output_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_error.hpp"
#include "signals.hpp"

namespace tsfill_io {

namespace {

constexpr std::size_t alignment = 4096;          // O_DIRECT: offsets, sizes and memory
constexpr std::size_t staging_bytes = 4U << 20;  // written a block at a time

bool direct_wanted() {
  const char* off = std::getenv("TSFILL_BUFFERED_OUTPUT");
  return off == nullptr || *off == '\0' || std::strcmp(off, "0") == 0;
}

}  // namespace

struct output_file::state {
  int fd = -1;
  bool direct = false;
  int error = 0;  // the first write error's errno
  char* staging = nullptr;
  std::size_t staged = 0;

  ~state() {
    std::free(staging);
    if (fd >= 0) ::close(fd);
  }

  // Writes n bytes at p completely; a direct write the file system refuses, or one that
  // stopped short (leaving an unaligned offset), goes on through the page cache.
  bool write_all(const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL && direct) {
        stop_direct();
        continue;
      }
      if (w <= 0) {
        error = w < 0 ? errno : EIO;
        return false;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
      if (n > 0 && direct) stop_direct();
    }
    return true;
  }
  void stop_direct() {
    direct = false;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_DIRECT);
  }
};

output_file::output_file(const std::string& path, bool append) : s_(std::make_unique<state>()) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  {
    const auto no_signal_now = hold_signals();  // (names are made only while no signal acts)
    s_->fd = ::open(path.c_str(), flags, 0666);
  }
  if (s_->fd < 0) throw cli_error(path + ": cannot create: " + std::strerror(errno));
  struct stat st {};
  // Direct only from an aligned offset (an appended file may end anywhere) and where the
  // file system takes it (where it does not, fcntl fails or the flag does not stick).
  if (direct_wanted() && ::fstat(s_->fd, &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::size_t>(st.st_size) % alignment == 0 &&
      ::fcntl(s_->fd, F_SETFL, ::fcntl(s_->fd, F_GETFL) | O_DIRECT) == 0 &&
      (::fcntl(s_->fd, F_GETFL) & O_DIRECT) != 0) {
    void* p = nullptr;
    if (::posix_memalign(&p, alignment, staging_bytes) == 0) {
      s_->staging = static_cast<char*>(p);
      s_->direct = true;
    } else {
      s_->stop_direct();
    }
  }
}

output_file::~output_file() = default;

bool output_file::direct() const {
  return s_->direct;
}

bool output_file::write(std::string_view bytes) {
  state& s = *s_;
  if (s.error != 0) {
    errno = s.error;
    return false;
  }
  if (!s.direct && s.staged == 0) {  // through the page cache: straight from the caller
    if (s.write_all(bytes.data(), bytes.size())) return true;
    errno = s.error;
    return false;
  }
  while (!bytes.empty()) {
    const std::size_t take = std::min(bytes.size(), staging_bytes - s.staged);
    std::memcpy(s.staging + s.staged, bytes.data(), take);
    s.staged += take;
    bytes.remove_prefix(take);
    if (s.staged == staging_bytes) {
      s.staged = 0;
      if (!s.write_all(s.staging, staging_bytes)) {
        errno = s.error;
        return false;
      }
    }
  }
  return true;
}

bool output_file::close() {
  state& s = *s_;
  if (s.fd < 0) return s.error == 0;
  if (s.error == 0 && s.staged > 0) {
    // The whole blocks directly, the rest (not a multiple of the alignment) through the
    // page cache.
    const std::size_t whole = s.direct ? s.staged / alignment * alignment : 0;
    if (whole > 0) (void)s.write_all(s.staging, whole);
    if (s.error == 0 && s.staged > whole) {
      if (s.direct) s.stop_direct();
      (void)s.write_all(s.staging + whole, s.staged - whole);
    }
    s.staged = 0;
  }
  const int fd = s.fd;
  s.fd = -1;
  if (::close(fd) != 0 && s.error == 0) s.error = errno;
  if (s.error != 0) errno = s.error;
  return s.error == 0;
}

}  // namespace tsfill_io
