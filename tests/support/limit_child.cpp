// A child process for tests/api/test_resources.cpp: runs a short pipeline
// through the C ABI (qeff.h only) under a limit that a test must not apply to
// its own process: an address-space limit (RLIMIT_AS), a file-size limit
// (RLIMIT_FSIZE, with SIGXFSZ ignored so writes fail with EFBIG) or an
// unprivileged user (root ignores permission bits).
//
//   limit_child [--as-headroom BYTES] [--fsize BYTES] [--uid UID]
//               ACTION MODEL_DIR [OUT_DIR] [KEY=VALUE ...]
//
// ACTION: load | compile | generate (load, compile, generate a few tokens) |
// export OUT_DIR | save OUT_DIR (compile, then qeff_program_save). KEY=VALUE
// pairs go into the options of every call. --as-headroom limits the address
// space to the process's size at start plus BYTES.
//
// Output, one line per call made under the limit: "<call> <STATUS> <message>".
// When a call fails, every handle made so far is freed under the limit; then
// the limit is lifted and the whole pipeline runs again, printed as
// "retry <call> <STATUS> <message>" (the library must be usable after the
// failure). Exit status: 0 when it ran to the end (whatever the statuses), 77
// when --as-headroom cannot work in this build (sanitizers reserve terabytes
// of address space), 2 for a usage error.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "qeff/qeff.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define QEFF_CHILD_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define QEFF_CHILD_SANITIZED 1
#endif

namespace {

struct Args {
  long long as_headroom = -1, fsize = -1;
  int uid = -1;
  std::string action, model, out;
  std::vector<std::pair<std::string, std::string>> options;
};

struct Outcome {
  std::string call;
  qeff_status status = QEFF_OK;
  char message[1024] = {};  // copied under the limit without allocating
};

// The process's address-space size in bytes (VmSize), 0 if unknown.
unsigned long long vm_size() {
  std::ifstream f("/proc/self/status");
  std::string key;
  unsigned long long kb = 0;
  while (f >> key) {
    if (key == "VmSize:") {
      f >> kb;
      return kb * 1024;
    }
    f.ignore(1 << 12, '\n');
  }
  return 0;
}

class Pipeline {
 public:
  Pipeline(const Args &a, std::vector<Outcome> *log) : a_(a), log_(log) {}
  ~Pipeline() { free_all(); }

  // Runs the action's calls in order; false at the first failure (logged).
  bool run() {
    if (!call("options", [&] { return make_options(); })) return false;
    if (!call("load", [&] { return qeff_model_load(a_.model.c_str(), options_, &model_); })) return false;
    if (a_.action == "load") return true;
    if (a_.action == "export")
      return call("export", [&] { return qeff_export(model_, a_.out.c_str(), options_); });
    if (!call("compile", [&] { return qeff_compile(model_, options_, &program_); })) return false;
    if (a_.action == "save")
      return call("save", [&] { return qeff_program_save(program_, a_.out.c_str(), options_); });
    if (a_.action != "generate") return true;
    if (!call("request", [&] { return make_request(); })) return false;
    return call("generate", [&] { return qeff_generate(program_, request_, options_, &result_); });
  }

  void free_all() {
    qeff_result_free(result_);
    qeff_request_free(request_);
    qeff_program_free(program_);
    qeff_model_free(model_);
    qeff_options_free(options_);
    result_ = nullptr, request_ = nullptr, program_ = nullptr, model_ = nullptr, options_ = nullptr;
  }

 private:
  template <class F>
  bool call(const char *name, F f) {
    Outcome &o = (*log_)[count_++];
    o.call = name;  // short: fits the small-string buffer, no allocation
    o.status = f();
    if (o.status != QEFF_OK) std::snprintf(o.message, sizeof o.message, "%s", qeff_last_error_message());
    return o.status == QEFF_OK;
  }
  qeff_status make_options() {
    qeff_status s = qeff_options_create(&options_);
    for (const auto &[k, v] : a_.options)
      if (s == QEFF_OK) s = qeff_options_set(options_, k.c_str(), v.c_str());
    return s;
  }
  qeff_status make_request() {
    static const int32_t ids[] = {1, 300, 301};
    qeff_status s = qeff_request_create(&request_);
    return s == QEFF_OK ? qeff_request_add_tokens(request_, ids, 3) : s;
  }

  const Args &a_;
  std::vector<Outcome> *log_;
  size_t count_ = 0;
  qeff_options *options_ = nullptr;
  qeff_model *model_ = nullptr;
  qeff_program *program_ = nullptr;
  qeff_request *request_ = nullptr;
  qeff_result *result_ = nullptr;
};

bool parse(int argc, char **argv, Args *a) {
  int i = 1;
  for (; i + 1 < argc && std::strncmp(argv[i], "--", 2) == 0; i += 2) {
    std::string flag = argv[i];
    long long v = std::atoll(argv[i + 1]);
    if (flag == "--as-headroom") a->as_headroom = v;
    else if (flag == "--fsize") a->fsize = v;
    else if (flag == "--uid") a->uid = static_cast<int>(v);
    else return false;
  }
  if (i + 2 > argc) return false;
  a->action = argv[i++];
  a->model = argv[i++];
  if (a->action == "export" || a->action == "save") {
    if (i >= argc) return false;
    a->out = argv[i++];
  }
  for (; i < argc; ++i) {
    const char *eq = std::strchr(argv[i], '=');
    if (eq == nullptr) return false;
    a->options.emplace_back(std::string(argv[i], static_cast<size_t>(eq - argv[i])), std::string(eq + 1));
  }
  return true;
}

void print(const char *prefix, const std::vector<Outcome> &log) {
  for (const Outcome &o : log) {
    if (o.call.empty()) break;
    std::string m = o.message;
    for (char &c : m)
      if (c == '\n') c = ' ';
    std::printf("%s%s %s %s\n", prefix, o.call.c_str(), qeff_status_name(o.status), m.c_str());
  }
}

}  // namespace

int main(int argc, char **argv) {
  Args a;
  if (!parse(argc, argv, &a)) {
    std::fprintf(stderr, "usage: limit_child [--as-headroom B] [--fsize B] [--uid U] ACTION MODEL [OUT] [K=V...]\n");
    return 2;
  }
#ifdef QEFF_CHILD_SANITIZED
  if (a.as_headroom >= 0) {
    std::printf("skip: RLIMIT_AS cannot work under a sanitizer\n");
    return 77;
  }
#endif
  if (a.uid >= 0 && (::setgid(static_cast<gid_t>(a.uid)) != 0 || ::setuid(static_cast<uid_t>(a.uid)) != 0)) {
    std::perror("setuid");
    return 2;
  }
  std::vector<Outcome> log(8), retry_log(8);  // allocated before any limit
  rlimit old_as{}, old_fsize{};
  ::getrlimit(RLIMIT_AS, &old_as);
  ::getrlimit(RLIMIT_FSIZE, &old_fsize);
  if (a.fsize >= 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit r = old_fsize;
    r.rlim_cur = static_cast<rlim_t>(a.fsize);
    ::setrlimit(RLIMIT_FSIZE, &r);
  }
  bool ok = false;
  {
    Pipeline p(a, &log);
    if (a.as_headroom >= 0) {
      rlimit r = old_as;
      r.rlim_cur = static_cast<rlim_t>(vm_size() + static_cast<unsigned long long>(a.as_headroom));
      ::setrlimit(RLIMIT_AS, &r);
    }
    ok = p.run();
    p.free_all();  // still under the limit: freeing must work there
    ::setrlimit(RLIMIT_AS, &old_as);
  }
  ::setrlimit(RLIMIT_FSIZE, &old_fsize);
  print("", log);
  if (!ok && a.as_headroom >= 0) {
    Pipeline again(a, &retry_log);
    again.run();
    print("retry ", retry_log);
  }
  return 0;
}
