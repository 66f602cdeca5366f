// Unit tests: UTF-8 validation (src/common/utf8.hpp), checked double->int
// conversion (src/common/checked.hpp) and the hardened JSON layer
// (src/common/json.hpp). RELIABILITY.md B2 (items 9-16).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include "common/checked.hpp"
#include "common/error.hpp"
#include "common/json.hpp"
#include "common/utf8.hpp"
#include "qeff/qeff.h"
#include "unit_test.hpp"

namespace {

using qeff::JsonDocument;
using qeff::JsonLimits;
using qeff::JsonOrigin;
using qeff::JsonView;

JsonDocument parse(std::string_view text, const JsonLimits &limits = {}, bool require_object = true,
                   qeff_status type_error = QEFF_E_CONFIG) {
  return JsonDocument::parse(text, JsonOrigin{"cfg.json", type_error}, limits, require_object);
}

// ---------------------------------------------------------------------------
// UTF-8

// Reference decoder, written independently from the definition in RFC 3629.
size_t reference_utf8_length(std::string_view s) {
  if (s.empty()) return 0;
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned c = b(0);
  size_t n;
  uint32_t cp;
  if (c < 0x80) return 1;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3f);
  }
  static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[n]) return 0;                   // overlong
  if (cp >= 0xd800 && cp <= 0xdfff) return 0;     // surrogate
  if (cp > 0x10ffff) return 0;                    // beyond Unicode
  return n;
}

TEST(Utf8, SequenceLengthOfValidSequences) {
  EXPECT_EQ(qeff::utf8_sequence_length(""), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("a"), 1u);
  EXPECT_EQ(qeff::utf8_sequence_length(std::string_view("\0", 1)), 1u);
  EXPECT_EQ(qeff::utf8_sequence_length("\x7f"), 1u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xc2\x80"), 2u);          // U+0080, smallest 2-byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xc3\xa9"), 2u);          // é
  EXPECT_EQ(qeff::utf8_sequence_length("\xdf\xbf"), 2u);          // U+07FF
  EXPECT_EQ(qeff::utf8_sequence_length("\xe0\xa0\x80"), 3u);      // U+0800, smallest 3-byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xe2\x82\xac"), 3u);      // €
  EXPECT_EQ(qeff::utf8_sequence_length("\xed\x9f\xbf"), 3u);      // U+D7FF, just below surrogates
  EXPECT_EQ(qeff::utf8_sequence_length("\xee\x80\x80"), 3u);      // U+E000, just above surrogates
  EXPECT_EQ(qeff::utf8_sequence_length("\xef\xbf\xbf"), 3u);      // U+FFFF
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x90\x80\x80"), 4u);  // U+10000, smallest 4-byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x9f\x98\x80"), 4u);  // U+1F600
  EXPECT_EQ(qeff::utf8_sequence_length("\xf4\x8f\xbf\xbf"), 4u);  // U+10FFFF, the last one
  // Only the first sequence counts.
  EXPECT_EQ(qeff::utf8_sequence_length("\xc3\xa9xyz"), 2u);
  EXPECT_EQ(qeff::utf8_sequence_length("a\xff"), 1u);
}

TEST(Utf8, SequenceLengthRejectsOverlongs) {
  EXPECT_EQ(qeff::utf8_sequence_length("\xc0\x80"), 0u);          // overlong NUL
  EXPECT_EQ(qeff::utf8_sequence_length("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(qeff::utf8_sequence_length("\xc1\xbf"), 0u);          // overlong U+007F
  EXPECT_EQ(qeff::utf8_sequence_length("\xe0\x80\x80"), 0u);      // overlong NUL, 3 bytes
  EXPECT_EQ(qeff::utf8_sequence_length("\xe0\x9f\xbf"), 0u);      // overlong U+07FF
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x80\x80\x80"), 0u);  // overlong NUL, 4 bytes
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x8f\xbf\xbf"), 0u);  // overlong U+FFFF
}

TEST(Utf8, SequenceLengthRejectsSurrogates) {
  EXPECT_EQ(qeff::utf8_sequence_length("\xed\xa0\x80"), 0u);  // U+D800
  EXPECT_EQ(qeff::utf8_sequence_length("\xed\xaf\xbf"), 0u);  // U+DBFF
  EXPECT_EQ(qeff::utf8_sequence_length("\xed\xb0\x80"), 0u);  // U+DC00
  EXPECT_EQ(qeff::utf8_sequence_length("\xed\xbf\xbf"), 0u);  // U+DFFF
  // CESU-8 style pair for U+1F600.
  EXPECT_EQ(qeff::utf8_first_invalid("\xed\xa0\xbd\xed\xb8\x80"), 0u);
}

TEST(Utf8, SequenceLengthRejectsBeyondU10FFFF) {
  EXPECT_EQ(qeff::utf8_sequence_length("\xf4\x90\x80\x80"), 0u);  // U+110000
  EXPECT_EQ(qeff::utf8_sequence_length("\xf4\xbf\xbf\xbf"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xf5\x80\x80\x80"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xf7\xbf\xbf\xbf"), 0u);  // U+1FFFFF
  EXPECT_EQ(qeff::utf8_sequence_length("\xf8\x88\x80\x80\x80"), 0u);      // 5-byte form
  EXPECT_EQ(qeff::utf8_sequence_length("\xfc\x84\x80\x80\x80\x80"), 0u);  // 6-byte form
  EXPECT_EQ(qeff::utf8_sequence_length("\xfe"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xff"), 0u);
}

TEST(Utf8, SequenceLengthRejectsTruncatedAndBrokenSequences) {
  EXPECT_EQ(qeff::utf8_sequence_length("\x80"), 0u);   // lone continuation byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xbf"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xc3"), 0u);   // truncated 2-byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xe2\x82"), 0u);        // truncated 3-byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xe2"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x9f\x98"), 0u);    // truncated 4-byte
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x9f"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xc3\x28"), 0u);        // bad continuation
  EXPECT_EQ(qeff::utf8_sequence_length("\xe2\x28\xa1"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xe2\x82\x28"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x9f\x98\x28"), 0u);
  EXPECT_EQ(qeff::utf8_sequence_length("\xf0\x9f\xc0\x80"), 0u);
  // A truncated sequence followed by NUL: the NUL is not a continuation byte.
  EXPECT_EQ(qeff::utf8_sequence_length(std::string_view("\xe2\x82\0", 3)), 0u);
}

// Every 1- and 2-byte input and every 3-byte input with a multi-byte lead, plus
// 4-byte inputs over all second bytes, agree with the reference decoder.
TEST(Utf8, SequenceLengthAgreesWithReferenceDecoderExhaustively) {
  size_t mismatches = 0;
  std::string s;
  for (unsigned a = 0; a < 256; ++a) {
    s.assign(1, static_cast<char>(a));
    mismatches += qeff::utf8_sequence_length(s) != reference_utf8_length(s);
    for (unsigned b = 0; b < 256; ++b) {
      s.assign({static_cast<char>(a), static_cast<char>(b)});
      mismatches += qeff::utf8_sequence_length(s) != reference_utf8_length(s);
    }
  }
  for (unsigned a = 0xe0; a < 0xf0; ++a)
    for (unsigned b = 0; b < 256; ++b)
      for (unsigned c = 0; c < 256; ++c) {
        s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
        mismatches += qeff::utf8_sequence_length(s) != reference_utf8_length(s);
      }
  const unsigned tails[] = {0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
  for (unsigned a = 0xf0; a < 0x100; ++a)
    for (unsigned b = 0; b < 256; ++b)
      for (unsigned c : tails)
        for (unsigned d : tails) {
          s.assign({static_cast<char>(a), static_cast<char>(b), static_cast<char>(c),
                    static_cast<char>(d)});
          mismatches += qeff::utf8_sequence_length(s) != reference_utf8_length(s);
        }
  EXPECT_EQ(mismatches, 0u);
}

TEST(Utf8, FirstInvalidOffset) {
  EXPECT_EQ(qeff::utf8_first_invalid(""), 0u);
  EXPECT_EQ(qeff::utf8_first_invalid("abc"), 3u);
  EXPECT_EQ(qeff::utf8_first_invalid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"), 15u);
  EXPECT_EQ(qeff::utf8_first_invalid("ab\xff" "cd"), 2u);
  EXPECT_EQ(qeff::utf8_first_invalid("\xc3\xa9\xc3"), 2u);                // truncated at the end
  EXPECT_EQ(qeff::utf8_first_invalid("\xe2\x82\xac\xed\xa0\x80"), 3u);    // surrogate after €
  EXPECT_EQ(qeff::utf8_first_invalid("xyz\xc0\xaf"), 3u);                 // overlong
  EXPECT_EQ(qeff::utf8_first_invalid("\xf4\x90\x80\x80"), 0u);            // > U+10FFFF
  EXPECT_EQ(qeff::utf8_first_invalid("a\x80"), 1u);                       // stray continuation
  EXPECT_EQ(qeff::utf8_first_invalid(std::string_view("a\0b", 3)), 3u);   // NUL is valid UTF-8
  EXPECT_TRUE(qeff::utf8_valid("\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(qeff::utf8_valid("\xf4\x8f\xbf"));
  EXPECT_TRUE(qeff::utf8_valid(""));
}

// ---------------------------------------------------------------------------
// double_to_int: the conversion behind every JSON integer (no float-cast UB).

TEST(CheckedDoubleToInt, EdgesOfInt64) {
  const int64_t lo = INT64_MIN, hi = INT64_MAX;
  EXPECT_EQ(qeff::double_to_int(0.0, lo, hi), 0);
  EXPECT_EQ(qeff::double_to_int(-0.0, lo, hi), 0);
  EXPECT_EQ(qeff::double_to_int(32.0, lo, hi), 32);
  EXPECT_EQ(qeff::double_to_int(-9223372036854775808.0, lo, hi), INT64_MIN);
  // The largest double below 2^63.
  EXPECT_EQ(qeff::double_to_int(std::nextafter(9223372036854775808.0, 0.0), lo, hi),
            INT64_C(9223372036854774784));
  EXPECT_EQ(qeff::double_to_int(9223372036854775808.0, lo, hi), std::nullopt);  // 2^63
  EXPECT_EQ(qeff::double_to_int(static_cast<double>(INT64_MAX), lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(std::nextafter(-9223372036854775808.0, -1e30), lo, hi),
            std::nullopt);
  EXPECT_EQ(qeff::double_to_int(1e30, lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(-1e30, lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(std::numeric_limits<double>::infinity(), lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(-std::numeric_limits<double>::infinity(), lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(std::numeric_limits<double>::quiet_NaN(), lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(32.5, lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(-0.5, lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(5e-324, lo, hi), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(10.0, 0, 10), 10);
  EXPECT_EQ(qeff::double_to_int(11.0, 0, 10), std::nullopt);
  EXPECT_EQ(qeff::double_to_int(-1.0, 0, 10), std::nullopt);
}

TEST(CheckedArithmetic, MulAndAddOverflow) {
  EXPECT_EQ(qeff::checked_mul<uint64_t>(UINT64_C(1) << 32, UINT64_C(1) << 31), UINT64_C(1) << 63);
  EXPECT_EQ(qeff::checked_mul<uint64_t>(UINT64_C(1) << 32, UINT64_C(1) << 32), std::nullopt);
  EXPECT_EQ(qeff::checked_mul<int64_t>(INT64_C(1) << 62, 2), std::nullopt);
  EXPECT_EQ(qeff::checked_mul<int64_t>(-(INT64_C(1) << 62), 2), INT64_MIN);
  EXPECT_EQ(qeff::checked_add<uint64_t>(UINT64_MAX, 1), std::nullopt);
  EXPECT_EQ(qeff::checked_add<uint64_t>(UINT64_MAX - 1, 1), UINT64_MAX);
}

// ---------------------------------------------------------------------------
// JsonDocument::parse

TEST(JsonParse, ValidObject) {
  JsonDocument d = parse(" \n{\"a\": 1, \"b\": [true, null, \"x\"], \"c\": {\"d\": 2.5}}\n ");
  JsonView r = d.root();
  EXPECT_TRUE(r.is_object());
  EXPECT_EQ(r.get("a").as_int(), 1);
  EXPECT_EQ(r.get("b").size(), 3u);
  EXPECT_TRUE(r.get("b").at(0).as_bool());
  EXPECT_EQ(r.get("b").at(2).as_string(), "x");
  EXPECT_EQ(r.get("c").get("d").as_double(), 2.5);
  EXPECT_EQ(d.origin().name, "cfg.json");
}

TEST(JsonParse, PrintedTextReadsBackAsTheSameValues) {
  // 42222221669573810 is the double 42222221669573808: cJSON's printer gave
  // 4.22222216695738e+16 (a fuzzer's config read back as another value).
  JsonDocument d = parse(
      "{\"big\": 42222221669573810, \"frac\": 0.1, \"int\": 500000, \"small\": 1e-05, \"huge\": 1e300,"
      " \"neg\": -2.5e-300, \"s\": \"q\\\"b\\\\n\\n\\u0001\xc3\xa9\", \"a\": [true, false, null, {}], \"o\": {\"k\": []}}");
  const std::string text = d.root().to_json();
  EXPECT_NE(text.find("\"big\":42222221669573808"), std::string::npos) << text;
  EXPECT_NE(text.find("\"int\":500000,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"s\":\"q\\\"b\\\\n\\n\\u0001\xc3\xa9\""), std::string::npos) << text;
  JsonDocument again = parse(text);
  for (const char *k : {"big", "frac", "int", "small", "huge", "neg"})
    EXPECT_EQ(again.root().get(k).as_double(), d.root().get(k).as_double()) << k;
  EXPECT_EQ(again.root().get("s").as_string(), d.root().get("s").as_string());
  EXPECT_EQ(again.root().get("a").to_json(), "[true,false,null,{}]");
  EXPECT_EQ(again.root().get("o").to_json(), "{\"k\":[]}");
}

TEST(JsonParse, SizeCapGivesLimitBeforeParsing) {
  JsonLimits l;
  l.max_bytes = 10;
  EXPECT_QEFF_ERROR(parse("{\"a\": 12345}", l), QEFF_E_LIMIT, "cfg.json", "12 bytes",
                    "limits.json_bytes = 10");
  // The cap applies before the syntax is looked at.
  EXPECT_QEFF_ERROR(parse("{{{{{{{{{{{{", l), QEFF_E_LIMIT, "limits.json_bytes");
  EXPECT_QEFF_ERROR(parse(std::string(11, '\xff'), l), QEFF_E_LIMIT, "limits.json_bytes");
  // Exactly at the cap is fine.
  EXPECT_EQ(parse("{\"a\": 123}", l).root().get("a").as_int(), 123);
}

TEST(JsonParse, DepthCapGivesLimit) {
  JsonLimits l;
  l.max_depth = 3;
  EXPECT_NO_THROW(parse("[[[1]]]", l, false));
  EXPECT_QEFF_ERROR(parse("[[[[1]]]]", l, false), QEFF_E_LIMIT, "cfg.json",
                    "nesting deeper than 3", "limits.json_depth", "line 1, column 4");
  EXPECT_NO_THROW(parse("{\"a\":{\"b\":{\"c\":1}}}", l));
  EXPECT_QEFF_ERROR(parse("{\"a\":{\"b\":{\"c\":{}}}}", l), QEFF_E_LIMIT, "limits.json_depth");
  EXPECT_QEFF_ERROR(parse("{\n\"a\":\n[{\"b\":\n[1]}]}", l), QEFF_E_LIMIT, "line 4, column 1");
  // Siblings do not add up: depth is nesting, not count.
  EXPECT_NO_THROW(parse("{\"a\":[[1]],\"b\":[[2]],\"c\":{\"d\":[3]}}", l));
  // Brackets inside strings (also after escaped quotes) are not nesting.
  EXPECT_NO_THROW(parse("{\"a\":\"[[[[[[{{{{{{\"}", l));
  EXPECT_NO_THROW(parse("{\"a\":\"\\\"[[[[[[\\\\\",\"b\":\"{{{{{\"}", l));
  EXPECT_NO_THROW(parse("{\"[[[[[[\":1}", l));
}

TEST(JsonParse, MillionLevelNestingGivesLimitWithoutStackOverflow) {
  const size_t n = 1000000;
  std::string open(n, '[');
  EXPECT_QEFF_ERROR(parse(open, {}, false), QEFF_E_LIMIT, "nesting deeper than 64",
                    "limits.json_depth");
  EXPECT_QEFF_ERROR(parse(open + std::string(n, ']'), {}, false), QEFF_E_LIMIT,
                    "limits.json_depth");
  std::string objects;
  objects.reserve(n * 6);
  for (size_t i = 0; i < n; ++i) objects += "{\"a\":";
  EXPECT_QEFF_ERROR(parse(objects), QEFF_E_LIMIT, "limits.json_depth");
  // Unbalanced closers first must not let a deep tail through.
  EXPECT_QEFF_ERROR(parse(std::string(n, ']') + open, {}, false), QEFF_E_FORMAT, "cfg.json");
}

TEST(JsonParse, DeepestAllowedNestingParsesAndFrees) {
  // The largest depth the options allow (limits.json_depth <= 1000).
  JsonLimits l;
  l.max_depth = 1000;
  std::string text = std::string(1000, '[') + std::string(1000, ']');
  JsonDocument d = parse(text, l, false);
  EXPECT_TRUE(d.root().is_array());
  EXPECT_QEFF_ERROR(parse("[" + text + "]", l, false), QEFF_E_LIMIT, "deeper than 1000");
}

TEST(JsonParse, Utf8BomIsAccepted) {
  JsonDocument d = parse("\xef\xbb\xbf{\"a\": \"\xc3\xa9\"}");
  EXPECT_EQ(d.root().get("a").as_string(), "\xc3\xa9");
  // Positions in errors count from after the BOM.
  EXPECT_QEFF_ERROR(parse("\xef\xbb\xbf{\"a\": }"), QEFF_E_FORMAT, "line 1, column");
  // Only one BOM, and only at the very start.
  EXPECT_QEFF_ERROR(parse("\xef\xbb\xbf\xef\xbb\xbf{}"), QEFF_E_FORMAT, "cfg.json");
  EXPECT_QEFF_ERROR(parse(" \xef\xbb\xbf{}"), QEFF_E_FORMAT, "cfg.json");
}

TEST(JsonParse, Utf16IsRejected) {
  using namespace std::string_literals;
  EXPECT_QEFF_ERROR(parse("\xff\xfe{\0}\0"s), QEFF_E_FORMAT, "cfg.json", "UTF-16");
  EXPECT_QEFF_ERROR(parse("\xfe\xff\0{\0}"s), QEFF_E_FORMAT, "cfg.json", "UTF-16");
  // UTF-16 without a BOM has NUL bytes.
  EXPECT_QEFF_ERROR(parse("{\0\"\0a\0\"\0:\0001\0}\0"s), QEFF_E_FORMAT, "cfg.json", "NUL");
}

TEST(JsonParse, InvalidUtf8IsRejectedWithPosition) {
  EXPECT_QEFF_ERROR(parse("{\"a\":\"\xff\"}"), QEFF_E_FORMAT, "cfg.json", "invalid UTF-8",
                    "byte 6", "line 1, column 7");
  EXPECT_QEFF_ERROR(parse("{\n\"a\":\n\"x\xc0\xaf\"}"), QEFF_E_FORMAT, "invalid UTF-8",
                    "line 3, column 3");
  EXPECT_QEFF_ERROR(parse("{\"\xed\xa0\x80\":1}"), QEFF_E_FORMAT, "invalid UTF-8");   // surrogate key
  EXPECT_QEFF_ERROR(parse("{\"a\":\"\xf4\x90\x80\x80\"}"), QEFF_E_FORMAT, "invalid UTF-8");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"\xe2\x82\"}"), QEFF_E_FORMAT, "invalid UTF-8");  // truncated
  EXPECT_QEFF_ERROR(parse("{\"a\":1}\xff"), QEFF_E_FORMAT, "invalid UTF-8");
  // The invalid bytes never reach the message raw.
  try {
    parse("{\"a\":\"\xff\xfe\"}");
    ADD_FAILURE() << "no error";
  } catch (const qeff::Error &e) {
    EXPECT_TRUE(qeff::utf8_valid(e.what())) << e.what();
  }
}

TEST(JsonParse, EscapedSurrogatesAreDecodedOrRejected) {
  EXPECT_EQ(parse("{\"a\":\"\\ud83d\\ude00\"}").root().get("a").as_string(), "\xf0\x9f\x98\x80");
  EXPECT_EQ(parse("{\"a\":\"\\u00e9\"}").root().get("a").as_string(), "\xc3\xa9");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"\\ud800\"}"), QEFF_E_FORMAT, "cfg.json", "line 1");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"\\udc00\"}"), QEFF_E_FORMAT, "cfg.json");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"\\ud800\\u0041\"}"), QEFF_E_FORMAT, "cfg.json");
}

TEST(JsonParse, NulByteIsRejected) {
  using namespace std::string_literals;
  EXPECT_QEFF_ERROR(parse("{\"a\":\"x\0y\"}"s), QEFF_E_FORMAT, "cfg.json", "NUL");
  EXPECT_QEFF_ERROR(parse("{\"a\":1}\0"s), QEFF_E_FORMAT, "NUL");
}

// cJSON on its own treats every byte <= 0x20 as whitespace, keeps raw control
// characters inside strings and skips a second BOM; JSON (and Python's json,
// which writes these files) allows none of that.
TEST(JsonParse, ControlAndNonAsciiBytesOutsideStringsAreRejected) {
  EXPECT_QEFF_ERROR(parse("\x01{}"), QEFF_E_FORMAT, "cfg.json", "line 1, column 1", "\\x01");
  EXPECT_QEFF_ERROR(parse("{\x0b\"a\":1}"), QEFF_E_FORMAT, "line 1, column 2", "\\x0b");
  EXPECT_QEFF_ERROR(parse("{\"a\" \x1f: 1}"), QEFF_E_FORMAT, "\\x1f");
  EXPECT_QEFF_ERROR(parse("{\"a\":1}\x0c"), QEFF_E_FORMAT, "\\x0c");
  EXPECT_QEFF_ERROR(parse("{\"a\":\xc3\xa9}"), QEFF_E_FORMAT, "line 1, column 6", "\\xc3");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"tab\there\"}"), QEFF_E_FORMAT, "unescaped control character",
                    "\\x09", "line 1, column 10");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"x\ny\"}"), QEFF_E_FORMAT, "unescaped control character");
  // Escaped control characters are fine.
  EXPECT_EQ(parse("{\"a\":\"tab\\there\\n\\u0001\"}").root().get("a").as_string(),
            "tab\there\n\x01");
}

TEST(JsonParse, EmptyAndTruncatedGiveFormatWithLineAndColumn) {
  EXPECT_QEFF_ERROR(parse(""), QEFF_E_FORMAT, "cfg.json", "empty", "line 1, column 1");
  EXPECT_QEFF_ERROR(parse(" \n\t "), QEFF_E_FORMAT, "cfg.json", "line", "column");
  EXPECT_QEFF_ERROR(parse("{\"a\":"), QEFF_E_FORMAT, "cfg.json", "line 1", "column");
  EXPECT_QEFF_ERROR(parse("{\"a\""), QEFF_E_FORMAT, "line 1", "column");
  EXPECT_QEFF_ERROR(parse("{"), QEFF_E_FORMAT, "line 1", "column");
  EXPECT_QEFF_ERROR(parse("{\"a\":\"unterminated"), QEFF_E_FORMAT, "line 1", "column");
  EXPECT_QEFF_ERROR(parse("{\n  \"a\": 1,\n  \"b\":"), QEFF_E_FORMAT, "line 3", "column");
  EXPECT_QEFF_ERROR(parse("{\n  \"a\": tru\n}"), QEFF_E_FORMAT, "invalid JSON", "line 2");
  EXPECT_QEFF_ERROR(parse("{\"a\":1,}"), QEFF_E_FORMAT, "line 1", "column");
  EXPECT_QEFF_ERROR(parse("{'a':1}"), QEFF_E_FORMAT, "line 1, column");
  EXPECT_QEFF_ERROR(parse("{\"a\":NaN}"), QEFF_E_FORMAT, "line 1, column");
  EXPECT_QEFF_ERROR(parse("{\"a\":Infinity}"), QEFF_E_FORMAT, "line 1, column");
  EXPECT_QEFF_ERROR(parse("{\"a\":-Infinity}"), QEFF_E_FORMAT, "line 1, column");
}

TEST(JsonParse, TrailingGarbageIsRejected) {
  EXPECT_QEFF_ERROR(parse("{\"a\":1} x"), QEFF_E_FORMAT, "cfg.json", "unexpected data after",
                    "line 1, column 9");
  EXPECT_QEFF_ERROR(parse("{\"a\":1}{\"b\":2}"), QEFF_E_FORMAT, "unexpected data after");
  EXPECT_QEFF_ERROR(parse("{\"a\":1}\n}"), QEFF_E_FORMAT, "line 2, column 1");
  EXPECT_QEFF_ERROR(parse("[1] 2", {}, false), QEFF_E_FORMAT, "unexpected data after");
  // Trailing JSON whitespace is fine.
  EXPECT_NO_THROW(parse("{\"a\":1}\r\n\t  \n"));
}

TEST(JsonParse, TopLevelMustBeAnObjectWhenRequired) {
  EXPECT_QEFF_ERROR(parse("null"), QEFF_E_FORMAT, "cfg.json", "expected a JSON object", "got null");
  EXPECT_QEFF_ERROR(parse("[]"), QEFF_E_FORMAT, "expected a JSON object", "got an array");
  EXPECT_QEFF_ERROR(parse("\"x\""), QEFF_E_FORMAT, "expected a JSON object", "got a string");
  EXPECT_QEFF_ERROR(parse("  [{}]"), QEFF_E_FORMAT, "got an array");
  EXPECT_QEFF_ERROR(parse("1"), QEFF_E_FORMAT, "got a number");
  EXPECT_QEFF_ERROR(parse("true"), QEFF_E_FORMAT, "got a bool");
  // Without the requirement they parse.
  EXPECT_TRUE(parse("[]", {}, false).root().is_array());
  EXPECT_EQ(parse("\"x\"", {}, false).root().as_string(), "x");
  EXPECT_FALSE(parse("null", {}, false).root().present());
}

TEST(JsonParse, DuplicateKeysAreRejectedNamingTheKey) {
  EXPECT_QEFF_ERROR(parse("{\"hidden_size\":4096,\"hidden_size\":8}"), QEFF_E_FORMAT, "cfg.json",
                    "duplicate key \"hidden_size\"");
  // Identical values are still ambiguous.
  EXPECT_QEFF_ERROR(parse("{\"a\":1,\"a\":1}"), QEFF_E_FORMAT, "duplicate key \"a\"");
  EXPECT_QEFF_ERROR(parse("{\"a\":{\"x\":1,\"b\":1,\"b\":2}}"), QEFF_E_FORMAT,
                    "duplicate key \"b\" in \"a\"");
  EXPECT_QEFF_ERROR(parse("{\"a\":{\"c\":{\"d\":null,\"d\":null}}}"), QEFF_E_FORMAT,
                    "duplicate key \"d\" in \"a.c\"");
  EXPECT_QEFF_ERROR(parse("{\"a\":[{\"x\":1},{\"x\":1,\"x\":2}]}"), QEFF_E_FORMAT,
                    "duplicate key \"x\" in \"a.1\"");
  EXPECT_QEFF_ERROR(parse("[[{\"k\":1,\"k\":2}]]", {}, false), QEFF_E_FORMAT, "duplicate key \"k\"");
  EXPECT_QEFF_ERROR(parse("{\"\":1,\"\":2}"), QEFF_E_FORMAT, "duplicate key \"\"");
  // Escapes are compared after decoding.
  EXPECT_QEFF_ERROR(parse("{\"a\":1,\"\\u0061\":2}"), QEFF_E_FORMAT, "duplicate key \"a\"");
  // The same key in different objects, or differing in case, is fine.
  EXPECT_NO_THROW(parse("{\"a\":{\"x\":1},\"b\":{\"x\":2},\"c\":[{\"x\":3},{\"x\":4}]}"));
  EXPECT_NO_THROW(parse("{\"a\":1,\"A\":2}"));
  // The origin chooses the noun.
  EXPECT_TRUE(throws_qeff(
      [] {
        JsonDocument::parse("{\"w\":{},\"w\":{}}", JsonOrigin{"m.safetensors", QEFF_E_FORMAT, "tensor name"},
                            JsonLimits{});
      },
      QEFF_E_FORMAT, {"m.safetensors", "duplicate tensor name \"w\""}));
}

TEST(JsonParse, MoveKeepsTheTreeAlive) {
  JsonDocument a = parse("{\"a\":[1,2,3]}");
  JsonDocument b = std::move(a);
  EXPECT_EQ(b.root().get("a").at(2).as_int(), 3);
  JsonDocument c = parse("{\"z\":1}");
  c = std::move(b);
  EXPECT_EQ(c.root().get("a").size(), 3u);
  EXPECT_EQ(c.origin().name, "cfg.json");
  c = std::move(c);  // self-move leaves it intact
  EXPECT_EQ(c.root().get("a").size(), 3u);
}

// ---------------------------------------------------------------------------
// JsonView typed accessors

const char *kValues =
    "{\"i\":32,\"f\":32.0,\"h\":32.5,\"s\":\"32\",\"b\":true,\"l\":[32],\"n\":null,"
    "\"big\":1e400,\"nbig\":-1e400,\"huge\":1000000000000000019884624838656,\"negz\":-0,"
    "\"o\":{\"x\":{\"y\":7}},\"nums\":[1,2,3],\"strs\":[\"a\",\"b\"],\"mixed\":[1,\"a\"],"
    "\"min\":-9223372036854775808,\"pow63\":9223372036854775808,\"obj\":{},\"e\":1e-7}";

TEST(JsonView, IntegralFloatIsAnInt) {
  JsonDocument d = parse(kValues);
  EXPECT_EQ(d.root().get("i").as_int(), 32);
  EXPECT_EQ(d.root().get("f").as_int(), 32);
  EXPECT_EQ(d.root().opt_int("f"), 32);
  EXPECT_EQ(d.root().get("negz").as_int(), 0);
  EXPECT_EQ(d.root().get("min").as_int(), INT64_MIN);
  // An int is a valid float.
  EXPECT_EQ(d.root().get("i").as_double(), 32.0);
  EXPECT_EQ(d.root().opt_double("i"), 32.0);
}

TEST(JsonView, WrongTypesNameFieldAndValue) {
  JsonDocument d = parse(kValues);
  JsonView r = d.root();
  EXPECT_QEFF_ERROR(r.get("h").as_int(), QEFF_E_CONFIG, "cfg.json", "field \"h\"",
                    "must be an integer", "number 32.5");
  EXPECT_QEFF_ERROR(r.get("s").as_int(), QEFF_E_CONFIG, "field \"s\"", "must be an integer",
                    "string \"32\"");
  EXPECT_QEFF_ERROR(r.get("b").as_int(), QEFF_E_CONFIG, "field \"b\"", "must be an integer",
                    "got true");
  EXPECT_QEFF_ERROR(r.get("l").as_int(), QEFF_E_CONFIG, "field \"l\"", "must be an integer",
                    "an array");
  EXPECT_QEFF_ERROR(r.get("obj").as_int(), QEFF_E_CONFIG, "field \"obj\"", "an object");
  EXPECT_QEFF_ERROR(r.opt_int("h"), QEFF_E_CONFIG, "field \"h\"", "32.5");
  EXPECT_QEFF_ERROR(r.get("s").as_double(), QEFF_E_CONFIG, "field \"s\"", "must be a number");
  EXPECT_QEFF_ERROR(r.get("i").as_bool(), QEFF_E_CONFIG, "field \"i\"", "true or false",
                    "number 32");
  EXPECT_QEFF_ERROR(r.get("i").as_string(), QEFF_E_CONFIG, "field \"i\"", "must be a string",
                    "number 32");
  EXPECT_QEFF_ERROR(r.get("s").as_int_list(), QEFF_E_CONFIG, "field \"s\"",
                    "an array of integers");
  EXPECT_QEFF_ERROR(r.get("s").as_string_list(), QEFF_E_CONFIG, "field \"s\"",
                    "an array of strings");
  EXPECT_QEFF_ERROR(r.as_int(), QEFF_E_CONFIG, "field \"<root>\"", "an object");
}

TEST(JsonView, TypeErrorStatusComesFromTheOrigin) {
  JsonDocument d = parse(kValues, {}, true, QEFF_E_FORMAT);
  EXPECT_QEFF_ERROR(d.root().get("h").as_int(), QEFF_E_FORMAT, "field \"h\"", "32.5");
  EXPECT_QEFF_ERROR(d.root().get("s").as_int(), QEFF_E_FORMAT, "string \"32\"");
  EXPECT_QEFF_ERROR(d.root().get("i").as_int(0, 10), QEFF_E_FORMAT, "out of range");
}

TEST(JsonView, NullIsAbsent) {
  JsonDocument d = parse(kValues);
  JsonView r = d.root();
  EXPECT_FALSE(r.get("n").present());
  EXPECT_FALSE(r.get("missing").present());
  EXPECT_TRUE(r.get("i").present());
  EXPECT_EQ(r.opt_int("n"), std::nullopt);
  EXPECT_EQ(r.opt_double("n"), std::nullopt);
  EXPECT_EQ(r.opt_bool("n"), std::nullopt);
  EXPECT_EQ(r.opt_string("n"), std::nullopt);
  EXPECT_EQ(r.opt_int("missing"), std::nullopt);
  EXPECT_EQ(r.opt_string("missing"), std::nullopt);
  // A required value that is absent says so.
  EXPECT_QEFF_ERROR(r.get("missing").as_int(), QEFF_E_CONFIG, "field \"missing\"", "got nothing");
  EXPECT_QEFF_ERROR(r.get("n").as_string(), QEFF_E_CONFIG, "field \"n\"", "got null");
  // Members of non-objects and elements past the end are absent, not errors.
  EXPECT_FALSE(r.get("i").get("x").present());
  EXPECT_FALSE(r.get("nums").at(3).present());
  EXPECT_FALSE(r.get("o").at(0).present());
  EXPECT_EQ(r.get("i").size(), 0u);
  EXPECT_EQ(r.get("missing").size(), 0u);
  EXPECT_TRUE(r.get("missing").keys().empty());
}

TEST(JsonView, HugeNumbersWithoutUndefinedBehaviour) {
  JsonDocument d = parse(kValues);
  JsonView r = d.root();
  EXPECT_TRUE(std::isinf(r.get("big").as_number_unbounded()));
  EXPECT_GT(r.get("big").as_number_unbounded(), 0);
  EXPECT_LT(r.get("nbig").as_number_unbounded(), 0);
  EXPECT_QEFF_ERROR(r.get("big").as_double(), QEFF_E_CONFIG, "field \"big\"", "a finite number",
                    "inf");
  EXPECT_QEFF_ERROR(r.get("big").as_int(), QEFF_E_CONFIG, "field \"big\"", "must be an integer",
                    "inf");
  EXPECT_QEFF_ERROR(r.get("nbig").as_int(), QEFF_E_CONFIG, "field \"nbig\"", "must be an integer");
  EXPECT_EQ(r.get("huge").as_number_unbounded(), 1e30);
  EXPECT_EQ(r.get("huge").as_double(), 1e30);
  EXPECT_QEFF_ERROR(r.get("huge").as_int(), QEFF_E_CONFIG, "field \"huge\"", "out of range", "1e+30");
  EXPECT_QEFF_ERROR(r.get("pow63").as_int(), QEFF_E_CONFIG, "field \"pow63\"", "out of range");
  EXPECT_EQ(r.get("e").as_double(), 1e-7);
  EXPECT_QEFF_ERROR(r.get("e").as_int(), QEFF_E_CONFIG, "must be an integer");
}

TEST(JsonView, IntRangeErrorsNameTheRange) {
  JsonDocument d = parse(kValues);
  JsonView r = d.root();
  EXPECT_EQ(r.get("i").as_int(32, 32), 32);
  EXPECT_QEFF_ERROR(r.get("i").as_int(0, 10), QEFF_E_CONFIG, "cfg.json", "field \"i\"", "= 32",
                    "out of range [0, 10]");
  EXPECT_QEFF_ERROR(r.get("i").as_int(33, 100), QEFF_E_CONFIG, "out of range [33, 100]");
  EXPECT_QEFF_ERROR(r.opt_int("i", -5, -1), QEFF_E_CONFIG, "field \"i\"", "[-5, -1]");
  EXPECT_QEFF_ERROR(r.get("min").as_int(0, INT64_MAX), QEFF_E_CONFIG, "field \"min\"",
                    "out of range [0, 9223372036854775807]");
}

TEST(JsonView, PathsOfNestedValues) {
  JsonDocument d = parse(kValues);
  JsonView r = d.root();
  EXPECT_EQ(r.get("o").get("x").get("y").path(), "o.x.y");
  EXPECT_QEFF_ERROR(r.get("o").get("x").get("y").as_string(), QEFF_E_CONFIG, "field \"o.x.y\"",
                    "must be a string", "number 7");
  EXPECT_EQ(r.get("nums").at(1).path(), "nums[1]");
  EXPECT_EQ(r.get("nums").at(1).as_int(), 2);
  EXPECT_QEFF_ERROR(r.get("mixed").as_int_list(), QEFF_E_CONFIG, "field \"mixed[1]\"",
                    "must be an integer", "string \"a\"");
  EXPECT_QEFF_ERROR(r.get("nums").as_string_list(), QEFF_E_CONFIG, "field \"nums[0]\"",
                    "must be a string", "number 1");
  EXPECT_QEFF_ERROR(r.get("nums").as_int_list(0, 2), QEFF_E_CONFIG, "field \"nums[2]\"",
                    "= 3 is out of range [0, 2]");
  EXPECT_EQ(r.get("nums").as_int_list(), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(r.get("strs").as_string_list(), (std::vector<std::string>{"a", "b"}));
}

TEST(JsonView, KeysInFileOrderAndSerialization) {
  JsonDocument d = parse("{\"z\":1,\"a\":{\"q\":[1,\"x\",null]},\"m\":true}");
  EXPECT_EQ(d.root().keys(), (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(d.root().size(), 3u);
  EXPECT_EQ(d.root().get("a").to_json(), "{\"q\":[1,\"x\",null]}");
  EXPECT_EQ(d.root().get("missing").to_json(), "null");
  EXPECT_EQ(d.root().get("m").describe(), "true");
  EXPECT_EQ(d.root().get("missing").describe(), "nothing");
}

TEST(JsonView, MessagesQuoteUntrustedValues) {
  std::string long_value(1000, 'v');
  JsonDocument d = parse("{\"s\":\"a\\u0001b\\\"c\",\"long\":\"" + long_value + "\"}");
  EXPECT_QEFF_ERROR(d.root().get("s").as_int(), QEFF_E_CONFIG, "string \"a\\x01b\\x22c\"");
  try {
    d.root().get("long").as_int();
    ADD_FAILURE() << "no error";
  } catch (const qeff::Error &e) {
    std::string m = e.what();
    EXPECT_NE(m.find("field \"long\""), std::string::npos) << m;
    EXPECT_NE(m.find("..."), std::string::npos) << m;
    EXPECT_LT(m.size(), 300u) << m;
  }
}

TEST(ErrorQuote, EscapesAndTruncates) {
  EXPECT_EQ(qeff::quote("abc"), "\"abc\"");
  EXPECT_EQ(qeff::quote("a\"b\\c"), "\"a\\x22b\\x5cc\"");
  EXPECT_EQ(qeff::quote(std::string_view("\n\0\x7f", 3)), "\"\\x0a\\x00\\x7f\"");
  EXPECT_EQ(qeff::quote("\xc3\xa9"), "\"\xc3\xa9\"");          // valid UTF-8 kept
  EXPECT_EQ(qeff::quote("\xff\xc3"), "\"\\xff\\xc3\"");        // invalid escaped
  EXPECT_EQ(qeff::quote("abcdef", 3), "\"abc...\"");
  EXPECT_EQ(qeff::quote("abc", 3), "\"abc\"");
}

}  // namespace
