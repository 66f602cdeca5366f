// Rows of a request from the command line: texts from repeated flags or a
// file (one per line, "-" for stdin), token-id rows (--input-ids 1,2,3),
// text pairs for rerankers (--pair QUERY DOCUMENT).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "args.hpp"
#include "common.hpp"

namespace qcli {

struct Inputs {
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::pair<std::string, std::string>> pairs;

  size_t rows() const { return texts.size() + ids.size() + pairs.size(); }
  // A request holding rows [begin, end).
  Request request(size_t begin, size_t end) const;
};

// Exactly one source among `text_flag` (repeatable), `file_flag`,
// --input-ids (repeatable) and, when `allow_pairs`, --pair; UsageError
// otherwise. A file that cannot be read is a Failure (QEFF_E_NOT_FOUND / QEFF_E_IO).
Inputs gather_inputs(const Args &args, const std::string &text_flag, const std::string &file_flag, bool allow_pairs);

// Lines of a text file ("-": stdin), trailing "\r" removed, empty lines skipped.
std::vector<std::string> read_lines(const std::string &path, const std::string &flag);

// "1,2,3" -> ids (UsageError naming the flag on a bad or negative number).
std::vector<int32_t> parse_ids(const std::string &text, const std::string &flag);

}  // namespace qcli
