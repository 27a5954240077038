#include "spill.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <type_traits>

#include <fcntl.h>
#include <unistd.h>

#include "cli_error.hpp"

namespace tsfill_cli {

std::size_t spilled_file::width(std::size_t column) const {
  if (column < first_value()) return 8;
  const std::size_t v = column - first_value();
  if (v % 2 == 1) return 1;  // validity
  std::size_t size = 0;
  tsfill::visit(values[v / 2].type, [&](auto* tag) { size = sizeof(*tag); });
  return size;
}

std::size_t spilled_file::offset(std::size_t column) const {
  std::size_t at = 0;
  for (std::size_t c = 0; c < column; ++c) at += width(c) * rows;
  return at;
}

spilled_file spill_rows(const loaded_table& t, const std::string& path,
                        const std::function<std::int64_t(std::int64_t)>& partition_of,
                        const std::function<bool(std::int64_t)>& wanted) {
  spilled_file f;
  f.path = path;
  // The wanted rows, grouped by partition, in input order within each.
  std::vector<std::pair<std::int64_t, std::size_t>> order;
  for (std::size_t i = 0; i < t.rows(); ++i) {
    const std::int64_t p = partition_of(t.time[i]);
    if (wanted(p)) order.emplace_back(p, i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  f.rows = order.size();
  for (std::size_t r = 0; r < order.size(); ++r) {
    auto [it, added] = f.ranges.try_emplace(order[r].first, r, 0);
    ++it->second.second;
  }
  for (const loaded_key& k : t.keys) f.keys.push_back({k.is_string, k.words});
  f.has_sequence = !t.sequence.empty();
  for (const loaded_value& v : t.values) f.values.push_back({v.name, v.type});

  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (!out) throw run_failure(path + ": cannot create a spill file: " + std::strerror(errno));
  bool ok = true;
  std::vector<unsigned char> buf;
  auto column = [&](std::size_t width, auto&& get) {  // get(row, unsigned char* dst)
    buf.resize(width * order.size());
    for (std::size_t r = 0; r < order.size(); ++r) get(order[r].second, buf.data() + r * width);
    if (!buf.empty())  // (no rows: data() may be null, which fwrite must not get)
      ok = ok && std::fwrite(buf.data(), 1, buf.size(), out) == buf.size();
  };
  column(8, [&](std::size_t i, unsigned char* d) { std::memcpy(d, &t.time[i], 8); });
  column(8, [&](std::size_t i, unsigned char* d) { std::memcpy(d, &t.source_row[i], 8); });
  if (f.has_sequence)
    column(8, [&](std::size_t i, unsigned char* d) { std::memcpy(d, &t.sequence[i], 8); });
  for (const loaded_key& k : t.keys)
    column(8, [&](std::size_t i, unsigned char* d) { std::memcpy(d, &k.values[i], 8); });
  for (const loaded_value& v : t.values) {
    tsfill::visit(v.type, [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      const std::vector<T>& data = v.data<T>();
      column(sizeof(T),
             [&](std::size_t i, unsigned char* d) { std::memcpy(d, &data[i], sizeof(T)); });
    });
    column(1, [&](std::size_t i, unsigned char* d) {
      *d = static_cast<unsigned char>((static_cast<unsigned>(v.validity[i / 8]) >> (i % 8)) & 1U);
    });
  }
  if (std::fclose(out) != 0 || !ok)
    throw run_failure(path + ": cannot write a spill file: " + std::strerror(errno));
  return f;
}

void read_spilled(const spilled_file& f, int fd, std::size_t column, std::size_t first,
                  std::size_t count, void* out) {
  const std::size_t w = f.width(column);
  auto* dst = static_cast<char*>(out);
  std::size_t want = w * count;
  auto at = static_cast<off_t>(f.offset(column) + w * first);
  while (want > 0) {
    const ssize_t got = ::pread(fd, dst, want, at);
    if (got <= 0)
      throw run_failure(f.path + ": cannot read the spill file: " +
                        (got == 0 ? std::string("truncated") : std::strerror(errno)));
    dst += got;
    at += got;
    want -= static_cast<std::size_t>(got);
  }
}

spill_dir::spill_dir(const std::string& parent)
    : path_(parent + "/.spill.tsfill-tmp-" + std::to_string(::getpid())), registered_(path_) {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  std::filesystem::create_directories(path_, ec);
  if (ec) throw run_failure(path_ + ": cannot create the spill directory: " + ec.message());
}

spill_dir::~spill_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string spill_dir::file(std::size_t index) const {
  return path_ + "/" + std::to_string(index) + ".bin";
}

}  // namespace tsfill_cli
