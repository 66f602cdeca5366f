// Unit tests: the options registry and qeff::Options (src/common/options.hpp):
// defaults, typed setters, type and range errors naming key/value/range,
// unknown keys listing the known ones, textual forms, and no change on failure.
// RELIABILITY.md B11.96.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/options.hpp"
#include "hub/limits.hpp"
#include "qeff/qeff.h"
#include "unit_test.hpp"

namespace {

using qeff::Options;

const qeff::OptionSpec *first_of_type(qeff_option_type type) {
  for (const auto &s : qeff::option_registry())
    if (s.type == type) return &s;
  return nullptr;
}

// ---------------------------------------------------------------------------
// Registry and defaults

TEST(OptionRegistry, NamesAreUniqueAndDefaultsValid) {
  std::set<std::string> names;
  Options o;
  for (const auto &s : qeff::option_registry()) {
    SCOPED_TRACE(s.name);
    EXPECT_TRUE(names.insert(s.name).second) << "duplicate key";
    EXPECT_EQ(qeff::find_option(s.name), &s);
    EXPECT_NE(std::string(s.description), "");
    // Every default parses, is in range, and its canonical text reads back as itself.
    ASSERT_NO_THROW(o.get_text(s.name));
    EXPECT_FALSE(o.is_set(s.name));
    if (s.type != QEFF_OPTION_FLOAT) {
      EXPECT_EQ(o.get_text(s.name), s.default_text);
    }
    if (s.type == QEFF_OPTION_INT) {
      double v = static_cast<double>(o.get_int(s.name));
      EXPECT_GE(v, s.min);
      EXPECT_LE(v, s.max);
    }
    // Setting the default (or its canonical text) back changes nothing visible.
    Options p;
    EXPECT_NO_THROW(p.set_text(s.name, s.default_text));
    EXPECT_EQ(p.get_text(s.name), o.get_text(s.name));
    EXPECT_TRUE(p.is_set(s.name));
    p.set_text(s.name, o.get_text(s.name));
    EXPECT_EQ(p.get_text(s.name), o.get_text(s.name));
  }
  EXPECT_EQ(qeff::find_option("limits.nope"), nullptr);
  EXPECT_EQ(qeff::find_option(""), nullptr);
  EXPECT_EQ(qeff::find_option("LIMITS.JSON_DEPTH"), nullptr);
}

TEST(Options, Defaults) {
  Options o;
  EXPECT_EQ(o.get_int("limits.json_bytes"), 134217728);
  EXPECT_EQ(o.get_int("limits.json_depth"), 64);
  EXPECT_EQ(o.get_int("limits.safetensors_header_bytes"), 100000000);
  EXPECT_EQ(o.get_int("limits.tensor_count"), 1000000);
  EXPECT_EQ(o.get_int("limits.tensor_rank"), 8);
  EXPECT_EQ(o.get_int("limits.shard_count"), 10000);
  EXPECT_EQ(o.get_int("limits.config_dim"), 16777216);
  EXPECT_EQ(o.get_string("load.allowed_root"), "");
  EXPECT_FALSE(o.get_bool("load.check_tensors"));
  EXPECT_EQ(o.get_text("load.check_tensors"), "false");
  EXPECT_EQ(o.get_text("limits.json_depth"), "64");
  EXPECT_EQ(o.get_text("load.allowed_root"), "");
}

TEST(Options, DefaultsMatchTheHubLimits) {
  qeff::hub::HubLimits from = qeff::hub::HubLimits::from(Options{});
  qeff::hub::HubLimits builtin;
  EXPECT_EQ(from.json.max_bytes, builtin.json.max_bytes);
  EXPECT_EQ(from.json.max_depth, builtin.json.max_depth);
  EXPECT_EQ(from.safetensors_header_bytes, builtin.safetensors_header_bytes);
  EXPECT_EQ(from.tensor_count, builtin.tensor_count);
  EXPECT_EQ(from.tensor_rank, builtin.tensor_rank);
  EXPECT_EQ(from.shard_count, builtin.shard_count);
  EXPECT_EQ(from.config_dim, builtin.config_dim);
  Options o;
  o.set_int("limits.json_depth", 7);
  o.set_int("limits.tensor_rank", 3);
  qeff::hub::HubLimits l = qeff::hub::HubLimits::from(o);
  EXPECT_EQ(l.json.max_depth, 7);
  EXPECT_EQ(l.tensor_rank, 3u);
}

// ---------------------------------------------------------------------------
// Typed setters

TEST(Options, TypedSetters) {
  Options o;
  o.set_int("limits.json_depth", 100);
  EXPECT_EQ(o.get_int("limits.json_depth"), 100);
  EXPECT_EQ(o.get_text("limits.json_depth"), "100");
  EXPECT_TRUE(o.is_set("limits.json_depth"));
  o.set_bool("load.check_tensors", true);
  EXPECT_TRUE(o.get_bool("load.check_tensors"));
  EXPECT_EQ(o.get_text("load.check_tensors"), "true");
  o.set_string("load.allowed_root", "/srv/hf-cache");
  EXPECT_EQ(o.get_string("load.allowed_root"), "/srv/hf-cache");
  EXPECT_EQ(o.get_text("load.allowed_root"), "/srv/hf-cache");
  // Setting again replaces.
  o.set_int("limits.json_depth", 1);
  EXPECT_EQ(o.get_int("limits.json_depth"), 1);
  o.set_string("load.allowed_root", "");
  EXPECT_EQ(o.get_string("load.allowed_root"), "");
  EXPECT_TRUE(o.is_set("load.allowed_root"));
  // Other keys keep their defaults.
  EXPECT_EQ(o.get_int("limits.tensor_rank"), 8);
  EXPECT_FALSE(o.is_set("limits.tensor_rank"));
}

TEST(Options, RangeBoundsAreInclusive) {
  Options o;
  EXPECT_NO_THROW(o.set_int("limits.json_depth", 1));
  EXPECT_NO_THROW(o.set_int("limits.json_depth", 1000));
  EXPECT_NO_THROW(o.set_int("limits.tensor_rank", 64));
  EXPECT_NO_THROW(o.set_int("limits.safetensors_header_bytes", 2));
  EXPECT_NO_THROW(o.set_int("limits.json_bytes", INT64_C(9200000000000000000)));
}

TEST(Options, TypeMismatchNamesKeyAndTypes) {
  Options o;
  EXPECT_QEFF_ERROR(o.set_bool("limits.json_depth", true), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\"", "int", "not a bool");
  EXPECT_QEFF_ERROR(o.set_int("load.check_tensors", 1), QEFF_E_INVALID_ARGUMENT,
                    "option \"load.check_tensors\"", "bool", "not an int");
  EXPECT_QEFF_ERROR(o.set_float("limits.json_depth", 1.0), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\"", "not a float");
  EXPECT_QEFF_ERROR(o.set_string("limits.json_depth", "64"), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\"", "not a string");
  EXPECT_QEFF_ERROR(o.set_int_list("limits.json_depth", {1, 2}), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\"", "not an int list");
  EXPECT_QEFF_ERROR(o.set_int("load.allowed_root", 5), QEFF_E_INVALID_ARGUMENT,
                    "option \"load.allowed_root\"", "string");
  EXPECT_FALSE(o.is_set("limits.json_depth"));
  EXPECT_FALSE(o.is_set("load.check_tensors"));
  EXPECT_FALSE(o.is_set("load.allowed_root"));
}

TEST(Options, RangeErrorsNameKeyValueAndRange) {
  Options o;
  EXPECT_QEFF_ERROR(o.set_int("limits.json_depth", 0), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\" = 0 is out of range [1, 1000]");
  EXPECT_QEFF_ERROR(o.set_int("limits.json_depth", 1001), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\" = 1001 is out of range [1, 1000]");
  EXPECT_QEFF_ERROR(o.set_int("limits.tensor_rank", 65), QEFF_E_INVALID_ARGUMENT,
                    "\"limits.tensor_rank\" = 65", "[1, 64]");
  EXPECT_QEFF_ERROR(o.set_int("limits.json_bytes", -1), QEFF_E_INVALID_ARGUMENT,
                    "\"limits.json_bytes\" = -1", "out of range");
  EXPECT_QEFF_ERROR(o.set_int("limits.json_bytes", INT64_MAX), QEFF_E_INVALID_ARGUMENT,
                    "\"limits.json_bytes\" = 9223372036854775807",
                    "out of range [1, 9200000000000000000]");
  EXPECT_QEFF_ERROR(o.set_int("limits.safetensors_header_bytes", 1), QEFF_E_INVALID_ARGUMENT,
                    "= 1 is out of range [2,");
  EXPECT_QEFF_ERROR(o.set_int("limits.shard_count", INT64_MIN), QEFF_E_INVALID_ARGUMENT,
                    "\"limits.shard_count\" = -9223372036854775808", "[1, 1000000]");
  EXPECT_QEFF_ERROR(o.set_text("limits.json_depth", "5000"), QEFF_E_INVALID_ARGUMENT,
                    "option \"limits.json_depth\" = 5000 is out of range [1, 1000]");
  EXPECT_QEFF_ERROR(o.set_text("limits.json_depth", "-3"), QEFF_E_INVALID_ARGUMENT,
                    "= -3 is out of range");
}

TEST(Options, UnknownKeyListsKnownKeys) {
  Options o;
  auto check = [&](auto &&call) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const qeff::Error &e) {
      EXPECT_EQ(e.status(), QEFF_E_INVALID_ARGUMENT) << e.what();
      std::string m = e.what();
      EXPECT_NE(m.find("unknown option \"limits.json_dept\""), std::string::npos) << m;
      EXPECT_NE(m.find("known: "), std::string::npos) << m;
      for (const auto &s : qeff::option_registry())
        EXPECT_NE(m.find(s.name), std::string::npos) << "lacks " << s.name << ": " << m;
    }
  };
  check([&] { o.set_int("limits.json_dept", 5); });
  check([&] { o.set_bool("limits.json_dept", true); });
  check([&] { o.set_float("limits.json_dept", 1.0); });
  check([&] { o.set_string("limits.json_dept", "x"); });
  check([&] { o.set_int_list("limits.json_dept", {}); });
  check([&] { o.set_text("limits.json_dept", "5"); });
  check([&] { o.get_text("limits.json_dept"); });
  EXPECT_FALSE(o.is_set("limits.json_dept"));
  // Hostile key text is quoted.
  EXPECT_QEFF_ERROR(o.set_text("a\nb\"c", "1"), QEFF_E_INVALID_ARGUMENT, "\"a\\x0ab\\x22c\"");
  EXPECT_QEFF_ERROR(o.set_text("", "1"), QEFF_E_INVALID_ARGUMENT, "unknown option \"\"");
}

TEST(Options, GettersWithTheWrongTypeAreInternalErrors) {
  Options o;
  EXPECT_QEFF_ERROR(o.get_bool("limits.json_depth"), QEFF_E_INTERNAL, "\"limits.json_depth\"");
  EXPECT_QEFF_ERROR(o.get_int("load.check_tensors"), QEFF_E_INTERNAL, "\"load.check_tensors\"");
  EXPECT_QEFF_ERROR(o.get_string("limits.json_depth"), QEFF_E_INTERNAL, "\"limits.json_depth\"");
  EXPECT_QEFF_ERROR(o.get_int("no.such.key"), QEFF_E_INTERNAL, "\"no.such.key\"");
  // The same once a value is set: never a silently wrong value.
  o.set_int("limits.json_depth", 10);
  o.set_bool("load.check_tensors", true);
  EXPECT_QEFF_ERROR(o.get_bool("limits.json_depth"), QEFF_E_INTERNAL, "\"limits.json_depth\"");
  EXPECT_QEFF_ERROR(o.get_float("limits.json_depth"), QEFF_E_INTERNAL, "\"limits.json_depth\"");
  EXPECT_QEFF_ERROR(o.get_int_list("limits.json_depth"), QEFF_E_INTERNAL, "\"limits.json_depth\"");
  EXPECT_QEFF_ERROR(o.get_int("load.check_tensors"), QEFF_E_INTERNAL, "\"load.check_tensors\"");
  EXPECT_EQ(o.get_int("limits.json_depth"), 10);
}

// ---------------------------------------------------------------------------
// Textual forms

TEST(Options, SetTextBoolForms) {
  Options o;
  for (const char *t : {"true", "1"}) {
    o.set_text("load.check_tensors", t);
    EXPECT_TRUE(o.get_bool("load.check_tensors")) << t;
    EXPECT_EQ(o.get_text("load.check_tensors"), "true") << t;
  }
  for (const char *t : {"false", "0"}) {
    o.set_text("load.check_tensors", t);
    EXPECT_FALSE(o.get_bool("load.check_tensors")) << t;
    EXPECT_EQ(o.get_text("load.check_tensors"), "false") << t;
  }
  for (const char *t : {"TRUE", "True", "yes", "no", "on", "2", "", " true", "true ", "tru", "01"}) {
    SCOPED_TRACE(t);
    EXPECT_QEFF_ERROR(o.set_text("load.check_tensors", t), QEFF_E_INVALID_ARGUMENT,
                      "option \"load.check_tensors\"", "is not a bool (true/false/1/0)");
  }
  EXPECT_EQ(o.get_text("load.check_tensors"), "false");  // the last good value
}

TEST(Options, SetTextInts) {
  Options o;
  o.set_text("limits.json_depth", "128");
  EXPECT_EQ(o.get_int("limits.json_depth"), 128);
  EXPECT_EQ(o.get_text("limits.json_depth"), "128");
  o.set_text("limits.json_depth", "007");
  EXPECT_EQ(o.get_int("limits.json_depth"), 7);
  EXPECT_EQ(o.get_text("limits.json_depth"), "7");  // canonical form
  o.set_text("limits.json_bytes", "9200000000000000000");
  EXPECT_EQ(o.get_int("limits.json_bytes"), INT64_C(9200000000000000000));
  for (const char *t : {"", "abc", "12abc", "1.5", "1e3", "0x10", "32 ", "--1", "- 1", "64,",
                        "9223372036854775808", "99999999999999999999999"}) {
    SCOPED_TRACE(t);
    EXPECT_QEFF_ERROR(o.set_text("limits.json_depth", t), QEFF_E_INVALID_ARGUMENT,
                      "option \"limits.json_depth\"", "is not an integer");
  }
  EXPECT_EQ(o.get_int("limits.json_depth"), 7);
}

TEST(Options, SetTextStrings) {
  Options o;
  o.set_text("load.allowed_root", "/a,b/c d");
  EXPECT_EQ(o.get_string("load.allowed_root"), "/a,b/c d");
  EXPECT_EQ(o.get_text("load.allowed_root"), "/a,b/c d");
  o.set_text("load.allowed_root", "");
  EXPECT_EQ(o.get_string("load.allowed_root"), "");
}

TEST(Options, ObjectUnchangedOnFailure) {
  Options o;
  o.set_int("limits.json_depth", 10);
  EXPECT_QEFF_ERROR(o.set_int("limits.json_depth", 0), QEFF_E_INVALID_ARGUMENT, "out of range");
  EXPECT_QEFF_ERROR(o.set_text("limits.json_depth", "abc"), QEFF_E_INVALID_ARGUMENT, "not an integer");
  EXPECT_QEFF_ERROR(o.set_text("limits.json_depth", "2000"), QEFF_E_INVALID_ARGUMENT, "out of range");
  EXPECT_QEFF_ERROR(o.set_bool("limits.json_depth", true), QEFF_E_INVALID_ARGUMENT, "not a bool");
  EXPECT_EQ(o.get_int("limits.json_depth"), 10);
  EXPECT_EQ(o.get_text("limits.json_depth"), "10");
  // A key never set stays unset after a failed set.
  EXPECT_QEFF_ERROR(o.set_text("limits.tensor_rank", "x"), QEFF_E_INVALID_ARGUMENT, "not an integer");
  EXPECT_QEFF_ERROR(o.set_int("limits.tensor_rank", 0), QEFF_E_INVALID_ARGUMENT, "out of range");
  EXPECT_FALSE(o.is_set("limits.tensor_rank"));
  EXPECT_EQ(o.get_int("limits.tensor_rank"), 8);
  EXPECT_QEFF_ERROR(o.set_text("load.check_tensors", "maybe"), QEFF_E_INVALID_ARGUMENT, "not a bool");
  EXPECT_FALSE(o.is_set("load.check_tensors"));
}

TEST(Options, CopiesAreIndependent) {
  Options a;
  a.set_int("limits.json_depth", 5);
  Options b = a;
  b.set_int("limits.json_depth", 6);
  EXPECT_EQ(a.get_int("limits.json_depth"), 5);
  EXPECT_EQ(b.get_int("limits.json_depth"), 6);
}

// ---------------------------------------------------------------------------
// FLOAT and INT_LIST keys: exercised through whichever registry key has the
// type (skipped while the registry has none).

TEST(Options, IntListTextForms) {
  const qeff::OptionSpec *s = first_of_type(QEFF_OPTION_INT_LIST);
  if (s == nullptr) GTEST_SKIP() << "the registry has no INT_LIST option";
  const std::string key = s->name;
  const int64_t lo = static_cast<int64_t>(std::ceil(s->min));
  const int64_t hi = static_cast<int64_t>(std::floor(std::min(s->max, 1e6)));
  const std::string a = std::to_string(lo), b = std::to_string(hi);
  Options o;
  o.set_text(key, a + "," + b + "," + a);
  EXPECT_EQ(o.get_int_list(key), (std::vector<int64_t>{lo, hi, lo}));
  EXPECT_EQ(o.get_text(key), a + "," + b + "," + a);
  o.set_int_list(key, {hi, lo});
  EXPECT_EQ(o.get_text(key), b + "," + a);
  o.set_text(key, a);
  EXPECT_EQ(o.get_int_list(key), (std::vector<int64_t>{lo}));
  for (const std::string &t : {a + ",," + b, "," + a, a + ",", a + ";" + b, a + ",x", std::string(",")}) {
    SCOPED_TRACE(t);
    EXPECT_QEFF_ERROR(o.set_text(key, t), QEFF_E_INVALID_ARGUMENT, s->name,
                      "is not a comma-separated integer list");
  }
  EXPECT_EQ(o.get_int_list(key), (std::vector<int64_t>{lo}));  // unchanged
  if (s->max < 9e18) {
    std::string over = std::to_string(static_cast<int64_t>(s->max) + 1);
    EXPECT_QEFF_ERROR(o.set_text(key, a + "," + over), QEFF_E_INVALID_ARGUMENT, s->name,
                      "out of range");
    EXPECT_QEFF_ERROR(o.set_int_list(key, {lo, static_cast<int64_t>(s->max) + 1}),
                      QEFF_E_INVALID_ARGUMENT, s->name, "out of range");
  }
  EXPECT_EQ(o.get_int_list(key), (std::vector<int64_t>{lo}));
}

TEST(Options, FloatTextForms) {
  const qeff::OptionSpec *s = first_of_type(QEFF_OPTION_FLOAT);
  if (s == nullptr) GTEST_SKIP() << "the registry has no FLOAT option";
  const std::string key = s->name;
  Options o;
  o.set_float(key, s->min);
  EXPECT_EQ(o.get_float(key), s->min);
  // An int is accepted for a float option.
  int64_t whole = static_cast<int64_t>(std::ceil(s->min));
  if (static_cast<double>(whole) <= s->max) {
    o.set_int(key, whole);
    EXPECT_EQ(o.get_float(key), static_cast<double>(whole));
  }
  // Canonical text: the shortest form that reads back exactly.
  double mid = s->min + (s->max - s->min) * 0.1;
  o.set_float(key, mid);
  EXPECT_EQ(std::strtod(o.get_text(key).c_str(), nullptr), mid) << o.get_text(key);
  if (s->min <= 0.7 && 0.7 <= s->max) {
    o.set_text(key, "0.7");
    EXPECT_EQ(o.get_float(key), 0.7);
    EXPECT_EQ(o.get_text(key), "0.7");
    o.set_text(key, "7e-1");
    EXPECT_EQ(o.get_text(key), "0.7");
  }
  if (s->max < 1e300) {
    EXPECT_QEFF_ERROR(o.set_float(key, s->max * 2 + 1), QEFF_E_INVALID_ARGUMENT, s->name,
                      "out of range");
  }
  for (const char *t : {"", "abc", "nan", "inf", "-inf", "1e400", "1.5x"}) {
    SCOPED_TRACE(t);
    EXPECT_QEFF_ERROR(o.set_text(key, t), QEFF_E_INVALID_ARGUMENT, s->name, "is not a finite number");
  }
  EXPECT_QEFF_ERROR(o.set_float(key, NAN), QEFF_E_INVALID_ARGUMENT, s->name, "must be finite");
  EXPECT_QEFF_ERROR(o.set_float(key, INFINITY), QEFF_E_INVALID_ARGUMENT, s->name, "must be finite");
}

}  // namespace
