// Requests (request.cpp): the per-call caps a generate call applies to them.
#pragma once

#include "api/handles.hpp"

namespace qeff::api {

// QEFF_E_LIMIT naming the value and the option when `r` has more rows than
// "limits.batch_rows", more text bytes than "limits.request_bytes" or more
// token ids than "limits.request_tokens" (all summed over its rows). Called by
// every generate entry point with that call's options, before any work.
void check_request_limits(const qeff_request &r, const Options &o);

}  // namespace qeff::api
