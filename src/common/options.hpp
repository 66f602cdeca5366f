// Named, typed options shared by every layer (the C ABI's qeff_options wraps an
// Options). The registry of known keys lives in options.cpp; docs/options.md
// lists them. Values are validated when set, so readers can trust them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/cancel.hpp"
#include "qeff/qeff.h"

namespace qeff {

struct OptionSpec {
  const char *name;
  qeff_option_type type;
  const char *default_text;
  double min;  // inclusive bounds for INT, FLOAT and every INT_LIST element
  double max;
  const char *description;
};

const std::vector<OptionSpec> &option_registry();
const OptionSpec *find_option(const std::string &name);

struct OptionValue {
  qeff_option_type type = QEFF_OPTION_BOOL;
  bool b = false;
  int64_t i = 0;
  double f = 0.0;
  std::string s;
  std::vector<int64_t> list;
  std::string text;  // canonical textual form, as qeff_options_set accepts it
};

class Options {
 public:
  // Setters throw qeff::Error(QEFF_E_INVALID_ARGUMENT) naming key, value and
  // limit; the object is unchanged on failure.
  void set_bool(const std::string &key, bool v);
  void set_int(const std::string &key, int64_t v);
  void set_float(const std::string &key, double v);
  void set_string(const std::string &key, const std::string &v);
  void set_int_list(const std::string &key, const std::vector<int64_t> &v);
  void set_text(const std::string &key, const std::string &text);

  // Getters return the set value or the key's default. The key must be known and
  // of the right type (a programming error otherwise: QEFF_E_INTERNAL).
  bool get_bool(const std::string &key) const;
  int64_t get_int(const std::string &key) const;
  double get_float(const std::string &key) const;
  const std::string &get_string(const std::string &key) const;
  const std::vector<int64_t> &get_int_list(const std::string &key) const;
  const std::string &get_text(const std::string &key) const;
  bool is_set(const std::string &key) const { return values_.count(key) != 0; }

  // The caller's cancellation flag (qeff_options_set_cancel), null when none:
  // calls that take these options bind it with a CancelScope.
  std::shared_ptr<const CancelFlag> cancel;

 private:
  const OptionValue &value(const std::string &key, qeff_option_type type) const;
  std::map<std::string, OptionValue> values_;
};

}  // namespace qeff
