// `tsfill status --state STATE.db [--id NAME] [--json]`: what a progress store records,
// read without taking its lock (a running backfill goes on): per backfill its partitions by
// state, how its last run ended, the throughput measured, and each failure with its error.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <tsfill/backfill.hpp>

#include "../app/flags.hpp"
#include "../json.hpp"
#include "commands.hpp"
#include "timefmt.hpp"

namespace tsfill_cli {
namespace {

namespace bf = tsfill::backfill;

std::string time_text(std::int64_t ms) {
  if (ms == 0) return "";
  return format_timestamp((ms - ms % 1000) * 1'000'000) + "Z";  // seconds are enough
}

struct status_spec {
  std::string state;
  std::string id;  // empty: every backfill
  bool json = false;
};

int run_status(const status_spec& o) {
  std::unique_ptr<bf::sqlite_store> store;
  try {
    store = std::make_unique<bf::sqlite_store>(o.state, bf::sqlite_store::access::read);
  } catch (const bf::store_error& e) {
    throw flag_error("--state", e.what());
  }
  std::vector<bf::backfill_record> backfills = store->backfills();
  if (!o.id.empty()) {
    std::erase_if(backfills, [&](const bf::backfill_record& b) { return b.id != o.id; });
    if (backfills.empty()) throw flag_error("--id", "no backfill '" + o.id + "' in " + o.state);
  }
  std::string json_b, json_p;
  for (const bf::backfill_record& b : backfills) {
    const auto recs = store->partitions(b.id);
    std::map<std::string, bf::tracked_file> files;  // (tsfill ingest's)
    try {
      files = store->tracked_files(b.id);
    } catch (const bf::store_error&) {  // a store no ingest ran on yet has no files table
    }
    std::vector<const bf::tracked_file*> failed_files;
    for (const auto& [path, f] : files)
      if (f.failed) failed_files.push_back(&f);
    std::map<std::string, std::size_t> counts{
        {"PENDING", 0}, {"RUNNING", 0}, {"COMPLETE", 0}, {"FAILED", 0}};
    std::uint64_t rows = 0;
    std::int64_t busy_ms = 0;
    for (const auto& [p, r] : recs) {
      ++counts[bf::to_string(r.status)];
      if (r.status == bf::partition_status::complete && r.finished_ms > r.started_ms) {
        rows += r.rows_in;
        busy_ms += r.finished_ms - r.started_ms;
      }
    }
    const double speed =
        busy_ms > 0 ? static_cast<double>(rows) * 1000.0 / static_cast<double>(busy_ms) : 0;
    const bool running = b.last_outcome.empty() && b.last_started_ms != 0;
    if (o.json) {
      if (!json_b.empty()) json_b += ",";
      json_b += "\n    {\"id\": " + json_string(b.id) + ", \"job\": " + json_string(b.job) +
                ", \"last_started\": " + json_string(time_text(b.last_started_ms)) +
                ", \"last_finished\": " + json_string(time_text(b.last_finished_ms)) +
                ", \"last_outcome\": " + json_string(b.last_outcome) +
                ", \"checkpoint\": " + (b.checkpoint ? std::to_string(*b.checkpoint) : "null") +
                ", \"counts\": {";
      bool first = true;
      for (const auto& [k, n] : counts) {
        json_b += (first ? "" : ", ") + json_string(k) + ": " + std::to_string(n);
        first = false;
      }
      char speed_text[32];
      std::snprintf(speed_text, sizeof speed_text, "%.0f", speed);
      json_b += std::string("}, \"rows_per_second\": ") + speed_text + ", \"rules\": [";
      for (std::size_t w = 0; w < b.rules.size(); ++w)
        json_b += (w ? ", " : "") + std::string("{\"rule\": ") + json_string(b.rules[w].first) +
                  ", \"rows\": " + std::to_string(b.rules[w].second) + "}";
      json_b += "]";
      if (!files.empty()) {
        json_b += ", \"files\": {\"tracked\": " + std::to_string(files.size()) + ", \"failed\": [";
        for (std::size_t i = 0; i < failed_files.size(); ++i)
          json_b += (i ? ", " : "") + std::string("{\"path\": ") +
                    json_string(failed_files[i]->path) +
                    ", \"error\": " + json_string(failed_files[i]->error) + "}";
        json_b += "]}";
      }
      json_b += "}";
      for (const auto& [p, r] : recs) {
        if (!json_p.empty()) json_p += ",";
        json_p += "\n    {\"id\": " + json_string(b.id) +
                  ", \"partition\": " + json_string(format_date(p)) +
                  ", \"status\": " + json_string(bf::to_string(r.status)) +
                  ", \"attempts\": " + std::to_string(r.attempts) +
                  ", \"rows_in\": " + std::to_string(r.rows_in) +
                  ", \"rows_out\": " + std::to_string(r.rows_out) +
                  ", \"checksum\": " + json_string(r.checksum) +
                  ", \"started\": " + json_string(time_text(r.started_ms)) +
                  ", \"finished\": " + json_string(time_text(r.finished_ms)) +
                  ", \"error\": " + json_string(r.error) + "}";
      }
      continue;
    }
    std::printf("backfill %s: %zu partitions: %zu COMPLETE, %zu FAILED, %zu PENDING, %zu RUNNING\n",
                b.id.c_str(), recs.size(), counts["COMPLETE"], counts["FAILED"], counts["PENDING"],
                counts["RUNNING"]);
    std::printf("  job: %s\n", b.job.c_str());
    if (running)
      std::printf("  last run: started %s, running or killed (RUNNING partitions are redone)\n",
                  time_text(b.last_started_ms).c_str());
    else if (b.last_started_ms != 0)
      std::printf("  last run: %s to %s, %s%s\n", time_text(b.last_started_ms).c_str(),
                  time_text(b.last_finished_ms).c_str(), b.last_outcome.c_str(),
                  b.last_outcome == "time budget" ? " (the rest PENDING: run again to go on)" : "");
    if (speed > 0) std::printf("  throughput: %.2fM input rows/s per worker\n", speed / 1e6);
    if (b.checkpoint)
      std::printf("  sequence numbers done up to %lld\n", static_cast<long long>(*b.checkpoint));
    for (const auto& [rule, dropped] : b.rules)
      std::printf("  rows dropped by %s: %llu\n", rule.c_str(),
                  static_cast<unsigned long long>(dropped));
    for (const auto& [p, r] : recs)
      if (r.status == bf::partition_status::failed)
        std::printf("  FAILED %s after %d attempt%s: %s\n", format_date(p).c_str(), r.attempts,
                    r.attempts == 1 ? "" : "s", r.error.c_str());
    if (!files.empty())
      std::printf("  files: %zu tracked, %zu FAILED\n", files.size(), failed_files.size());
    for (const bf::tracked_file* f : failed_files)
      std::printf("  FAILED file %s: %s\n", f->path.c_str(), f->error.c_str());
  }
  if (o.json)
    std::printf("{\n  \"backfills\": [%s\n  ],\n  \"partitions\": [%s\n  ]\n}\n", json_b.c_str(),
                json_p.c_str());
  else if (backfills.empty())
    std::printf("no backfills in %s\n", o.state.c_str());
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, command_run& run) {
  CLI::App* cmd = app.add_subcommand(
      "status",
      "Show what a progress store records: each backfill's partitions by state, its last run, "
      "throughput, and failures with their errors. Reads without the store's lock.");
  auto flags = std::make_shared<flag_texts>();
  flags->value(*cmd, "--state", "STATE.db", "the progress store");
  flags->value(*cmd, "--id", "NAME", "only this backfill (default: all)");
  flags->toggle(*cmd, "--json", "print JSON: {\"backfills\": [...], \"partitions\": [...]}");
  cmd->allow_extras();
  cmd->callback([cmd, flags, &run] {
    refuse_unknown_flags(*cmd);
    status_spec o;
    if (const auto v = flags->last("--state")) o.state = *v;
    if (o.state.empty()) throw flag_error("--state", "required: the progress store");
    if (const auto v = flags->last("--id")) o.id = *v;
    o.json = flags->on("--json");
    run = [o] { return run_status(o); };
  });
}

}  // namespace tsfill_cli
