// qeff: the command line over libqeff (docs/cli.md). Dispatches to one
// subcommand; usage errors exit 2, runtime errors exit 1 with one line
// "qeff: error: <STATUS_NAME>: <message>" on stderr.
#include <cstdio>
#include <cstring>
#include <string>

#include "commands.hpp"
#include "common/error.hpp"
#include "options.hpp"

namespace {

using qcli::Command;

const Command *const *commands() {
  static const Command *const list[] = {&qcli::infer_command(),   &qcli::embed_command(),   &qcli::export_command(),
                                        &qcli::compile_command(), &qcli::execute_command(), &qcli::inspect_command(),
                                        &qcli::bench_command(),   &qcli::cache_command(),   nullptr};
  return list;
}

void print_main_help(FILE *out) {
  std::fprintf(out,
               "usage: qeff <command> [options]\n"
               "       qeff --help | --version | <command> --help\n\n"
               "Load HuggingFace model directories, export and compile them, and run them\n"
               "on this machine (qeff %s).\n\nCommands:\n",
               qeff_version());
  for (auto c = commands(); *c; ++c) std::fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
  std::fprintf(out,
               "\nExit codes: 0 success, 1 runtime error (one line on stderr:\n"
               "\"qeff: error: <STATUS>: <message>\"), 2 usage error.\n"
               "Reference: docs/cli.md.\n");
}

std::string one_line(std::string s) {
  for (char &c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

int runtime_error(const char *status, const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "qeff: error: %s: %s\n", status, one_line(message).c_str());
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    print_main_help(stderr);
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h") {
    print_main_help(stdout);
    return 0;
  }
  if (first == "--version" || first == "-V") {
    std::printf("qeff %s\n", qeff_version());
    return 0;
  }
  std::string name = first;
  int skip = 2;
  if (first == "help") {
    if (argc < 3) {
      print_main_help(stdout);
      return 0;
    }
    name = argv[2];
    skip = 3;
  }
  const Command *command = nullptr;
  for (auto c = commands(); *c; ++c)
    if (name == (*c)->name) command = *c;
  if (command == nullptr) {
    std::fprintf(stderr, "qeff: error: unknown command '%s'\nTry 'qeff --help' for the list of commands.\n",
                 name.c_str());
    return 2;
  }
  const qcli::Spec spec = command->spec();
  try {
    qcli::Args args = qcli::Args::parse(spec, argc - skip, argv + skip);
    if (args.help || first == "help") {
      std::fputs(spec.help_text().c_str(), stdout);
      return 0;
    }
    qcli::setup_logging(args);
    int rc = command->run(args);
    std::fflush(stdout);
    return rc;
  } catch (const qcli::UsageError &e) {
    std::fflush(stdout);
    std::fprintf(stderr, "qeff %s: error: %s\nusage: %s\nTry 'qeff %s --help' for more information.\n",
                 command->name, one_line(e.what()).c_str(), spec.synopsis().c_str(), command->name);
    return 2;
  } catch (const qcli::Failure &e) {
    return runtime_error(qeff_status_name(e.status()), e.what());
  } catch (const qeff::Error &e) {  // the cache (qeff cache) reports through the core's exceptions
    return runtime_error(qeff_status_name(e.status()), e.what());
  } catch (const std::bad_alloc &) {
    return runtime_error("QEFF_E_OOM", "out of memory");
  } catch (const std::exception &e) {
    return runtime_error("QEFF_E_INTERNAL", e.what());
  }
}
