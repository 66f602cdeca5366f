// qeff cache: list or clear the compile cache (docs/package.md, "Cache").
// The one subcommand that uses the library's internals: the C API has no
// cache listing, so this goes through compiler::ProgramCache directly.
#include <cstdio>
#include <ctime>

#include "commands.hpp"
#include "compiler/cache.hpp"
#include "json_out.hpp"
#include "options.hpp"

namespace qcli {
namespace {

Spec cache_spec() {
  Spec s("cache", "qeff cache (list | clear | remove KEY ...) [--cache-dir DIR] [--json]",
         "List the compile cache's entries (key, kind, size, last use), remove some, or clear it.\n"
         "The root is --cache-dir, else QEFF_HOME, else $XDG_CACHE_HOME/qeff, else ~/.cache/qeff.");
  s.section("Cache")
      .value("--cache-dir", "DIR", "cache root (default: QEFF_HOME, else ~/.cache/qeff)")
      .flag("--json", "print one JSON object")
      .positionals(1000);
  add_common_flags(s);
  s.epilog("Examples:\n  qeff cache list\n  qeff cache clear --cache-dir /tmp/qeff-cache --json");
  return s;
}

std::string format_time(int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

int cache_run(const Args &a) {
  if (a.positional.empty()) throw UsageError("an action is required: list, clear or remove KEY ...");
  const std::string action = a.positional[0];
  if (action != "list" && action != "clear" && action != "remove")
    throw UsageError("unknown action '" + action + "' (expected list, clear or remove)");
  if (action != "remove" && a.positional.size() > 1) throw UsageError("unexpected argument '" + a.positional[1] + "'");
  if (action == "remove" && a.positional.size() < 2) throw UsageError("remove needs at least one KEY");
  const std::string root = a.has("--cache-dir") ? absolute_path(*a.str("--cache-dir")) : qeff::compiler::default_cache_root();
  qeff::compiler::ProgramCache cache(root);
  Json doc = json_object();
  json_add(doc.get(), "root", root);
  if (action == "list") {
    uint64_t total = 0;
    cJSON *entries = json_add(doc.get(), "entries", cJSON_CreateArray());
    for (const auto &e : cache.list()) {
      cJSON *o = cJSON_CreateObject();
      json_add(o, "key", e.key);
      json_add(o, "kind", e.kind);
      json_add(o, "path", e.path);
      json_add(o, "bytes", static_cast<double>(e.size_bytes));
      json_add(o, "last_use", static_cast<double>(e.last_use));
      json_push(entries, o);
      total += e.size_bytes;
      if (!a.has("--json"))
        std::printf("%-42s %-8s %12llu  %s\n", e.key.c_str(), e.kind.c_str(),
                    static_cast<unsigned long long>(e.size_bytes), format_time(e.last_use).c_str());
    }
    json_add(doc.get(), "total_bytes", static_cast<double>(total));
    if (!a.has("--json"))
      std::printf("%d entries, %llu bytes in %s\n", cJSON_GetArraySize(entries), static_cast<unsigned long long>(total),
                  root.c_str());
  } else if (action == "clear") {
    size_t n = cache.clear();
    json_add(doc.get(), "removed", static_cast<double>(n));
    if (!a.has("--json")) std::printf("removed %zu entries from %s\n", n, root.c_str());
  } else {
    cJSON *removed = json_add(doc.get(), "removed", cJSON_CreateArray());
    cJSON *missing = json_add(doc.get(), "missing", cJSON_CreateArray());
    for (size_t i = 1; i < a.positional.size(); ++i) {
      const std::string &key = a.positional[i];
      // remove() may throw (a malformed key): call it before making the JSON string.
      cJSON *list = cache.remove(key) ? removed : missing;
      json_push(list, json_string(key));
    }
    if (!a.has("--json"))
      std::printf("removed %d, not found %d\n", cJSON_GetArraySize(removed), cJSON_GetArraySize(missing));
  }
  if (a.has("--json")) json_print(doc.get());
  return 0;
}

}  // namespace

const Command &cache_command() {
  static const Command c{"cache", "list or clear the compile cache", cache_spec, cache_run};
  return c;
}

}  // namespace qcli
