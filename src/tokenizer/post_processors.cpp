#include "tokenizer/post_processors.hpp"

#include <cjson/cJSON.h>

#include <algorithm>
#include <map>

#include "common/error.hpp"
#include "tokenizer/normalizers.hpp"
#include "tokenizer/unicode.hpp"

namespace qeff::tokenizer {

void merge_encodings(std::vector<Encoding> &encodings) {
  if (encodings.size() <= 1) return;
  for (size_t i = 1; i < encodings.size(); ++i) encodings[0].append(encodings[i]);
  encodings.resize(1);
}

namespace {

// HF byte_level::process_offsets: trims leading/trailing spaces (the
// byte-level 'Ġ' or any whitespace) out of each token's offsets.
void trim_offsets(Encoding &e, bool add_prefix_space, const TokenText &text) {
  const char32_t space = byte_level_chars()[' '];
  for (size_t i = 0; i < e.size(); ++i) {
    std::string_view tok = text(e.ids[i]);
    std::u32string cps;
    size_t k = 0;
    while (k < tok.size()) cps.push_back(next_code_point(tok, k));
    auto is_sp = [&](char32_t c) { return c == space || is_whitespace(c); };
    size_t leading = 0, trailing = 0;
    while (leading < cps.size() && is_sp(cps[leading])) ++leading;
    while (trailing < cps.size() && is_sp(cps[cps.size() - 1 - trailing])) ++trailing;
    Span &o = e.offsets[i];
    if (leading > 0) {
      bool is_first = i == 0 || o.begin == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      o.begin = std::min(o.begin + leading, o.end);
    }
    if (trailing > 0 && o.end >= trailing) o.end = std::max(o.end - trailing, o.begin);
  }
}

struct Piece {
  bool is_sequence;   // Sequence A/B, else a special token
  size_t sequence;    // 0 (A) or 1 (B)
  std::string special;
  uint32_t type_id;
};

struct SpecialToken {
  std::vector<uint32_t> ids;
};

class Template final : public PostProcessor {
 public:
  std::vector<Piece> single, pair;
  std::map<std::string, SpecialToken> specials;
  // Roberta-style offset trimming applied first (RobertaProcessing).
  bool trim = false, add_prefix_space = false;
  // Roberta sets every type id to 0 even when add_special_tokens is false.

  size_t count(const std::vector<Piece> &t) const {
    size_t n = 0;
    for (const Piece &p : t)
      if (!p.is_sequence) n += specials.at(p.special).ids.size();
    return n;
  }
  size_t added_tokens(bool is_pair) const override { return count(is_pair ? pair : single); }

  void process(std::vector<Encoding> &encs, bool add_special, const TokenText &text) const override {
    if (trim)
      for (Encoding &e : encs) trim_offsets(e, add_prefix_space, text);
    const std::vector<Piece> &t = encs.size() >= 2 ? pair : single;
    Encoding out;
    size_t total = add_special ? count(t) : 0;
    for (const Piece &p : t)
      if (p.is_sequence && p.sequence < encs.size()) total += encs[p.sequence].size();
    out.reserve(total);
    for (const Piece &p : t) {
      if (p.is_sequence) {
        if (p.sequence >= encs.size()) continue;
        size_t from = out.size();
        out.append(encs[p.sequence]);
        std::fill(out.type_ids.begin() + static_cast<std::ptrdiff_t>(from), out.type_ids.end(), p.type_id);
      } else if (add_special) {
        for (uint32_t id : specials.at(p.special).ids) {
          out.ids.push_back(id);
          out.type_ids.push_back(p.type_id);
          out.offsets.push_back({0, 0});
          out.special_tokens_mask.push_back(1);
          out.attention_mask.push_back(1);
          out.word_ids.push_back(-1);
          out.sequence_ids.push_back(-1);
        }
      }
    }
    encs.clear();
    encs.push_back(std::move(out));
  }
};

class ByteLevelProcessor final : public PostProcessor {
 public:
  bool trim = true, add_prefix_space = true;
  size_t added_tokens(bool) const override { return 0; }
  void process(std::vector<Encoding> &encs, bool, const TokenText &text) const override {
    if (trim)
      for (Encoding &e : encs) trim_offsets(e, add_prefix_space, text);
  }
};

class SequenceProcessor final : public PostProcessor {
 public:
  std::vector<std::unique_ptr<PostProcessor>> items;
  size_t added_tokens(bool pair) const override {
    size_t n = 0;
    for (const auto &p : items) n += p->added_tokens(pair);
    return n;
  }
  void process(std::vector<Encoding> &encs, bool add_special, const TokenText &text) const override {
    for (const auto &p : items) p->process(encs, add_special, text);
  }
};

// "[CLS]:0" style or {"SpecialToken": {"id": "[CLS]", "type_id": 0}} /
// {"Sequence": {"id": "A", "type_id": 0}}.
Piece parse_piece(const JsonView &v) {
  Piece p{};
  if (v.is_string()) {
    std::string s = v.as_string();
    size_t colon = s.rfind(':');
    std::string name = s.substr(0, colon);
    p.type_id = 0;
    if (colon != std::string::npos) {
      std::string num = s.substr(colon + 1);
      if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos || num.size() > 9)
        v.fail_here(QEFF_E_FORMAT, "has a bad type id in " + quote(s));
      p.type_id = static_cast<uint32_t>(std::stoul(num));
    }
    if (name == "$A" || name == "$") {
      p.is_sequence = true;
      p.sequence = 0;
    } else if (name == "$B") {
      p.is_sequence = true;
      p.sequence = 1;
    } else {
      p.special = name;
    }
    return p;
  }
  JsonView seq = v.get("Sequence"), sp = v.get("SpecialToken");
  if (seq.present()) {
    std::string id = seq.get("id").as_string();
    if (id != "A" && id != "B") seq.get("id").fail_here(QEFF_E_FORMAT, "must be \"A\" or \"B\"");
    p.is_sequence = true;
    p.sequence = id == "A" ? 0 : 1;
    p.type_id = static_cast<uint32_t>(seq.get("type_id").as_int(0, UINT32_MAX));
  } else if (sp.present()) {
    p.special = sp.get("id").as_string();
    p.type_id = static_cast<uint32_t>(sp.get("type_id").as_int(0, UINT32_MAX));
  } else {
    v.fail_here(QEFF_E_UNSUPPORTED, "is not a template piece (Sequence or SpecialToken)");
  }
  return p;
}

std::vector<Piece> parse_template(const JsonView &v, const Template &t) {
  std::vector<Piece> out;
  if (v.is_string()) {
    // "[CLS] $A [SEP]": pieces separated by spaces.
    std::string s = v.as_string();
    size_t pos = 0;
    while (pos < s.size()) {
      size_t sp = s.find(' ', pos);
      if (sp == std::string::npos) sp = s.size();
      if (sp > pos) {
        std::string item = s.substr(pos, sp - pos);
        cJSON *tmp = cJSON_CreateString(item.c_str());
        if (!tmp) fail(QEFF_E_OOM, "out of memory parsing a template");
        try {
          out.push_back(parse_piece(JsonView(tmp, &v.origin(), v.path())));
        } catch (...) {
          cJSON_Delete(tmp);
          throw;
        }
        cJSON_Delete(tmp);
      }
      pos = sp + 1;
    }
  } else {
    if (!v.is_array()) v.type_error("an array of template pieces");
    for_each_element(v, [&](size_t i, const cJSON *node) { out.push_back(parse_piece(element_view(v, i, node))); });
  }
  for (const Piece &p : out)
    if (!p.is_sequence && !t.specials.count(p.special))
      v.fail_here(QEFF_E_FORMAT, "uses special token " + quote(p.special) + ", missing from \"special_tokens\"");
  return out;
}

uint32_t token_id_of_pair(const JsonView &v) {
  // ["[SEP]", 102]
  if (!v.is_array() || v.size() != 2) v.type_error("a pair [token, id]");
  (void)v.at(0).as_string();
  return static_cast<uint32_t>(v.at(1).as_int(0, UINT32_MAX));
}

}  // namespace

std::unique_ptr<PostProcessor> parse_post_processor(const JsonView &v, const ParseContext &ctx) {
  std::string type = component_type(v, "post-processor");
  if (type == "TemplateProcessing") {
    auto t = std::make_unique<Template>();
    JsonView sp = v.get("special_tokens");
    if (sp.present()) {
      for_each_member(sp, [&](std::string_view key, const cJSON *node) {
        JsonView item = member_view(sp, key, node);
        SpecialToken s;
        for (int64_t id : item.get("ids").as_int_list(0, UINT32_MAX)) s.ids.push_back(static_cast<uint32_t>(id));
        t->specials[item.get("id").present() ? item.get("id").as_string() : std::string(key)] = std::move(s);
      });
    }
    t->single = parse_template(v.get("single"), *t);
    t->pair = parse_template(v.get("pair"), *t);
    return t;
  }
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto t = std::make_unique<Template>();
    uint32_t sep = token_id_of_pair(v.get("sep")), cls = token_id_of_pair(v.get("cls"));
    t->specials["cls"] = {{cls}};
    t->specials["sep"] = {{sep}};
    auto sp = [](const char *name, uint32_t type_id) { return Piece{false, 0, name, type_id}; };
    auto seq = [](size_t which, uint32_t type_id) { return Piece{true, which, "", type_id}; };
    if (type == "BertProcessing") {
      t->single = {sp("cls", 0), seq(0, 0), sp("sep", 0)};
      t->pair = {sp("cls", 0), seq(0, 0), sp("sep", 0), seq(1, 1), sp("sep", 1)};
    } else {
      t->single = {sp("cls", 0), seq(0, 0), sp("sep", 0)};
      t->pair = {sp("cls", 0), seq(0, 0), sp("sep", 0), sp("sep", 0), seq(1, 0), sp("sep", 0)};
      t->trim = v.opt_bool("trim_offsets").value_or(true);
      t->add_prefix_space = v.opt_bool("add_prefix_space").value_or(true);
    }
    return t;
  }
  if (type == "ByteLevel") {
    auto p = std::make_unique<ByteLevelProcessor>();
    p->trim = v.opt_bool("trim_offsets").value_or(true);
    p->add_prefix_space = v.opt_bool("add_prefix_space").value_or(true);
    return p;
  }
  if (type == "Sequence") {
    ParseContext inner = nested(ctx, v);
    JsonView list = v.get("processors");
    if (!list.is_array()) list.type_error("an array of post-processors");
    auto s = std::make_unique<SequenceProcessor>();
    for (size_t i = 0; i < list.size(); ++i) s->items.push_back(parse_post_processor(list.at(i), inner));
    return s;
  }
  unknown_component(v, "post-processor", type);
}

}  // namespace qeff::tokenizer
