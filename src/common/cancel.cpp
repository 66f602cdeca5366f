#include "common/cancel.hpp"

#include <string>
#include <utility>

#include "common/error.hpp"

namespace qeff {
namespace {

thread_local const CancelScope *t_scope = nullptr;
thread_local std::function<void(std::string_view)> *t_observer = nullptr;

}  // namespace

CancelScope::CancelScope(std::shared_ptr<const CancelFlag> flag, const char *operation)
    : flag_(std::move(flag)), operation_(operation), outer_(t_scope) {
  if (!flag_ && outer_ != nullptr) {  // keep the caller's flag (a nested call without one)
    flag_ = outer_->flag_;
    operation_ = outer_->operation_;
  }
  t_scope = this;
}

CancelScope::~CancelScope() { t_scope = outer_; }

bool cancellation_requested() {
  const CancelScope *s = t_scope;
  return s != nullptr && s->flag_ && s->flag_->requested.load(std::memory_order_relaxed);
}

bool poll_cancellation(std::string_view stage) {
  if (t_observer != nullptr) (*t_observer)(stage);
  return cancellation_requested();
}

void cancellation_point(std::string_view stage) {
  if (!poll_cancellation(stage)) return;
  fail(QEFF_E_CANCELLED, std::string(t_scope->operation_) + " cancelled (qeff_cancel_request) while " + std::string(stage));
}

void set_cancellation_observer_for_testing(std::function<void(std::string_view stage)> observer) {
  static thread_local std::function<void(std::string_view)> stored;
  stored = std::move(observer);
  t_observer = stored ? &stored : nullptr;
}

}  // namespace qeff
