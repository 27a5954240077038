// ===========================================================================================
// <tsfill/backfill.hpp>: the backfill component (target tsfill::backfill, needs SQLite)
// ===========================================================================================
//
// Partition-by-partition recomputation with a progress store: the planner (which
// partitions, in which batches), the engine (N workers, retries, time budget), the stores
// (memory_store; sqlite_store, durable, one process at a time) and the directory sink
// (atomic partition replace), and file tracking for incremental ingestion (which files are
// new or changed, which partitions they touch). The job itself is any callable: the engine never
// sees tsfill's pipeline, so the same machinery drives any per-partition computation.
#pragma once

#include <tsfill/backfill/directory_sink.hpp>
#include <tsfill/backfill/engine.hpp>
#include <tsfill/backfill/file_tracking.hpp>
#include <tsfill/backfill/plan.hpp>
#include <tsfill/backfill/progress.hpp>
#include <tsfill/backfill/sqlite_store.hpp>
