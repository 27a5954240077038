// The job flags' meaning: texts -> job_spec (job_spec_from), and the checks across flags
// (validate). Every failure is a flag_error naming the flag.
#include "job_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <thread>

#include <unistd.h>

#include "../calendar_options.hpp"
#include "cli_error.hpp"
#include "flags.hpp"
#include "paths.hpp"
#include "table.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

std::int64_t parse_count(const std::string& flag, const std::string& v) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n <= 0)
    throw flag_error(flag, "expected a positive whole number of slots, got '" + v + "'");
  return n;
}

std::int64_t parse_duration_flag(const std::string& flag, const std::string& v) {
  std::string why;
  const auto d = parse_duration(v, &why);
  if (!d) throw flag_error(flag, "cannot read '" + v + "' as a duration: " + why);
  if (*d <= 0) throw flag_error(flag, "must be positive, got '" + v + "'");
  return *d;
}

std::int64_t parse_instant_flag(const std::string& flag, const std::string& v) {
  std::string why;
  const auto t = parse_timestamp(v, &why);
  if (!t) throw flag_error(flag, "cannot read '" + v + "' as a timestamp: " + why);
  return *t;
}

// --slot 1w|1mo|1q|1y (and week, month, quarter, year), or none when `v` is a duration.
std::optional<calendar_slot> parse_calendar_slot(const std::string& v) {
  if (v == "1w" || v == "week") return calendar_slot::week;
  if (v == "1mo" || v == "month") return calendar_slot::month;
  if (v == "1q" || v == "quarter") return calendar_slot::quarter;
  if (v == "1y" || v == "year") return calendar_slot::year;
  const std::size_t digits = v.find_first_not_of("0123456789");
  if (digits != 0 && digits != std::string::npos) {
    const std::string unit = v.substr(digits);
    if (unit == "w" || unit == "mo" || unit == "q" || unit == "y")
      throw flag_error("--slot", "calendar slots come one at a time (1w, 1mo, 1q, 1y), got '" + v +
                                     "'; for two-week slots use 14d");
  }
  return std::nullopt;
}

int parse_weekday(const std::string& flag, const std::string& v) {
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  static const char* long_names[] = {"sunday",   "monday", "tuesday", "wednesday",
                                     "thursday", "friday", "saturday"};
  for (int d = 0; d < 7; ++d)
    if (v == names[d] || v == long_names[d]) return d;
  throw flag_error(flag, "expected a weekday (mon, tue, wed, thu, fri, sat, sun), got '" + v + "'");
}

}  // namespace

read_spec job_spec::reading() const {
  read_spec r;
  r.inputs = inputs;
  r.input_format = input_format;
  r.time_column = time_column;
  r.time_unit = time_unit;
  r.keys = keys;
  r.value_patterns = value_patterns;
  r.where = where;
  r.unique_columns = unique_columns;
  r.csv = {delimiter, null_values};
  r.progress = progress;
  r.threads = threads;
  const write_spec w = writing();  // (Parquet output: strings must be UTF-8)
  r.require_utf8 = w.format == "parquet" || has_extension(output, ".parquet") ||
                   has_extension(output, ".pq") ||
                   (w.format.empty() && !has_extension(output, ".csv") &&
                    !has_extension(output, ".tsv") && w.default_format == "parquet");
  return r;
}

write_spec job_spec::writing() const {
  write_spec w;
  w.output = output;
  w.format = format;
  if (!inputs.empty()) {
    read_spec by_extension;
    by_extension.input_format = input_format;
    w.default_format = input_format_of(by_extension, inputs.front());
  }
  w.partition_name = partition_name;
  w.ymd_layout = ymd_layout;
  w.partition_by_day = partition_by_day;
  w.suffix = suffix;
  w.provenance = provenance;
  w.csv = {delimiter, null_values};
  w.zone = zone;
  w.overwrite = overwrite;
  w.threads = threads;
  return w;
}

fill_spec parse_fill_method(const std::string& flag, const std::string& text) {
  fill_spec f;
  const std::size_t colon = text.find(':');
  const std::string head = text.substr(0, colon);
  const std::string arg = colon == std::string::npos ? std::string() : text.substr(colon + 1);
  if (head == "forward" || head == "ffill" || head == "locf")
    f.method = fill_method::forward;
  else if (head == "backward" || head == "bfill" || head == "nocb")
    f.method = fill_method::backward;
  else if (head == "linear")
    f.method = fill_method::linear;
  else if (head == "nearest")
    f.method = fill_method::nearest;
  else if (head == "constant")
    f.method = fill_method::constant;
  else if (head == "none")
    f.method = fill_method::none;
  else
    throw flag_error(flag, "unknown fill '" + text +
                               "'; use forward, backward, linear, nearest, constant:V or none");
  if (f.method == fill_method::constant) {
    if (arg.empty()) throw flag_error(flag, "constant needs a value, e.g. constant:0");
    const std::string_view number = without_plus(arg);
    const auto [end, ec] =
        std::from_chars(number.data(), number.data() + number.size(), f.constant);
    if (ec != std::errc{} || end != arg.data() + arg.size())
      throw flag_error(flag, "cannot read the constant '" + arg + "' as a number");
  } else if (f.method == fill_method::linear || f.method == fill_method::nearest) {
    if (arg == "time")
      f.by_time = true;
    else if (!arg.empty() && arg != "slot")
      throw flag_error(flag, "'" + head + ":" + arg + "': the axis is 'slot' (default) or 'time'");
  } else if (!arg.empty()) {
    throw flag_error(flag, "'" + head + "' takes no argument, got '" + text + "'");
  }
  return f;
}

job_spec job_spec_from(const flag_texts& f) {
  job_spec o;
  o.inputs = f.inputs();
  if (auto v = f.last("--output")) o.output = *v;
  if (auto v = f.last("--time")) o.time_column = *v;
  if (auto v = f.last("--keys")) o.keys = split(*v, ',');
  if (auto v = f.last("--values")) o.value_patterns = split(*v, ',');
  for (const std::string& w : f.all("--where")) add_where(o.where, parse_where(w));
  if (auto v = f.last("--rejects")) {
    o.rejects = *v;
    if (!has_extension(o.rejects, ".csv") && !has_extension(o.rejects, ".tsv"))
      throw flag_error("--rejects", "the rejected rows are written as CSV: name a .csv file");
  }
  if (auto v = f.last("--unique")) {
    o.unique_columns = split(*v, ',');
    for (const std::string& c : o.unique_columns)
      if (c.empty()) throw flag_error("--unique", "expected COL[,COL...], got '" + *v + "'");
  }
  if (auto v = f.last("--slot")) {
    if (const auto unit = parse_calendar_slot(*v)) {
      o.slot_unit = *unit;
    } else {
      o.slot_unit = calendar_slot::none;
      o.slot_ns = parse_duration_flag("--slot", *v);
    }
  }
  if (auto v = f.last("--week-start")) {
    o.week_start = parse_weekday("--week-start", *v);
    o.week_start_given = true;
  }
  if (auto v = f.last("--tz")) {
    o.tz = *v;
    if (o.tz.empty()) throw flag_error("--tz", "needs a zone name, e.g. America/New_York");
  }
  for (const std::string& c : f.all("--calendar")) {
    if (c.empty()) throw flag_error("--calendar", "expected nyse, weekdays or a calendar file");
    o.calendars.push_back(c);
  }
  o.keep_outside_session = f.on("--keep-outside-session");
  o.carry_in = f.on("--carry-in");
  if (auto v = f.last("--partition")) {
    if (*v == "day")
      o.partition_by_day = true;
    else if (*v == "none")
      o.partition_by_day = false;
    else
      throw flag_error("--partition", "expected day or none, got '" + *v + "'");
  }
  if (auto v = f.last("--dedup")) {
    o.dedup = *v;
    static const char* known[] = {"last", "first", "last-valid", "first-valid", "mean",
                                  "min",  "max",   "sum",        "count",       "reject"};
    bool ok = false;
    for (const char* k : known) ok = ok || o.dedup == k;
    if (!ok)
      throw flag_error("--dedup", "unknown dedup '" + o.dedup +
                                      "'; use last, first, last-valid, first-valid, mean, min, "
                                      "max, sum, count or reject");
  }
  if (auto v = f.last("--grid")) {
    const std::string flag = "--grid";
    if (*v == "partition")
      o.grid = grid_kind::partition;
    else if (*v == "key")
      o.grid = grid_kind::key;
    else if (*v == "observed")
      o.grid = grid_kind::observed;
    else if (v->rfind("range:", 0) == 0) {
      const std::string r = v->substr(6);
      const std::size_t slash = r.find('/');
      if (slash == std::string::npos)
        throw flag_error(flag, "expected range:START/END, got '" + *v + "'");
      o.grid = grid_kind::range;
      o.range_start_ns = parse_instant_flag(flag, r.substr(0, slash));
      o.range_end_ns = parse_instant_flag(flag, r.substr(slash + 1));
      if (o.range_end_ns <= o.range_start_ns)
        throw flag_error(flag, "the range must end after it starts");
    } else if (v->rfind("session:", 0) == 0) {
      o.grid = grid_kind::session;
      o.session = v->substr(8);
    } else {
      throw flag_error(flag,
                       "expected partition, key, observed, range:START/END or "
                       "session:HH:MM-HH:MM, got '" +
                           *v + "'");
    }
  }
  for (const std::string& v : f.all("--fill")) {
    const std::size_t eq = v.find('=');
    if (eq == std::string::npos)
      o.fill = parse_fill_method("--fill", v);
    else
      o.fill_for.emplace_back(v.substr(0, eq), parse_fill_method("--fill", v.substr(eq + 1)));
  }
  if (auto v = f.last("--limit")) o.limit = parse_count("--limit", *v);
  if (auto v = f.last("--max-age")) o.max_age_ns = parse_duration_flag("--max-age", *v);
  if (auto v = f.last("--limit-area")) {
    o.limit_area_given = true;
    if (*v == "all")
      o.area = area_kind::all;
    else if (*v == "inside")
      o.area = area_kind::inside;
    else if (*v == "outside")
      o.area = area_kind::outside;
    else
      throw flag_error("--limit-area", "expected inside, outside or all, got '" + *v + "'");
  }
  o.all_or_nothing = f.on("--all-or-nothing");
  if (auto v = f.last("--provenance")) {
    if (*v != "all" && *v != "status")
      throw flag_error(
          "--provenance",
          "expected nothing (how and from) or =status (how only), got " + shown_cell(*v));
    o.provenance = {true, *v == "all"};
  }
  o.keep_original = !f.on("--no-original");
  if (auto v = f.last("--suffix")) {
    o.suffix = *v;
    if (o.suffix.empty() && o.keep_original)
      throw flag_error("--suffix",
                       "must not be empty (the filled columns would have the originals' names; "
                       "with --no-original they may)");
  }
  if (auto v = f.last("--null-values")) o.null_values = split(*v, ',');
  o.nan_is_null = f.on("--nan-is-null");
  if (auto v = f.last("--format")) {
    o.format = *v;
    if (o.format != "csv" && o.format != "parquet")
      throw flag_error("--format", "expected csv or parquet, got '" + o.format + "'");
  }
  if (auto v = f.last("--input-format")) {
    o.input_format = *v;
    if (o.input_format != "csv" && o.input_format != "parquet")
      throw flag_error("--input-format", "expected csv or parquet, got '" + o.input_format + "'");
  }
  if (auto v = f.last("--delimiter")) {
    if (*v == "\\t" || *v == "tab")
      o.delimiter = '\t';
    else if (v->size() == 1 && (*v)[0] != '"' && (*v)[0] != '\n' && (*v)[0] != '\r')
      o.delimiter = (*v)[0];
    else
      throw flag_error("--delimiter", "expected one character (or 'tab'), got '" + *v + "'");
  }
  o.stats = f.on("--stats");
  if (auto v = f.last("--time-unit")) {
    o.time_unit = *v;
    if (o.time_unit != "s" && o.time_unit != "ms" && o.time_unit != "us" && o.time_unit != "ns")
      throw flag_error("--time-unit", "expected s, ms, us or ns, got '" + o.time_unit + "'");
  }
  if (auto v = f.last("--partition-name")) {
    o.partition_name = *v;
    if (o.partition_name.empty() || o.partition_name.find_first_of("/=") != std::string::npos)
      throw flag_error("--partition-name", "must be a non-empty name without '/' or '='");
  }
  if (auto v = f.last("--layout")) {
    if (*v != "day" && *v != "ymd")
      throw flag_error("--layout",
                       "expected day (NAME=YYYY-MM-DD) or ymd "
                       "(year=YYYY/month=MM/day=DD), got '" +
                           *v + "'");
    o.ymd_layout = *v == "ymd";
  }
  if (auto v = f.last("--threads")) {
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || end != v->data() + v->size() || n > 1024)
      throw flag_error("--threads",
                       "expected a number of threads (0 = all cores), got '" + *v + "'");
    o.threads = n != 0 ? n : std::max(1U, std::thread::hardware_concurrency());
  } else {
    o.threads = std::max(1U, std::thread::hardware_concurrency());  // as DuckDB and Polars do
  }
  if (auto v = f.last("--max-memory")) {
    const auto bytes = parse_memory_size(*v);
    if (!bytes || *bytes == 0)
      throw flag_error(
          "--max-memory",
          "expected a size like 8G, 500M or 50% (of physical memory), got '" + *v + "'");
    o.max_memory = *bytes;
    o.max_memory_text = "--max-memory " + *v;
  }
  o.overwrite = f.on("--overwrite");
  o.progress = !f.on("--no-progress");
  return o;
}

std::size_t job_spec::default_max_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return SIZE_MAX;
  return static_cast<std::size_t>(static_cast<double>(pages) * static_cast<double>(page) * 0.8);
}

std::optional<std::size_t> parse_memory_size(const std::string& text) {
  double number = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [rest, ec] = std::from_chars(begin, end, number);
  if (ec != std::errc{} || rest == begin || !(number >= 0)) return std::nullopt;
  const std::string unit(rest, end);
  double scale = 1;
  if (unit == "%") {
    if (number > 100) return std::nullopt;
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    scale = static_cast<double>(pages) * static_cast<double>(page) / 100;
  } else if (unit == "K" || unit == "k" || unit == "KB" || unit == "KiB") {
    scale = 1024.0;
  } else if (unit == "M" || unit == "MB" || unit == "MiB") {
    scale = 1024.0 * 1024;
  } else if (unit == "G" || unit == "GB" || unit == "GiB") {
    scale = 1024.0 * 1024 * 1024;
  } else if (unit == "T" || unit == "TB" || unit == "TiB") {
    scale = 1024.0 * 1024 * 1024 * 1024;
  } else if (!unit.empty() && unit != "B") {
    return std::nullopt;
  }
  const double bytes = number * scale;
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::size_t>(bytes);
}

void validate(job_spec& o) {
  if (o.inputs.empty()) throw cli_error("no input file given (tsfill fill INPUT... --output OUT)");
  if (o.output.empty()) throw flag_error("--output", "is required");

  // Contradictions, named by flag.
  auto methods_in_use = [&](auto pred) {
    bool any = pred(o.fill);
    for (const auto& [pat, f] : o.fill_for) any = any || pred(f);
    return any;
  };
  if (o.all_or_nothing && !o.limit && !o.max_age_ns)
    throw flag_error("--all-or-nothing", "needs --limit or --max-age to judge gaps by");
  if (o.area == area_kind::outside &&
      methods_in_use([](const fill_spec& f) { return f.method == fill_method::linear; }))
    throw flag_error("--limit-area",
                     "outside with --fill linear fills nothing: linear never extrapolates");
  if (o.max_age_ns &&
      methods_in_use([](const fill_spec& f) { return f.method == fill_method::constant; }))
    throw flag_error("--max-age",
                     "has no meaning for --fill constant (there is no observation to age)");
  const bool only_none =
      !methods_in_use([](const fill_spec& f) { return f.method != fill_method::none; });
  if (only_none && (o.limit || o.max_age_ns || o.all_or_nothing || o.limit_area_given))
    throw flag_error("--fill",
                     "none takes no --limit, --max-age, --limit-area or --all-or-nothing");
  if (o.carry_in) {
    if (!methods_in_use([](const fill_spec& f) { return f.method == fill_method::forward; }))
      throw flag_error("--carry-in", "carries forward-filled values; it needs --fill forward");
    if (!o.partition_by_day)
      throw flag_error("--carry-in", "has nothing to carry across with --partition none");
  }
  if (o.week_start_given && o.slot_unit != calendar_slot::week)
    throw flag_error("--week-start", "applies to weekly slots only (--slot 1w)");
  if (o.grid == grid_kind::session && !o.partition_by_day)
    throw flag_error("--grid",
                     "a session grid gives each day its session: it needs --partition day");
  if (o.grid != grid_kind::session) {
    if (!o.calendars.empty())
      throw flag_error("--calendar", "needs a session grid, e.g. --grid session:09:30-16:00");
    if (o.keep_outside_session)
      throw flag_error("--keep-outside-session", "needs a session grid (--grid session:...)");
  }
  // Zones and calendars are checked now (names, hours, calendar files), before any input is
  // read, so a typo costs nothing.
  if (o.zoned()) o.zone = check_calendar_options(o);
  for (const std::string& k : o.keys) {
    if (k.empty()) throw flag_error("--keys", "has an empty column name");
    if (k == o.time_column) throw flag_error("--keys", "'" + k + "' is also the --time column");
    if (std::count(o.keys.begin(), o.keys.end(), k) > 1)
      throw flag_error("--keys", "names '" + k + "' twice");
  }
  for (const std::string& v : o.value_patterns)
    if (v.empty()) throw flag_error("--values", "has an empty pattern");
}

}  // namespace tsfill_cli
