// tsfill's Python module (_tsfill): the `tsfill fill` job on Arrow data, through the Arrow
// PyCapsule interface (no link to pyarrow or Arrow C++). The Python side (tsfill/__init__.py)
// turns keyword arguments into the program's flags, so every flag means here what it means
// there, checked by the same code with the same messages.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <tsfill/arrow/c_data.hpp>

#include "app/flags.hpp"
#include "app/job_factory.hpp"
#include "app/job_spec.hpp"
#include "app/notices.hpp"
#include "arrow_stream.hpp"
#include "cli_error.hpp"

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using namespace tsfill_cli;

// The job the flags describe, parsed and checked as `tsfill fill` does.
job_spec job_of(const std::vector<std::string>& flags) {
  CLI::App app("tsfill.fill");
  flag_texts texts;
  add_job_command_flags(app, texts);
  app.allow_extras();
  std::vector<std::string> args(flags.rbegin(), flags.rend());  // (CLI11 takes them reversed)
  args.insert(args.begin(), "the table");  // the input's name in messages; read from Arrow
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw cli_error(e.what());
  }
  refuse_unknown_flags(app);
  job_spec spec = job_spec_from(texts);
  spec.inputs = {"the table"};
  spec.output = "result.parquet";  // (Arrow strings are UTF-8, as Parquet's)
  spec.progress = false;
  validate(spec);
  return spec;
}

// The producer's data: an object with __arrow_c_stream__ (a table, a reader, a Polars or
// Spark DataFrame) or __arrow_c_array__ (a record batch), taken over without copies.
tsfill_io::arrow_input import_arrow(nb::handle data) {
  tsfill_io::arrow_input in;
  if (nb::hasattr(data, "__arrow_c_stream__")) {
    nb::object capsule = data.attr("__arrow_c_stream__")();
    auto* raw =
        static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule.ptr(), "arrow_array_stream"));
    if (raw == nullptr) throw nb::python_error();
    tsfill::arrow_c::owned_stream stream(*raw);
    in.schema = stream.schema();
    while (auto batch = stream.next()) in.batches.push_back(std::move(batch));
    return in;
  }
  if (nb::hasattr(data, "__arrow_c_array__")) {
    nb::tuple pair = nb::cast<nb::tuple>(data.attr("__arrow_c_array__")());
    auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(pair[0].ptr(), "arrow_schema"));
    auto* array = static_cast<ArrowArray*>(PyCapsule_GetPointer(pair[1].ptr(), "arrow_array"));
    if (schema == nullptr || array == nullptr) throw nb::python_error();
    in.schema = tsfill::arrow_c::owned_schema(*schema);
    in.batches.emplace_back(*array);
    return in;
  }
  throw nb::type_error(
      ("tsfill.fill takes Arrow data (an object with __arrow_c_stream__ or __arrow_c_array__: "
       "a pyarrow Table or RecordBatch, a Polars DataFrame, ...), not " +
       std::string(nb::type_name(data.type()).c_str()))
          .c_str());
}

// The result: Arrow data that pyarrow, Polars, DuckDB or deltalake take without copies.
struct result_object {
  std::shared_ptr<const tsfill_io::arrow_result> data;
  std::string notice;  // columns left out of the default value set, or empty
};

result_object fill(nb::handle table, const std::vector<std::string>& flags) {
  const job_spec spec = job_of(flags);
  tsfill_io::arrow_input in = import_arrow(table);
  nb::gil_scoped_release unlocked;  // the producer's buffers are ours until we return
  const tsfill_io::loaded_table t = load_arrow(spec.reading(), in);
  const job j = make_job(spec);
  tsfill::result r = j.run(t);
  return {std::make_shared<const tsfill_io::arrow_result>(spec.writing(), t, std::move(r),
                                                          types_of(spec.reading(), in)),
          columns_left_out_text(t.not_numeric)};
}

// For the tests: the address each value column is read from when it is not copied (0 when
// it is), to compare with the producer's buffer addresses.
std::vector<std::pair<std::string, std::uintptr_t>> borrowed_addresses(
    nb::handle table, const std::vector<std::string>& flags) {
  const job_spec spec = job_of(flags);
  const tsfill_io::arrow_input in = import_arrow(table);
  const tsfill_io::loaded_table t = load_arrow(spec.reading(), in);
  std::vector<std::pair<std::string, std::uintptr_t>> out;
  for (const tsfill_io::loaded_value& v : t.values)
    out.emplace_back(v.name, reinterpret_cast<std::uintptr_t>(v.borrowed));
  return out;
}

void release_stream_capsule(void* p) noexcept {
  auto* s = static_cast<ArrowArrayStream*>(p);
  if (s->release != nullptr) s->release(s);
  delete s;
}

void release_schema_capsule(void* p) noexcept {
  auto* s = static_cast<ArrowSchema*>(p);
  if (s->release != nullptr) s->release(s);
  delete s;
}

}  // namespace

NB_MODULE(_tsfill, m) {
  m.doc() = "tsfill's C++ core: the `tsfill fill` job on Arrow data (use tsfill.fill).";
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const tsfill_io::cli_error& e) {  // bad flags or input: the program's message
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const tsfill::error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  nb::class_<result_object>(m, "Result",
                            "The filled grid as Arrow data (the Arrow PyCapsule interface).")
      .def(
          "__arrow_c_stream__",
          [](const result_object& r, nb::handle) {
            auto* s = new ArrowArrayStream{};
            r.data->export_stream(*s);
            return nb::capsule(s, "arrow_array_stream", release_stream_capsule);
          },
          "requested_schema"_a = nb::none(),
          "A new stream of the result's one batch (the buffers are shared, not copied).")
      .def(
          "__arrow_c_schema__",
          [](const result_object& r) {
            auto* s = new ArrowSchema{};
            r.data->export_schema(*s);
            return nb::capsule(s, "arrow_schema", release_schema_capsule);
          },
          "The result's schema.")
      .def("__len__", [](const result_object& r) { return r.data->rows(); })
      .def_ro("notice", &result_object::notice,
              "Columns left out of the default value set because they are not numbers, and "
              "why ('' if none): what the command line prints as a note.");
  m.def("_borrowed_addresses", &borrowed_addresses, "table"_a, "flags"_a,
        "(tests) Per value column, the address it is read from in place, or 0 if copied.");
  m.def("fill", &fill, "table"_a, "flags"_a,
        "Runs `tsfill fill` with these flags on Arrow data; returns a Result.");
}
