// The structs behind the opaque handles of include/qeff/qeff.h.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/guard.hpp"
#include "common/options.hpp"
#include "hub/model_source.hpp"

struct qeff_options {
  uint32_t tag = qeff::api::kOptionsTag;
  qeff::Options options;
};

struct qeff_model {
  uint32_t tag = qeff::api::kModelTag;
  std::unique_ptr<qeff::hub::ModelSource> source;
  // Strings handed out by qeff_model_config_get, kept until the model is freed.
  mutable std::mutex cache_mutex;
  mutable std::map<std::string, std::string> config_cache;
};

struct qeff_request {
  uint32_t tag = qeff::api::kRequestTag;
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> tokens;
};

namespace qeff::api {

// Options of a call: the caller's, or the defaults when it passed NULL.
const Options &options_or_default(const qeff_options *options, const char *function);

}  // namespace qeff::api
