// ===========================================================================================
// <tsfill/history.hpp>: the history component (target tsfill::history, standard library only)
// ===========================================================================================
//
// Month-partitioned tables of rolling history arrays (index 0 = that month, 1 = the month
// before, ... N - 1): late values placed exactly where they belong (apply), a new month
// built from the last (roll), and the check that every staged value sits at its index
// (verify). Pure functions over structure-of-arrays partitions; reading and writing
// partitions, the progress store and atomic replace are the caller's (the tsfill program
// uses the backfill component's).
#pragma once

#include <tsfill/history/apply.hpp>
#include <tsfill/history/roll.hpp>
#include <tsfill/history/staged.hpp>
#include <tsfill/history/table.hpp>
#include <tsfill/history/verify.hpp>
