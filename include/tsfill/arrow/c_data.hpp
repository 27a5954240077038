// The Arrow C Data Interface: the ABI-stable structs through which Arrow producers and
// consumers (pyarrow, Polars, DuckDB, Spark's Arrow UDFs, nanoarrow, Arrow C++) hand over
// columns without copies, written from the specification
// (https://arrow.apache.org/docs/format/CDataInterface.html and CStreamInterface.html).
//
//   tsfill::arrow_c::owned_stream s(stream_from_a_capsule);   // takes over, releases once
//   while (auto batch = s.next()) ...                          // owned_array per batch
//
// The struct definitions sit behind the specification's own include guards, so this header
// lives beside Arrow C++'s abi.h or nanoarrow.h in one program without clashes. Nothing here
// links to Arrow.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <tsfill/detail/config.hpp>

extern "C" {

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;
  void (*release)(struct ArrowSchema*);
  void* private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;
  void (*release)(struct ArrowArray*);
  void* private_data;
};

#endif  // ARROW_C_DATA_INTERFACE

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream*, struct ArrowSchema* out);
  int (*get_next)(struct ArrowArrayStream*, struct ArrowArray* out);
  const char* (*get_last_error)(struct ArrowArrayStream*);
  void (*release)(struct ArrowArrayStream*);
  void* private_data;
};

#endif  // ARROW_C_STREAM_INTERFACE
}

TSFILL_BEGIN_NAMESPACE
namespace arrow_c {

// Owners: each takes a struct over (the source's release is cleared, as the specification's
// "move" says) and calls release once, when it goes.
template <class S>
class owned {
 public:
  owned() { raw_.release = nullptr; }
  explicit owned(S& from) noexcept : raw_(from) { from.release = nullptr; }
  owned(owned&& o) noexcept : raw_(o.raw_) { o.raw_.release = nullptr; }
  owned& operator=(owned&& o) noexcept {
    if (this != &o) {
      reset();
      raw_ = o.raw_;
      o.raw_.release = nullptr;
    }
    return *this;
  }
  owned(const owned&) = delete;
  owned& operator=(const owned&) = delete;
  ~owned() { reset(); }

  S* get() noexcept { return &raw_; }
  const S* get() const noexcept { return &raw_; }
  S* operator->() noexcept { return &raw_; }
  const S* operator->() const noexcept { return &raw_; }
  explicit operator bool() const noexcept { return raw_.release != nullptr; }
  void reset() noexcept {
    if (raw_.release != nullptr) raw_.release(&raw_);
    raw_.release = nullptr;
  }
  // Hands the struct on (to a consumer that will release it).
  void move_to(S& out) noexcept {
    out = raw_;
    raw_.release = nullptr;
  }

 private:
  S raw_{};
};

using owned_schema = owned<ArrowSchema>;
using owned_array = owned<ArrowArray>;

// A stream whose calls fail with std::runtime_error carrying the producer's message.
class owned_stream : public owned<ArrowArrayStream> {
 public:
  using owned<ArrowArrayStream>::owned;

  owned_schema schema() {
    ArrowSchema s{};
    check(get()->get_schema(get(), &s), "the schema");
    return owned_schema(s);
  }
  // The next batch; an empty owner at the end of the stream.
  owned_array next() {
    ArrowArray a{};
    check(get()->get_next(get(), &a), "a batch");
    return owned_array(a);  // (released: the end)
  }

 private:
  void check(int status, const char* what) {
    if (status == 0) return;
    const char* message = get()->get_last_error ? get()->get_last_error(get()) : nullptr;
    throw std::runtime_error("the Arrow stream failed to give " + std::string(what) + ": " +
                             (message ? message : "error " + std::to_string(status)));
  }
};

}  // namespace arrow_c
TSFILL_END_NAMESPACE
