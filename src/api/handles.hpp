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
#include "runtime/session.hpp"

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

struct qeff_program {
  uint32_t tag = qeff::api::kProgramTag;
  std::shared_ptr<const qeff::runtime::Executable> executable;
  std::string info_json;  // qeff_program_info's answer, built once
};

struct qeff_session {
  uint32_t tag = qeff::api::kSessionTag;
  std::unique_ptr<qeff::runtime::Session> session;
};

struct qeff_tensors {
  struct Entry {
    std::string name;
    qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  uint32_t tag = qeff::api::kTensorsTag;
  std::vector<Entry> entries;
};

namespace qeff::api {

// Options of a call: the caller's, or the defaults when it passed NULL.
const Options &options_or_default(const qeff_options *options, const char *function);

}  // namespace qeff::api
