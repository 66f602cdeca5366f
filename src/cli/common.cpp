// Shared plumbing of the qeff command line (common.hpp).
#include "common.hpp"

#include <chrono>
#include <filesystem>
#include <system_error>

#include <cjson/cJSON.h>

#include "progress.hpp"

namespace qcli {

void check(qeff_status status) {
  if (status == QEFF_OK) return;
  std::string message = qeff_last_error_message();
  if (message.empty()) message = "(no message)";
  throw Failure(status, message);
}

Model load_model(const std::string &dir, const qeff_options *options) {
  Spinner spinner("loading " + dir);
  qeff_model *raw = nullptr;
  check(qeff_model_load(dir.c_str(), options, &raw));
  spinner.done();
  return Model(raw);
}

Program compile_model(const qeff_model *model, const qeff_options *options) {
  Spinner spinner("compiling");
  qeff_program *raw = nullptr;
  check(qeff_compile(model, options, &raw));
  Program p(raw);
  const char *info = nullptr;
  bool cached = false;
  if (qeff_program_info(p.get(), &info) == QEFF_OK) {
    cJSON *j = cJSON_Parse(info);
    cached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "from_cache"));
    cJSON_Delete(j);
  }
  spinner.done(cached ? "(from the cache)" : "");
  return p;
}

Program load_package(const std::string &dir, const qeff_options *options) {
  Spinner spinner("loading package " + dir);
  qeff_program *raw = nullptr;
  check(qeff_program_load(dir.c_str(), options, &raw));
  spinner.done();
  return Program(raw);
}

namespace {

cJSON *program_info_json(const qeff_program *program) {
  const char *info = nullptr;
  check(qeff_program_info(program, &info));
  return cJSON_Parse(info);
}

}  // namespace

std::string program_task(const qeff_program *program) {
  cJSON *j = program_info_json(program);
  cJSON *meta = cJSON_GetObjectItemCaseSensitive(j, "metadata");
  cJSON *task = cJSON_GetObjectItemCaseSensitive(meta, "qeff.task");
  std::string out = cJSON_IsString(task) ? task->valuestring : "unknown";
  cJSON_Delete(j);
  return out;
}

int64_t program_batch_size(const qeff_program *program) {
  cJSON *j = program_info_json(program);
  cJSON *specs = cJSON_GetObjectItemCaseSensitive(j, "specializations");
  cJSON *first = cJSON_GetArrayItem(specs, 0);
  cJSON *bs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(first, "symbols"), "batch_size");
  int64_t out = cJSON_IsNumber(bs) && bs->valuedouble >= 1 ? static_cast<int64_t>(bs->valuedouble) : 1;
  cJSON_Delete(j);
  return out;
}

std::string absolute_path(const std::string &path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return ec ? path : p.lexically_normal().string();
}

uint64_t directory_bytes(const std::string &dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_regular_file(e2)) total += it->file_size(e2);
  }
  return total;
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace qcli
