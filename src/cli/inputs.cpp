// Rows of a request from the command line (inputs.hpp).
#include "inputs.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

namespace qcli {

Request Inputs::request(size_t begin, size_t end) const {
  qeff_request *raw = nullptr;
  check(qeff_request_create(&raw));
  Request r(raw);
  for (size_t i = begin; i < end; ++i) {
    size_t k = i;
    if (k < texts.size()) {
      check(qeff_request_add_text(r.get(), texts[k].data(), texts[k].size()));
      continue;
    }
    k -= texts.size();
    if (k < ids.size()) {
      check(qeff_request_add_tokens(r.get(), ids[k].data(), ids[k].size()));
      continue;
    }
    k -= ids.size();
    const auto &[a, b] = pairs[k];
    check(qeff_request_add_text_pair(r.get(), a.data(), a.size(), b.data(), b.size()));
  }
  return r;
}

std::vector<std::string> read_lines(const std::string &path, const std::string &flag) {
  std::ifstream file;
  std::istream *in = &std::cin;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      int err = errno;
      throw Failure(err == ENOENT ? QEFF_E_NOT_FOUND : QEFF_E_IO,
                    flag + ": cannot open " + absolute_path(path) + ": " + std::strerror(err));
    }
    in = &file;
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(*in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
  }
  if (in->bad()) throw Failure(QEFF_E_IO, flag + ": error reading " + path);
  if (lines.empty()) throw Failure(QEFF_E_INVALID_ARGUMENT, flag + ": " + path + " holds no non-empty line");
  return lines;
}

std::vector<int32_t> parse_ids(const std::string &text, const std::string &flag) {
  std::vector<int32_t> ids;
  for (int64_t v : parse_int_list(text, flag, 0, INT32_MAX)) ids.push_back(static_cast<int32_t>(v));
  return ids;
}

Inputs gather_inputs(const Args &args, const std::string &text_flag, const std::string &file_flag, bool allow_pairs) {
  std::vector<std::string> sources = {text_flag, file_flag, "--input-ids"};
  if (allow_pairs) sources.push_back("--pair");
  args.one_of(sources, true);
  Inputs in;
  if (args.has(text_flag)) in.texts = args.all(text_flag);
  if (args.has(file_flag)) in.texts = read_lines(*args.str(file_flag), file_flag);
  for (const auto &row : args.all("--input-ids")) in.ids.push_back(parse_ids(row, "--input-ids"));
  if (allow_pairs) {
    auto flat = args.all("--pair");
    for (size_t i = 0; i + 1 < flat.size(); i += 2) in.pairs.emplace_back(flat[i], flat[i + 1]);
  }
  return in;
}

}  // namespace qcli
