// Process-wide logging to the optional user callback (qeff_set_log_callback).
#pragma once

#include <string>

#include "qeff/qeff.h"

namespace qeff {

void set_log_callback(qeff_log_fn fn, qeff_log_level max_level, void *payload);
bool log_enabled(qeff_log_level level);
void log(qeff_log_level level, const std::string &message);
inline void log_warn(const std::string &m) { log(QEFF_LOG_WARN, m); }
inline void log_info(const std::string &m) { log(QEFF_LOG_INFO, m); }
inline void log_debug(const std::string &m) { log(QEFF_LOG_DEBUG, m); }

}  // namespace qeff
