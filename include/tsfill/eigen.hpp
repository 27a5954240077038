// The tsfill::eigen component: Eigen matrices as blocks of value columns, without copies.
//
// A column-major Eigen matrix is already structure-of-arrays: column j of an n x c matrix is
// n contiguous values. So:
//   in:  tsfill::eigen::add_value_columns(table.values, X, {"a", "b", "c"});
//        adds one value column per matrix column, pointing into X (X must outlive the run);
//   out: tsfill::eigen::filled_matrix<double>(result)
//        maps the filled values of all float64 columns as one n x c matrix (an Eigen::Map
//        into the result: keep the result alive while you use it).
// Eigen has no null: missing output cells read as NaN (null_placeholder), and NaN inputs
// count as missing only with run_options::nan_is_null.
//
// Link tsfill::eigen (find_package(tsfill CONFIG REQUIRED COMPONENTS eigen)).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include <Eigen/Core>

#include <tsfill/columns.hpp>
#include <tsfill/error.hpp>
#include <tsfill/result.hpp>

TSFILL_BEGIN_NAMESPACE
namespace eigen {

template <class T>
using matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;

// Appends the columns of `m` to `columns`, named by `names`. `m` must be column-major with
// unit inner stride (a Matrix, a Map of one, or a block of whole columns).
template <class Derived>
void add_value_columns(std::vector<value_column>& columns, const Eigen::DenseBase<Derived>& m,
                       const std::vector<std::string>& names) {
  using T = typename Derived::Scalar;
  static_assert(is_value_type_v<T>, "tsfill::eigen: the matrix must hold double, float or int64");
  static_assert(!Derived::IsRowMajor || Derived::ColsAtCompileTime == 1,
                "tsfill::eigen: the matrix must be column-major (structure of arrays)");
  static_assert((Derived::Flags & Eigen::DirectAccessBit) != 0,
                "tsfill::eigen: the matrix must be stored (Matrix, Map or Block), not an "
                "expression; evaluate it first");
  const Derived& d = m.derived();
  if (static_cast<std::size_t>(d.cols()) != names.size())
    throw invalid_argument("eigen::add_value_columns: the matrix has " + std::to_string(d.cols()) +
                           " columns but " + std::to_string(names.size()) + " names were given");
  if (d.innerStride() != 1)
    throw invalid_argument("eigen::add_value_columns: the matrix columns must be contiguous");
  const auto rows = static_cast<std::size_t>(d.rows());
  for (Eigen::Index j = 0; j < d.cols(); ++j) {
    const T* col = d.data() + j * d.outerStride();
    columns.emplace_back(names[static_cast<std::size_t>(j)], std::span<const T>(col, rows));
  }
}

// The filled (or original) values of every column of type T in `r`, as one n x c matrix.
template <class T>
Eigen::Map<const matrix<T>> filled_matrix(const result& r) {
  const value_block<T> b = r.filled_block<T>();
  return {b.data, static_cast<Eigen::Index>(b.rows), static_cast<Eigen::Index>(b.columns.size())};
}
template <class T>
Eigen::Map<const matrix<T>> original_matrix(const result& r) {
  const value_block<T> b = r.original_block<T>();
  return {b.data, static_cast<Eigen::Index>(b.rows), static_cast<Eigen::Index>(b.columns.size())};
}

}  // namespace eigen
TSFILL_END_NAMESPACE
