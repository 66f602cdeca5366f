// The argument parser of the qeff command line: a declarative spec per
// subcommand, GNU-style long options ("--name VALUE", "--name=VALUE"), typed
// getters. Every mistake is a UsageError: "qeff <cmd>: error: ..." plus a
// usage hint, exit code 2 (docs/cli.md, "Exit codes").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace qcli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string name;     // "--max-new-tokens"
  std::string metavar;  // "N" ("" for a switch, "Q D" for two values)
  std::string help;
  int nargs = 1;        // values per occurrence: 0 (switch), 1 or 2
  bool repeat = false;  // may be given more than once
  std::string section;
};

class Spec {
 public:
  Spec(std::string command, std::string synopsis, std::string description);
  // Options added after this call are listed under `title` in --help.
  Spec &section(std::string title);
  Spec &flag(const std::string &name, const std::string &help);
  Spec &value(const std::string &name, const std::string &metavar, const std::string &help);
  Spec &values(const std::string &name, const std::string &metavar, const std::string &help);  // repeatable
  Spec &pairs(const std::string &name, const std::string &metavar, const std::string &help);   // 2 values, repeatable
  Spec &alias(const std::string &alias, const std::string &name);
  // Positional arguments (at most `max`), described in the synopsis.
  Spec &positionals(size_t max);
  // Extra text at the end of --help (examples).
  Spec &epilog(std::string text);

  const std::string &command() const { return command_; }
  const std::string &synopsis() const { return synopsis_; }
  std::string help_text() const;
  const OptionSpec *find(const std::string &name) const;  // resolves aliases

 private:
  Spec &add(OptionSpec o);
  std::string command_, synopsis_, description_, epilog_, section_ = "Options";
  std::vector<OptionSpec> options_;
  std::map<std::string, std::string> aliases_;
  size_t max_positionals_ = 0;
  friend class Args;
};

class Args {
 public:
  // Parse argv (after the subcommand name). Throws UsageError. `help` is set
  // by --help/-h (then nothing else is checked).
  static Args parse(const Spec &spec, int argc, char **argv);

  bool help = false;
  std::vector<std::string> positional;

  const std::string &command() const { return command_; }
  bool has(const std::string &name) const { return values_.count(name) > 0; }
  // The last value given for `name`.
  std::optional<std::string> str(const std::string &name) const;
  std::string str_or(const std::string &name, const std::string &fallback) const;
  // Every value given for `name`, in order (pairs flattened).
  std::vector<std::string> all(const std::string &name) const;
  // Integers and floats: syntax and range checked here (UsageError naming the flag).
  std::optional<int64_t> int_opt(const std::string &name, int64_t min, int64_t max) const;
  int64_t int_or(const std::string &name, int64_t fallback, int64_t min, int64_t max) const;
  std::optional<double> float_opt(const std::string &name) const;
  // "32,64,128" (each within [min, max]).
  std::vector<int64_t> int_list(const std::string &name, int64_t min, int64_t max) const;

  // Usage checks.
  void require(const std::string &name) const;
  // Exactly one of `names` (at least one when `required`).
  void one_of(const std::vector<std::string> &names, bool required) const;
  // Fail when any of `names` was given, with `why` appended.
  void reject(const std::vector<std::string> &names, const std::string &why) const;

 private:
  std::string command_;
  std::map<std::string, std::vector<std::string>> values_;
};

// Parse one integer / integer list for flag `flag` (UsageError naming it).
int64_t parse_int(const std::string &text, const std::string &flag, int64_t min, int64_t max);
std::vector<int64_t> parse_int_list(const std::string &text, const std::string &flag, int64_t min, int64_t max);

}  // namespace qcli
