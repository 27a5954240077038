// tsfill: the command line. `tsfill fill` runs the reference job (and its variants) on CSV
// and Parquet files; `tsfill plot` draws one key's series. Errors: one line on stderr,
// exit status 2, and no output file.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <tsfill/tsfill.hpp>

#include "app/job_factory.hpp"
#include "cli_error.hpp"
#include "options.hpp"
#include "output.hpp"
#include "plot.hpp"
#include "stats.hpp"
#include "table.hpp"

namespace {

using namespace tsfill_cli;

constexpr const char* usage = R"(usage: tsfill fill INPUT... --output OUT [flags]
       tsfill plot INPUT... --output PLOT.png|svg --key COL=VALUE[,...] [--value COL]
                   [--day YYYY-MM-DD | --from T --to T] [job flags]

Regularizes rows into a uniform grid of slots per key and partition, then fills gaps.
INPUT and OUT are CSV or Parquet by extension; an OUT without one is a directory of
partitions OUT/<partition-name>=YYYY-MM-DD/part-0.csv|parquet (the partition is then in
the directory name, not in the files: the Hive layout).

job flags:
  --time COL                event time column (default: date)
  --keys COL[,COL...]       key columns (default: none)
  --values PAT[,PAT...]     value columns, names or globs like 'vol*'
                            (default: every numeric non-key column)
  --where COL=VALUE         keep only matching rows (repeatable; one column: any value)
  --slot DUR                slot width: 30min, 1h, 15s, 1d ... (default 30min), or a
                            calendar period: 1w, 1mo, 1q, 1y
  --week-start DAY          first day of a 1w slot: mon (default) ... sun
  --tz ZONE                 days and slots in local time of an IANA zone (e.g.
                            America/New_York); slot_ts is written with its UTC offset
  --partition day|none      grids and fills never cross a partition (default day)
  --dedup last|first|last-valid|first-valid|mean|min|max|sum|count|reject (default last)
  --grid partition|key|observed|range:START/END|session:HH:MM-HH:MM   (default partition)
                            session: each day's slots from open to close (local time)
  --calendar nyse|weekdays|FILE   which days have a session, and their hours: weekdays
                            only; NYSE holidays and early closes; a CSV of exceptions
                            (date,open,close or date,closed). Repeatable; default every day
  --keep-outside-session    widen a day's session to rows outside it (default: drop them)
  --fill forward|backward|linear[:time]|nearest[:time]|constant:V|none (default forward);
                            --fill COL=METHOD sets one column's fill (COL may be a glob)
  --limit N  --max-age DUR  --limit-area inside|outside|all  --all-or-nothing
  --carry-in                forward fill carries a key's last value into the next
                            partition's leading gap (within --limit and --max-age)
  --suffix S                filled columns are written as COL+S (default _bf)
  --null-values LIST        tokens read as null (default: empty, NA, null, NULL)
  --nan-is-null             NaN counts as missing (default: NaN is a value)
  --time-unit s|ms|us|ns    read an integer time column as epoch values in this unit
  --format csv|parquet      output format (overrides the extension)
  --input-format csv|parquet
  --delimiter C             CSV delimiter, in and out (default ,)
  --partition-name NAME     partition column and directory name (default partition_date)
  --threads N               threads for the pipeline (default 1; 0 = all cores); the
                            output is the same for any number
  --overwrite               replace an existing output
  --stats                   print a summary on stderr
  --no-progress             no progress line on a terminal
)";

int run_fill(int argc, char** argv) {
  const auto t0 = std::chrono::steady_clock::now();
  const job_options o = parse_job_options(argc, argv, 2);
  const output_target target = output_target_of(o);  // refuse an existing output early
  const loaded_table table = load_inputs(o);
  const auto t1 = std::chrono::steady_clock::now();
  const job job = make_job(o);
  const tsfill::result r = job.run(table);
  const auto t2 = std::chrono::steady_clock::now();
  write_output(o, target, table, r);
  const auto t3 = std::chrono::steady_clock::now();
  if (o.stats) {
    std::vector<std::pair<std::string, double>> stages;
    stages.emplace_back("read", std::chrono::duration<double>(t1 - t0).count());
    for (const auto& s : r.stats().stage_seconds) stages.push_back(s);
    stages.emplace_back("write", std::chrono::duration<double>(t3 - t2).count());
    print_stats(o, table, r, stages, job.expected_slots());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "fill") return run_fill(argc, argv);
    if (command == "plot") return run_plot(argc, argv);
    if (command == "--version" || command == "version") {
      std::printf("tsfill %d.%d.%d\n", TSFILL_VERSION_MAJOR, TSFILL_VERSION_MINOR,
                  TSFILL_VERSION_PATCH);
      return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
      std::fputs(usage, stdout);
      return 0;
    }
    std::fputs(usage, stderr);
    std::fprintf(
        stderr, "tsfill: %s\n",
        command.empty() ? "no command given" : ("unknown command '" + command + "'").c_str());
    return 2;
  } catch (const cli_error& e) {
    std::fprintf(stderr, "tsfill: %s\n", e.what());
    return 2;
  } catch (const tsfill::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "tsfill: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tsfill: internal error: %s\n", e.what());
    return 1;
  }
}
