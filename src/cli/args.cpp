// The argument parser (args.hpp).
#include "args.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace qcli {

Spec::Spec(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), description_(std::move(description)) {
  flag("--help", "show this help and exit");
  aliases_["-h"] = "--help";
}

Spec &Spec::section(std::string title) {
  section_ = std::move(title);
  return *this;
}

Spec &Spec::add(OptionSpec o) {
  if (find(o.name) != nullptr) return *this;  // shared flag sets may overlap
  o.section = section_;
  options_.push_back(std::move(o));
  return *this;
}

Spec &Spec::flag(const std::string &name, const std::string &help) { return add({name, "", help, 0, false, {}}); }
Spec &Spec::value(const std::string &name, const std::string &metavar, const std::string &help) {
  return add({name, metavar, help, 1, false, {}});
}
Spec &Spec::values(const std::string &name, const std::string &metavar, const std::string &help) {
  return add({name, metavar, help, 1, true, {}});
}
Spec &Spec::pairs(const std::string &name, const std::string &metavar, const std::string &help) {
  return add({name, metavar, help, 2, true, {}});
}
Spec &Spec::alias(const std::string &alias, const std::string &name) {
  aliases_[alias] = name;
  return *this;
}
Spec &Spec::positionals(size_t max) {
  max_positionals_ = max;
  return *this;
}
Spec &Spec::epilog(std::string text) {
  epilog_ = std::move(text);
  return *this;
}

const OptionSpec *Spec::find(const std::string &name) const {
  auto a = aliases_.find(name);
  const std::string &n = a == aliases_.end() ? name : a->second;
  for (const auto &o : options_)
    if (o.name == n) return &o;
  return nullptr;
}

std::string Spec::help_text() const {
  std::ostringstream out;
  out << "usage: " << synopsis_ << "\n\n" << description_ << "\n";
  std::string current;
  for (const auto &o : options_) {
    if (o.section != current) {
      current = o.section;
      out << "\n" << current << ":\n";
    }
    std::string left = "  " + o.name;
    for (const auto &[alias, target] : aliases_)
      if (target == o.name) left += ", " + alias;
    if (!o.metavar.empty()) left += " " + o.metavar;
    if (o.repeat) left += " ...";
    out << left;
    if (left.size() < 30) out << std::string(30 - left.size(), ' ');
    else out << "\n" << std::string(30, ' ');
    out << o.help << "\n";
  }
  if (!epilog_.empty()) out << "\n" << epilog_ << "\n";
  return out.str();
}

namespace {

size_t edit_distance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

Args Args::parse(const Spec &spec, int argc, char **argv) {
  Args a;
  a.command_ = spec.command();
  bool options_done = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      if (a.positional.size() >= spec.max_positionals_)
        throw UsageError("unexpected argument '" + arg + "'" +
                         (spec.max_positionals_ == 0 ? " (values go after their --flag)" : ""));
      a.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos && arg.rfind("--", 0) == 0) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    const OptionSpec *o = spec.find(name);
    if (o == nullptr) {
      std::string best;
      size_t best_d = 4;
      for (const auto &cand : spec.options_) {
        size_t d = edit_distance(name, cand.name);
        if (d < best_d) best_d = d, best = cand.name;
      }
      throw UsageError("unknown option '" + name + "'" + (best.empty() ? "" : " (did you mean " + best + "?)"));
    }
    if (o->name == "--help") {
      a.help = true;
      return a;
    }
    auto &slot = a.values_[o->name];
    if (!o->repeat && !slot.empty() && o->nargs > 0)
      throw UsageError(o->name + " given more than once");
    if (o->nargs == 0) {
      if (inline_value) throw UsageError(o->name + " takes no value");
      slot.push_back("true");
      continue;
    }
    std::vector<std::string> got;
    if (inline_value) got.push_back(*inline_value);
    while (static_cast<int>(got.size()) < o->nargs) {
      if (i + 1 >= argc) throw UsageError(o->name + " needs a value (" + o->metavar + ")");
      std::string next = argv[i + 1];
      if (next.rfind("--", 0) == 0 && next.size() > 2 && spec.find(next.substr(0, next.find('='))) != nullptr)
        throw UsageError(o->name + " needs a value (" + o->metavar + "), got the option " + next);
      got.push_back(next);
      ++i;
    }
    for (auto &v : got) slot.push_back(std::move(v));
  }
  return a;
}

std::optional<std::string> Args::str(const std::string &name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::str_or(const std::string &name, const std::string &fallback) const {
  auto v = str(name);
  return v ? *v : fallback;
}

std::vector<std::string> Args::all(const std::string &name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int64_t parse_int(const std::string &text, const std::string &flag, int64_t min, int64_t max) {
  errno = 0;
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || std::isspace(static_cast<unsigned char>(text[0])))
    throw UsageError(flag + " expects an integer, got '" + text + "'");
  if (v < min || v > max)
    throw UsageError(flag + " " + text + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return v;
}

std::vector<int64_t> parse_int_list(const std::string &text, const std::string &flag, int64_t min, int64_t max) {
  std::vector<int64_t> out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw UsageError(flag + " expects comma-separated integers such as 1,2,3, got '" + text + "'");
    out.push_back(parse_int(item, flag, min, max));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::optional<int64_t> Args::int_opt(const std::string &name, int64_t min, int64_t max) const {
  auto v = str(name);
  if (!v) return std::nullopt;
  return parse_int(*v, name, min, max);
}

int64_t Args::int_or(const std::string &name, int64_t fallback, int64_t min, int64_t max) const {
  auto v = int_opt(name, min, max);
  return v ? *v : fallback;
}

std::optional<double> Args::float_opt(const std::string &name) const {
  auto v = str(name);
  if (!v) return std::nullopt;
  errno = 0;
  char *end = nullptr;
  double d = std::strtod(v->c_str(), &end);
  if (v->empty() || *end != '\0' || errno == ERANGE || !std::isfinite(d))
    throw UsageError(name + " expects a number, got '" + *v + "'");
  return d;
}

std::vector<int64_t> Args::int_list(const std::string &name, int64_t min, int64_t max) const {
  auto v = str(name);
  return v ? parse_int_list(*v, name, min, max) : std::vector<int64_t>{};
}

void Args::require(const std::string &name) const {
  if (!has(name)) throw UsageError(name + " is required");
}

void Args::one_of(const std::vector<std::string> &names, bool required) const {
  std::vector<std::string> given;
  std::string list;
  for (const auto &n : names) {
    if (has(n)) given.push_back(n);
    list += (list.empty() ? "" : ", ") + n;
  }
  if (given.size() > 1) throw UsageError(given[0] + " and " + given[1] + " cannot be combined");
  if (required && given.empty()) throw UsageError("one of " + list + " is required");
}

void Args::reject(const std::vector<std::string> &names, const std::string &why) const {
  for (const auto &n : names)
    if (has(n)) throw UsageError(n + " " + why);
}

}  // namespace qcli
