#include "rules.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "cli_error.hpp"
#include "paths.hpp"
#include "timefmt.hpp"

namespace tsfill_io {
namespace {

const char* op_text(where_rule::op k) {
  switch (k) {
    case where_rule::op::eq:
      return "=";
    case where_rule::op::ne:
      return "!=";
    case where_rule::op::lt:
      return "<";
    case where_rule::op::le:
      return "<=";
    case where_rule::op::gt:
      return ">";
    case where_rule::op::ge:
      return ">=";
    case where_rule::op::notnull:
      return ":notnull";
  }
  return "=";
}

std::optional<double> as_number(std::string_view s) {
  double d = 0;
  if (s.empty()) return std::nullopt;
  const char* b = s.data();
  if (*b == '+' && s.size() > 1 && b[1] != '-' && b[1] != '+') ++b;
  const auto [end, ec] = std::from_chars(b, s.data() + s.size(), d);
  if (ec != std::errc{} || end != s.data() + s.size() || std::isnan(d)) return std::nullopt;
  return d;
}

bool matches(const std::string& pattern, std::string_view text) {
  return has_glob(pattern) ? glob_match(pattern, std::string(text)) : pattern == text;
}

// -1, 0, 1: numbers as numbers, timestamps as instants, else bytes.
int compare(std::string_view cell, const std::string& value) {
  if (const auto a = as_number(cell), b = as_number(value); a && b)
    return *a < *b ? -1 : *a > *b ? 1 : 0;
  if (const auto a = parse_timestamp(cell), b = parse_timestamp(value); a && b)
    return *a < *b ? -1 : *a > *b ? 1 : 0;
  const int c = cell.compare(value);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

std::string where_rule::text() const {
  if (kind == op::notnull) return column + ":notnull";
  std::string v;
  for (const std::string& x : values) v += (v.empty() ? "" : "|") + x;
  return column + op_text(kind) + v;
}

where_rule parse_where(const std::string& text) {
  where_rule r;
  const std::string notnull = ":notnull";
  if (text.size() > notnull.size() &&
      text.compare(text.size() - notnull.size(), notnull.size(), notnull) == 0 &&
      text.find_first_of("=<>!") == std::string::npos) {
    r.column = text.substr(0, text.size() - notnull.size());
    r.kind = where_rule::op::notnull;
    return r;
  }
  const std::size_t at = text.find_first_of("=<>!");
  if (at == std::string::npos || at == 0)
    throw flag_error("--where",
                     "expected COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V or "
                     "COL:notnull, got '" +
                         text + "'");
  r.column = text.substr(0, at);
  std::size_t len = 1;
  const char c = text[at], next = at + 1 < text.size() ? text[at + 1] : '\0';
  if (c == '=') {
    r.kind = where_rule::op::eq;
  } else if (c == '!' && next == '=') {
    r.kind = where_rule::op::ne;
    len = 2;
  } else if (c == '<') {
    r.kind = next == '=' ? where_rule::op::le : where_rule::op::lt;
    len = next == '=' ? 2 : 1;
  } else if (c == '>') {
    r.kind = next == '=' ? where_rule::op::ge : where_rule::op::gt;
    len = next == '=' ? 2 : 1;
  } else {
    throw flag_error("--where",
                     "expected COL=V, COL!=V, COL<V, COL<=V, COL>V, COL>=V or "
                     "COL:notnull, got '" +
                         text + "'");
  }
  r.values.push_back(text.substr(at + len));
  if (r.kind != where_rule::op::eq && r.kind != where_rule::op::ne && r.values[0].empty())
    throw flag_error("--where", "'" + text + "' compares with nothing");
  return r;
}

void add_where(std::vector<where_rule>& rules, where_rule r) {
  if (r.kind == where_rule::op::eq)
    for (where_rule& have : rules)
      if (have.kind == where_rule::op::eq && have.column == r.column) {
        have.values.push_back(r.values[0]);
        return;
      }
  rules.push_back(std::move(r));
}

bool passes(const where_rule& r, std::string_view text, bool null) {
  switch (r.kind) {
    case where_rule::op::notnull:
      return !null;
    case where_rule::op::eq:
      return std::any_of(r.values.begin(), r.values.end(),
                         [&](const std::string& v) { return matches(v, text); });
    case where_rule::op::ne:
      return !matches(r.values[0], text);
    default:
      break;
  }
  if (null) return false;
  const int c = compare(text, r.values[0]);
  switch (r.kind) {
    case where_rule::op::lt:
      return c < 0;
    case where_rule::op::le:
      return c <= 0;
    case where_rule::op::gt:
      return c > 0;
    case where_rule::op::ge:
      return c >= 0;
    default:
      return false;
  }
}

}  // namespace tsfill_io
