// tsfill: turn irregular, duplicated, gappy time-series rows into a uniform, gap-filled grid.
//
// The umbrella header. It includes the standard library only; the optional components
// (<tsfill/eigen.hpp>, <tsfill/calendar.hpp>) are included separately.
#pragma once

#include <tsfill/batches.hpp>
#include <tsfill/column_fill.hpp>
#include <tsfill/columns.hpp>
#include <tsfill/concepts.hpp>
#include <tsfill/dictionary.hpp>
#include <tsfill/error.hpp>
#include <tsfill/memory.hpp>
#include <tsfill/pipeline.hpp>
#include <tsfill/policies/dedup.hpp>
#include <tsfill/policies/fill.hpp>
#include <tsfill/policies/grid.hpp>
#include <tsfill/policies/partition.hpp>
#include <tsfill/policies/slot.hpp>
#include <tsfill/result.hpp>
#include <tsfill/run_options.hpp>
#include <tsfill/time.hpp>
#include <tsfill/validate.hpp>
#include <tsfill/version.hpp>
#include <tsfill/vocabulary.hpp>
#include <tsfill/zone_offsets.hpp>
