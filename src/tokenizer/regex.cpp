#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.hpp"

#include <pcre2.h>

#include "common/error.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {
namespace {

// Bounds on one match attempt: generous for real tokenizer patterns, small
// enough that an exponential pattern fails in well under a second.
constexpr uint32_t kMatchLimit = 10'000'000;
constexpr uint32_t kDepthLimit = 100'000;
constexpr uint32_t kHeapLimitKiB = 64 * 1024;
constexpr size_t kJitStackMax = 8u << 20;

// Per-thread match resources: a JIT stack cannot be shared between threads
// matching at the same time, and a Regex is shared by every encode call.
struct ThreadMatchState {
  pcre2_match_context *ctx = nullptr;
  pcre2_jit_stack *stack = nullptr;
  ThreadMatchState() {
    ctx = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, kJitStackMax, nullptr);
    if (ctx) {
      pcre2_set_match_limit(ctx, kMatchLimit);
      pcre2_set_depth_limit(ctx, kDepthLimit);
      pcre2_set_heap_limit(ctx, kHeapLimitKiB);
      if (stack) pcre2_jit_stack_assign(ctx, nullptr, stack);
    }
  }
  ~ThreadMatchState() {
    if (stack) pcre2_jit_stack_free(stack);
    if (ctx) pcre2_match_context_free(ctx);
  }
};

ThreadMatchState &thread_state() {
  thread_local ThreadMatchState state;
  if (!state.ctx) fail(QEFF_E_OOM, "out of memory creating a regex match context");
  return state;
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buf[256];
  int n = pcre2_get_error_message(code, buf, sizeof buf);
  return n < 0 ? "error " + std::to_string(code) : std::string(reinterpret_cast<char *>(buf));
}

}  // namespace

std::shared_ptr<const Regex> Regex::compile(std::string_view pattern, const std::string &where) {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &err_offset,
                                   nullptr);
  if (!code)
    fail(QEFF_E_UNSUPPORTED, where + ": regex " + quote(pattern) + " is not supported: " +
                                 pcre2_message(err) + " at offset " + std::to_string(err_offset));
  std::shared_ptr<Regex> re(new Regex());
  re->code_ = code;
  re->pattern_ = std::string(pattern);
  re->jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return re;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code *>(code_)); }

void Regex::find_all(std::string_view text, std::vector<Span> &out) const {
  auto *code = static_cast<pcre2_code *>(code_);
  ThreadMatchState &st = thread_state();
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data *)> md(
      pcre2_match_data_create_from_pattern(code, nullptr), pcre2_match_data_free);
  if (!md) fail(QEFF_E_OOM, "out of memory matching a regex");
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  bool have_last = false;
  size_t last_end = 0;
  while (start <= text.size()) {
    int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), start, 0, md.get(), st.ctx)
                  : pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md.get(),
                                st.ctx);
    if (rc == PCRE2_ERROR_NOMATCH) return;
    if (rc < 0) {
      if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
          rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_NOMEMORY)
        fail(QEFF_E_LIMIT, "regex " + quote(pattern_) + " exceeded its matching limits (" +
                               pcre2_message(rc) + ") on an input of " +
                               std::to_string(text.size()) + " bytes");
      fail(QEFF_E_INTERNAL, "regex " + quote(pattern_) + " failed: " + pcre2_message(rc));
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md.get());
    size_t s = ov[0], e = ov[1];
    if (s == e) {
      // Skip an empty match right after the previous match, then step one
      // code point past it so the search always advances.
      if (!(have_last && last_end == e)) {
        out.push_back({s, e});
        have_last = true;
        last_end = e;
      }
      if (e >= text.size()) return;
      start = e + utf8_lead_length(static_cast<unsigned char>(text[e]));
    } else {
      out.push_back({s, e});
      have_last = true;
      last_end = e;
      start = e;
    }
  }
}

std::vector<PatternMatch> Regex::find_matches(std::string_view text) const {
  if (text.empty()) return {{{0, 0}, false}};
  std::vector<Span> spans;
  find_all(text, spans);
  return spans_to_matches(spans, text.size());
}

}  // namespace qeff::tokenizer

#include "common/json.hpp"

namespace qeff::tokenizer {

Pattern Pattern::parse(const JsonView &v, size_t max_bytes) {
  if (!v.is_object()) v.type_error("an object {\"String\": ...} or {\"Regex\": ...}");
  Pattern p;
  auto check_size = [&](const JsonView &s, const std::string &text) {
    if (text.size() > max_bytes)
      s.fail_here(QEFF_E_LIMIT, "is " + std::to_string(text.size()) + " bytes, above the " +
                                    std::to_string(max_bytes) + "-byte pattern limit");
  };
  if (v.get("String").present()) {
    p.literal_ = v.get("String").as_string();
    check_size(v.get("String"), p.literal_);
  } else if (v.get("Regex").present()) {
    std::string re = v.get("Regex").as_string();
    check_size(v.get("Regex"), re);
    p.regex_ = Regex::compile(re, v.origin().name + ": field " + quote(v.path() + ".Regex"));
  } else {
    v.fail_here(QEFF_E_UNSUPPORTED, "has no \"String\" or \"Regex\" member (got " + quote(v.to_json()) + ")");
  }
  return p;
}

std::vector<PatternMatch> Pattern::find_matches(std::string_view text) const {
  return regex_ ? regex_->find_matches(text) : find_string_matches(text, literal_);
}

}  // namespace qeff::tokenizer
