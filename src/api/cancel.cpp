// qeff_cancel_*: cancellation tokens (common/cancel.hpp, docs/cancellation.md).
#include <memory>

#include "api/handles.hpp"
#include "common/cancel.hpp"

using qeff::api::checked_handle;
using qeff::api::guarded;
using qeff::api::kCancelTag;
using qeff::api::kOptionsTag;
using qeff::api::require;

struct qeff_cancel {
  uint32_t tag = kCancelTag;
  // Shared with every options object the token is attached to.
  std::shared_ptr<qeff::CancelFlag> flag = std::make_shared<qeff::CancelFlag>();
};

namespace qeff::api {

CallScope::CallScope(const Options &options, const char *function) : CancelScope(options.cancel, function) {
  cancellation_point("starting");
}

}  // namespace qeff::api

extern "C" {

qeff_status qeff_cancel_create(qeff_cancel **out) { return qeff::api::create_handle(out, "qeff_cancel_create"); }

void qeff_cancel_free(qeff_cancel *cancel) { qeff::api::free_handle(cancel, kCancelTag); }

qeff_status qeff_cancel_request(qeff_cancel *cancel) {
  return guarded([&] {
    checked_handle(cancel, kCancelTag, "qeff_cancel", "qeff_cancel_request").flag->requested.store(true);
  });
}

qeff_status qeff_cancel_reset(qeff_cancel *cancel) {
  return guarded([&] {
    checked_handle(cancel, kCancelTag, "qeff_cancel", "qeff_cancel_reset").flag->requested.store(false);
  });
}

qeff_status qeff_cancel_is_requested(const qeff_cancel *cancel, int *out) {
  return guarded([&] {
    const qeff_cancel &c = checked_handle(cancel, kCancelTag, "qeff_cancel", "qeff_cancel_is_requested");
    require(out, "out", "qeff_cancel_is_requested");
    *out = c.flag->requested.load() ? 1 : 0;
  });
}

qeff_status qeff_options_set_cancel(qeff_options *options, qeff_cancel *cancel) {
  return guarded([&] {
    qeff_options &o = checked_handle(options, kOptionsTag, "qeff_options", "qeff_options_set_cancel");
    if (cancel == nullptr) {
      o.options.cancel.reset();
      return;
    }
    o.options.cancel = checked_handle(cancel, kCancelTag, "qeff_cancel", "qeff_options_set_cancel").flag;
  });
}

}  // extern "C"
