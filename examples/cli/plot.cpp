#include "plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <type_traits>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "app/flags.hpp"
#include "app/job_factory.hpp"
#include "app/job_spec.hpp"
#include "cli_error.hpp"
#include "table.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace fs = std::filesystem;

namespace {

struct plot_flags {
  std::vector<std::pair<std::string, std::string>> key;  // column = value
  std::string value;
  std::optional<std::int64_t> from_ns, to_ns;  // inclusive slot range
  std::optional<std::int64_t> day;             // --day: a local date with --tz, else UTC
  std::string title;
};

plot_flags read_plot_flags(const flag_texts& f) {
  plot_flags p;
  if (auto v = f.last("--key")) {
    const std::string flag = "--key";
    std::size_t start = 0;
    while (start <= v->size()) {
      const std::size_t comma = std::min(v->find(',', start), v->size());
      const std::string part = v->substr(start, comma - start);
      const std::size_t eq = part.find('=');
      if (eq == std::string::npos || eq == 0)
        throw flag_error(flag, "expected COL=VALUE[,COL=VALUE...], got '" + *v + "'");
      p.key.emplace_back(part.substr(0, eq), part.substr(eq + 1));
      start = comma + 1;
    }
  }
  if (auto v = f.last("--value")) p.value = *v;
  if (auto v = f.last("--day")) {
    const auto d = parse_date(*v);
    if (!d) throw flag_error("--day", "expected YYYY-MM-DD, got '" + *v + "'");
    p.day = *d;
  }
  for (const char* flag : {"--from", "--to"}) {
    if (auto v = f.last(flag)) {
      std::string why;
      const auto t = parse_timestamp(*v, &why);
      if (!t) throw flag_error(flag, "cannot read '" + *v + "' as a timestamp: " + why);
      (std::string(flag) == "--from" ? p.from_ns : p.to_ns) = *t;
    }
  }
  if (auto v = f.last("--title")) p.title = *v;
  return p;
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string quoted_for_gnuplot(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// gnuplot xtics for instants first..last (ns), labelled on the wall clock: at most 12
// labels, at whole multiples of a step of wall-clock time (so on a day when clocks fall
// back, "01:00" is labelled twice, an hour apart).
template <class OffsetOf>
std::string wall_clock_tics(std::int64_t first, std::int64_t last, bool one_day,
                            const OffsetOf& offset_ns) {
  constexpr std::int64_t minute = 60'000'000'000, day = 1440 * minute;
  constexpr std::int64_t steps[] = {15 * minute,  30 * minute,  60 * minute,  120 * minute,
                                    180 * minute, 360 * minute, 720 * minute, day,
                                    2 * day,      7 * day,      14 * day,     28 * day,
                                    91 * day,     182 * day,    364 * day};
  std::int64_t step = steps[std::size(steps) - 1];
  for (const std::int64_t s : steps) {
    if ((last - first) / s < 12) {
      step = s;
      break;
    }
  }
  // Wall-clock offsets are whole quarter hours (since 1900), so a quarter-hour walk meets
  // every multiple of the step.
  std::string tics;
  const std::int64_t quarter = 15 * minute;
  const std::int64_t start = first / quarter * quarter - (first % quarter < 0 ? quarter : 0);
  for (std::int64_t t = start; t <= last; t += quarter) {
    if (t < first) continue;
    const std::int64_t wall = t + offset_ns(t);
    if (wall % step != 0) continue;
    const std::string text = format_timestamp(wall);  // YYYY-MM-DD HH:MM:SS
    const std::string label = step >= day ? text.substr(5, 5)
                              : one_day   ? text.substr(11, 5)
                                          : text.substr(5, 5) + "\\n" + text.substr(11, 5);
    char at[32];
    std::snprintf(at, sizeof at, "%.3f", static_cast<double>(t) / 1e9);
    tics += (tics.empty() ? "\"" : ", \"") + label + "\" " + at;
  }
  if (tics.empty()) {  // a window shorter than the step: label its first instant
    char at[32];
    std::snprintf(at, sizeof at, "%.3f", static_cast<double>(first) / 1e9);
    tics = "\"" + format_timestamp(first + offset_ns(first)).substr(11, 5) + "\" " + at;
  }
  return tics;
}

}  // namespace

int run_plot(job_spec o, const flag_texts& flags) {
  const plot_flags p = read_plot_flags(flags);
  if (!o.keep_original)
    throw flag_error("--no-original", "a plot draws the original values beside the filled ones");
  const bool svg = has_extension(o.output, ".svg");
  const bool png = has_extension(o.output, ".png");
  if (!svg && !png)
    throw flag_error("--output", "a plot is written as .png or .svg, got '" + o.output + "'");
  if (fs::exists(o.output) && !o.overwrite)
    throw flag_error("--output", o.output + " exists; pass --overwrite to replace it");
  if (p.key.size() != o.keys.size())
    throw flag_error("--key", "give one COL=VALUE for each of the " +
                                  std::to_string(o.keys.size()) + " --keys columns");
  if (!p.value.empty() && o.value_patterns.empty()) o.value_patterns = {p.value};

  const loaded_table t = load_inputs(o.reading());
  const tsfill::result r = make_job(o).run(t);
  // Points are placed by their instant, so a repeated hour is drawn once after the other;
  // the axis is labelled on the wall clock of --tz (UTC without it).
  auto offset_ns = [&](std::int64_t ts) {
    return o.zone ? std::int64_t{zone_span_at(*o.zone, ts).offset_s} * 1'000'000'000
                  : std::int64_t{0};
  };
  auto wall_ns = [&](std::int64_t ts) { return ts + offset_ns(ts); };
  auto day_of = [](std::int64_t ns) {
    const std::int64_t d = 86'400'000'000'000;
    return ns / d - (ns % d < 0 ? 1 : 0);
  };

  // The key's index among the distinct keys.
  std::optional<std::uint32_t> key;
  for (std::uint32_t k = 0; k < r.distinct_key_count() && !key; ++k) {
    bool all = true;
    for (std::size_t j = 0; j < o.keys.size() && all; ++j) {
      const auto it = std::find_if(p.key.begin(), p.key.end(),
                                   [&](const auto& kv) { return kv.first == o.keys[j]; });
      if (it == p.key.end())
        throw flag_error("--key", "no value given for key column '" + o.keys[j] + "'");
      const std::int64_t v = r.distinct_keys(j)[k];
      all = t.keys[j].is_string ? t.keys[j].words[static_cast<std::size_t>(v)] == it->second
                                : std::to_string(v) == it->second;
    }
    if (all) key = k;
  }
  if (!key) throw flag_error("--key", "no rows for this key in the input");
  const std::string column = p.value.empty() ? (r.value_count() ? r.value(0).name() : "") : p.value;
  if (column.empty()) throw flag_error("--value", "the input has no value column to plot");
  const tsfill::result_column& c = r.value(column);

  // Rows of the key inside the window, as (time, original, filled, status).
  struct point {
    std::int64_t t;
    double original, filled;
    tsfill::cell_status status;
  };
  std::vector<point> pts;
  std::vector<std::size_t> breaks;        // a later partition's first point is pts[breaks[k]]
  std::vector<std::int64_t> break_times;  // ... and that partition starts at this time (ns)
  auto value_at = [&](bool filled, std::size_t i) {
    if (!(filled ? c.filled_valid(i) : c.original_valid(i))) return std::nan("");
    return tsfill::visit(c.type(), [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      return static_cast<double>((filled ? c.filled<T>() : c.original<T>())[i]);
    });
  };
  for (const tsfill::segment& s : r.segments()) {
    if (s.key != *key) continue;
    const std::size_t first_point = pts.size();
    for (std::size_t i = s.offset; i < s.offset + s.size; ++i) {
      const std::int64_t ts = r.slot_times()[i];
      if ((p.from_ns && ts < *p.from_ns) || (p.to_ns && ts > *p.to_ns)) continue;
      if (p.day && day_of(wall_ns(ts)) != *p.day) continue;
      pts.push_back({ts, value_at(false, i), value_at(true, i), c.status()[i]});
    }
    if (first_point > 0 && pts.size() > first_point) {
      breaks.push_back(first_point);
      // Partitions are days: each starts at its local midnight.
      const std::int64_t midnight = s.partition * 86'400'000'000'000;
      break_times.push_back(midnight - offset_ns(midnight - offset_ns(midnight)));
    }
  }
  if (pts.empty()) throw flag_error("--day", "the key has no slots in the chosen window");
  double lo = INFINITY, hi = -INFINITY;
  for (const point& q : pts)
    if (!std::isnan(q.filled)) lo = std::min(lo, q.filled), hi = std::max(hi, q.filled);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  const double pad = hi > lo ? (hi - lo) * 0.08 : 1.0;
  const double missing_y = lo - pad;

  // Data file: epoch seconds, original, filled, status; a blank line breaks the line.
  const std::string stem = o.output + ".tsfill-tmp-" + std::to_string(getpid());
  const std::string data_path = stem + ".dat", script_path = stem + ".gp",
                    image_path = stem + (svg ? ".svg" : ".png");
  struct cleanup {
    std::vector<std::string> paths;
    ~cleanup() {
      std::error_code ec;
      for (const auto& q : paths) fs::remove(q, ec);
    }
  } tmp{{data_path, script_path, image_path}};
  {
    std::FILE* f = std::fopen(data_path.c_str(), "w");
    if (!f) throw cli_error(data_path + ": cannot create");
    std::size_t next_break = 0;
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (next_break < breaks.size() && i == breaks[next_break]) {
        std::fputs("\n", f);
        ++next_break;
      }
      if (i > 0 && std::isnan(pts[i].filled) != std::isnan(pts[i - 1].filled)) std::fputs("\n", f);
      std::fprintf(f, "%.3f %.17g %.17g %d\n", static_cast<double>(pts[i].t) / 1e9, pts[i].original,
                   pts[i].filled, static_cast<int>(pts[i].status));
    }
    std::fclose(f);
  }
  std::string title = p.title;
  if (title.empty()) {
    title = column + " for";
    for (const auto& [k, v] : p.key) title += " " + k + "=" + v;
  }
  const bool one_day = pts.back().t - pts.front().t <= 86'400'000'000'000;
  const std::string xtics = wall_clock_tics(pts.front().t, pts.back().t, one_day, offset_ns);
  // A dashed line where each partition (after the first) starts: nothing is carried over it.
  std::string partition_lines;
  for (const std::int64_t b : break_times) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead dt 2 lc rgb '#888888'\n",
                  static_cast<double>(b) / 1e9, static_cast<double>(b) / 1e9);
    partition_lines += buf;
  }
  {
    std::FILE* f = std::fopen(script_path.c_str(), "w");
    if (!f) throw cli_error(script_path + ": cannot create");
    std::fprintf(
        f,
        "set terminal %s size 1000,420 font 'sans,10'\n"
        "set output %s\n"
        "set title %s noenhanced\n"
        "set xtics (%s)\nset xlabel %s noenhanced%s\n"
        "set grid lc rgb '#dddddd'\nset key outside top center horizontal\n"
        "set yrange [%.17g:%.17g]\n%s"
        "d = %s\n"
        "is(s, k) = (s == k) ? 1 : NaN\n"
        "plot d using 1:3 with lines lw 1.5 lc rgb '#9e9e9e' title 'filled series', \\\n"
        "  d using 1:($3*is($4,2)) with points pt 9 ps 1.1 lc rgb '#ff7f0e' title 'forward', \\\n"
        "  d using 1:($3*is($4,3)) with points pt 11 ps 1.1 lc rgb '#2ca02c' title 'backward', \\\n"
        "  d using 1:($3*is($4,4)) with points pt 5 ps 0.9 lc rgb '#9467bd' title 'interpolated', "
        "\\\n"
        "  d using 1:($3*is($4,5)) with points pt 13 ps 1.0 lc rgb '#8c564b' title 'constant', \\\n"
        "  d using 1:($2*is($4,1)) with points pt 7 ps 0.8 lc rgb '#1f77b4' title 'observed', \\\n"
        "  d using 1:(%.17g*is($4,0)) with points pt 2 ps 1.2 lc rgb '#d62728' title 'missing'\n",
        svg ? "svg dynamic background '#ffffff'" : "pngcairo",
        quoted_for_gnuplot(image_path).c_str(), quoted_for_gnuplot(title).c_str(), xtics.c_str(),
        quoted_for_gnuplot(o.zone ? "local time (" + o.zone->name() + ")" : "UTC").c_str(),
        one_day ? "" : " offset 0,-0.6",  // below two-line tic labels
        missing_y - pad, hi + pad, partition_lines.c_str(), quoted_for_gnuplot(data_path).c_str(),
        missing_y);
    std::fclose(f);
  }
  const char* gnuplot = std::getenv("TSFILL_GNUPLOT");
  const std::string cmd =
      std::string(gnuplot ? gnuplot : "gnuplot") + " " + shell_quoted(script_path) + " 2>&1";
  std::FILE* proc = popen(cmd.c_str(), "r");
  std::string out;
  if (proc) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, proc)) out += buf;
  }
  const int status = proc ? pclose(proc) : -1;
  if (status != 0 || !fs::exists(image_path)) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
      throw cli_error("plot: gnuplot was not found (install it: apt-get install gnuplot-nox)");
    throw cli_error("plot: gnuplot failed: " + out);
  }
  std::error_code ec;
  fs::rename(image_path, o.output, ec);
  if (ec) throw cli_error(o.output + ": cannot write: " + ec.message());
  std::fprintf(stderr, "tsfill: wrote %s (%zu slots)\n", o.output.c_str(), pts.size());
  return 0;
}

}  // namespace tsfill_cli
