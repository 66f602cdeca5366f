// Unit tests: the safetensors parser (src/hub/safetensors.hpp) on in-memory
// images, and SafetensorsFile over a real mapped file. RELIABILITY.md B4
// (items 24-41): every malformed input gets a precise status and a message
// naming the tensor, field or value.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/dtype.hpp"
#include "hub/limits.hpp"
#include "hub/safetensors.hpp"
#include "model_writer.hpp"
#include "qeff/qeff.h"
#include "unit_test.hpp"

namespace {

using qeff::hub::HubLimits;
using qeff::hub::SafetensorsFile;
using qeff::hub::SafetensorsHeader;
using qeff_test::le64;
using qeff_test::safetensors_raw;

const char kOrigin[] = "m.safetensors";

SafetensorsHeader parse(const std::string &bytes, const HubLimits &limits = {}) {
  return qeff::hub::parse_safetensors(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size(),
                                      kOrigin, limits);
}

// One tensor entry with raw JSON for shape and offsets.
std::string entry(const std::string &name, const std::string &dtype, const std::string &shape,
                  const std::string &offsets, const std::string &extra = "") {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + extra + "}";
}

std::string range(uint64_t b, uint64_t e) {
  return "[" + std::to_string(b) + "," + std::to_string(e) + "]";
}

std::string object(std::initializer_list<std::string> entries) {
  std::string s = "{";
  for (const auto &e : entries) s += (s.size() > 1 ? "," : "") + e;
  return s + "}";
}

// A one-tensor image: F32 [1] at [0, 4) unless told otherwise.
std::string one(const std::string &dtype, const std::string &shape, const std::string &offsets,
                size_t data_len) {
  return safetensors_raw(object({entry("w", dtype, shape, offsets)}), data_len);
}

std::string valid_w() { return one("F32", "[1]", range(0, 4), 4); }

// ---------------------------------------------------------------------------
// B4.24-25: the 8-byte length prefix

TEST(Safetensors, ValidSingleTensor) {
  SafetensorsHeader h = parse(valid_w());
  ASSERT_EQ(h.tensors.size(), 1u);
  EXPECT_EQ(h.tensors[0].name, "w");
  EXPECT_EQ(h.tensors[0].dtype, QEFF_DTYPE_F32);
  EXPECT_EQ(h.tensors[0].shape, (std::vector<int64_t>{1}));
  EXPECT_EQ(h.tensors[0].numel, 1u);
  EXPECT_EQ(h.tensors[0].nbytes, 4u);
  EXPECT_EQ(h.offsets, (std::vector<uint64_t>{0}));
  EXPECT_TRUE(h.metadata.empty());
  EXPECT_EQ(h.data_offset, 8 + object({entry("w", "F32", "[1]", range(0, 4))}).size());
}

TEST(Safetensors, FileShorterThanEightBytes) {
  EXPECT_QEFF_ERROR(parse(""), QEFF_E_FORMAT, kOrigin, "header too small", "0 bytes");
  EXPECT_QEFF_ERROR(parse(std::string(7, '\0')), QEFF_E_FORMAT, kOrigin, "header too small",
                    "7 bytes");
  EXPECT_QEFF_ERROR(parse("\x02\0\0\0\0\0{"), QEFF_E_FORMAT, "header too small");
  // No data pointer at all.
  EXPECT_TRUE(throws_qeff([] { qeff::hub::parse_safetensors(nullptr, 0, kOrigin, {}); },
                          QEFF_E_FORMAT, {"header too small"}));
}

TEST(Safetensors, HeaderLengthAllOnesIsALimitWithoutAllocating) {
  // If N were allocated or added to 8 unchecked, this would OOM or wrap.
  EXPECT_QEFF_ERROR(parse(le64(UINT64_MAX) + "{}"), QEFF_E_LIMIT, kOrigin,
                    "header length 18446744073709551615",
                    "limits.safetensors_header_bytes = 100000000");
  EXPECT_QEFF_ERROR(parse(le64(UINT64_MAX - 7) + "{}"), QEFF_E_LIMIT,
                    "limits.safetensors_header_bytes");
}

TEST(Safetensors, HeaderLengthAboveTheCap) {
  EXPECT_QEFF_ERROR(parse(le64(100000001) + "{}"), QEFF_E_LIMIT, kOrigin,
                    "header length 100000001", "limits.safetensors_header_bytes = 100000000");
  HubLimits l;
  l.safetensors_header_bytes = 16;
  std::string h = object({entry("w", "F32", "[1]", range(0, 4))});
  ASSERT_GT(h.size(), 16u);
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4), l), QEFF_E_LIMIT,
                    "limits.safetensors_header_bytes = 16");
  // Exactly at the cap is fine.
  l.safetensors_header_bytes = h.size();
  EXPECT_EQ(parse(safetensors_raw(h, 4), l).tensors.size(), 1u);
}

TEST(Safetensors, HeaderLengthBeyondTheFile) {
  EXPECT_QEFF_ERROR(parse(le64(50) + "{}" + std::string(8, ' ')), QEFF_E_FORMAT, kOrigin,
                    "header length 50 exceeds the 10 bytes that follow it");
  EXPECT_QEFF_ERROR(parse(le64(1)), QEFF_E_FORMAT, "header length 1 exceeds the 0 bytes");
  // With no cap, N + 8 would wrap: the comparison must not.
  HubLimits l;
  l.safetensors_header_bytes = UINT64_MAX;
  EXPECT_QEFF_ERROR(parse(le64(UINT64_MAX) + "{}", l), QEFF_E_FORMAT,
                    "header length 18446744073709551615 exceeds the 2 bytes");
  EXPECT_QEFF_ERROR(parse(le64(UINT64_MAX - 7) + "{}", l), QEFF_E_FORMAT, "exceeds the 2 bytes");
  EXPECT_QEFF_ERROR(parse(le64(UINT64_MAX - 6) + "{}", l), QEFF_E_FORMAT, "exceeds the 2 bytes");
}

TEST(Safetensors, HeaderLengthTooSmall) {
  EXPECT_QEFF_ERROR(parse(le64(0)), QEFF_E_FORMAT, kOrigin, "header length 0 is too small");
  EXPECT_QEFF_ERROR(parse(le64(0) + "{}"), QEFF_E_FORMAT, "header length 0 is too small");
  EXPECT_QEFF_ERROR(parse(le64(1) + "{"), QEFF_E_FORMAT, "header length 1 is too small");
}

// ---------------------------------------------------------------------------
// B4.26: the header text

TEST(Safetensors, HeaderNotUtf8) {
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{\"\xff\":1}", 0)), QEFF_E_FORMAT,
                    "m.safetensors (safetensors header)", "invalid UTF-8");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("\xff\xfe{\"a\":1}", 0)), QEFF_E_FORMAT, "UTF-16");
}

TEST(Safetensors, HeaderNotJson) {
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{ ", 0)), QEFF_E_FORMAT,
                    "m.safetensors (safetensors header)", "line 1");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{\"w\":{\"dtype\":\"F32\",", 0)), QEFF_E_FORMAT,
                    "(safetensors header)", "column");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("hello", 0)), QEFF_E_FORMAT, "(safetensors header)");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{}x", 0)), QEFF_E_FORMAT, "unexpected data after");
  // NUL padding is not JSON whitespace.
  EXPECT_QEFF_ERROR(parse(safetensors_raw(std::string("{}\0\0", 4), 0)), QEFF_E_FORMAT, "NUL");
}

TEST(Safetensors, HeaderNotAnObject) {
  EXPECT_QEFF_ERROR(parse(safetensors_raw("[]", 0)), QEFF_E_FORMAT, "(safetensors header)",
                    "expected a JSON object", "got an array");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("\"x\"", 0)), QEFF_E_FORMAT, "got a string");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("null", 0)), QEFF_E_FORMAT, "got null");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("12", 0)), QEFF_E_FORMAT, "got a number");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("   \n [{}]", 0)), QEFF_E_FORMAT, "got an array");
}

TEST(Safetensors, WhitespaceAroundTheObjectIsAccepted) {
  std::string h = "  \n\t" + object({entry("w", "F32", "[1]", range(0, 4))}) + "    \r\n ";
  EXPECT_EQ(parse(safetensors_raw(h, 4)).tensors.size(), 1u);
  // An empty file: no tensors, no data.
  SafetensorsHeader e = parse(safetensors_raw("{}", 0));
  EXPECT_TRUE(e.tensors.empty());
  EXPECT_EQ(e.data_offset, 10u);
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{}", 4)), QEFF_E_FORMAT, "4 extra bytes");
}

// ---------------------------------------------------------------------------
// B4.27: dtypes

TEST(Safetensors, UnknownDtypesAreFormatErrors) {
  for (const char *d : {"F128", "Q4_K", "f32", "bf16", "F32 ", "", "FLOAT", "F8_E4M3FN"}) {
    SCOPED_TRACE(d);
    EXPECT_QEFF_ERROR(parse(one(d, "[1]", range(0, 4), 4)), QEFF_E_FORMAT, kOrigin,
                      "field \"w.dtype\"", "unknown dtype", (std::string("\"") + d + "\"").c_str());
  }
  EXPECT_QEFF_ERROR(
      parse(safetensors_raw(object({"\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}"}), 4)),
      QEFF_E_FORMAT, "field \"w.dtype\"", "must be a dtype string", "number 32");
  EXPECT_QEFF_ERROR(
      parse(safetensors_raw(object({"\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}"}), 4)),
      QEFF_E_FORMAT, "field \"w.dtype\"", "got nothing");
}

TEST(Safetensors, EveryKnownDtypeIsAccepted) {
  struct Known {
    const char *name;
    qeff_dtype dtype;
    unsigned bits;
  };
  const Known known[] = {
      {"BOOL", QEFF_DTYPE_BOOL, 8},        {"U8", QEFF_DTYPE_U8, 8},
      {"I8", QEFF_DTYPE_I8, 8},            {"I16", QEFF_DTYPE_I16, 16},
      {"U16", QEFF_DTYPE_U16, 16},         {"I32", QEFF_DTYPE_I32, 32},
      {"U32", QEFF_DTYPE_U32, 32},         {"I64", QEFF_DTYPE_I64, 64},
      {"U64", QEFF_DTYPE_U64, 64},         {"F16", QEFF_DTYPE_F16, 16},
      {"BF16", QEFF_DTYPE_BF16, 16},       {"F32", QEFF_DTYPE_F32, 32},
      {"F64", QEFF_DTYPE_F64, 64},         {"F8_E4M3", QEFF_DTYPE_F8_E4M3, 8},
      {"F8_E5M2", QEFF_DTYPE_F8_E5M2, 8},  {"F8_E8M0", QEFF_DTYPE_F8_E8M0, 8},
      {"F6_E2M3", QEFF_DTYPE_F6_E2M3, 6},  {"F6_E3M2", QEFF_DTYPE_F6_E3M2, 6},
      {"F4", QEFF_DTYPE_F4, 4},            {"C64", QEFF_DTYPE_C64, 64},
  };
  for (const Known &k : known) {
    SCOPED_TRACE(k.name);
    uint64_t bytes = 8 * k.bits / 8;  // 8 elements
    SafetensorsHeader h = parse(one(k.name, "[2,4]", range(0, bytes), bytes));
    ASSERT_EQ(h.tensors.size(), 1u);
    EXPECT_EQ(h.tensors[0].dtype, k.dtype);
    EXPECT_EQ(h.tensors[0].numel, 8u);
    EXPECT_EQ(h.tensors[0].nbytes, bytes);
    EXPECT_EQ(qeff::dtype_bits(k.dtype), k.bits);
    EXPECT_STREQ(qeff::dtype_name(k.dtype), k.name);
    EXPECT_EQ(qeff::dtype_from_name(k.name), k.dtype);
  }
  // U4 names qeff's compiled 4-bit storage, not a safetensors dtype.
  EXPECT_QEFF_ERROR(parse(one("U4", "[2,4]", range(0, 4), 4)), QEFF_E_FORMAT, "unknown dtype", "\"U4\"");
  EXPECT_EQ(qeff::dtype_bits(QEFF_DTYPE_U4), 4u);
}

// ---------------------------------------------------------------------------
// B4.28: shapes

TEST(Safetensors, BadShapeEntries) {
  EXPECT_QEFF_ERROR(parse(one("F32", "[-1]", range(0, 4), 4)), QEFF_E_FORMAT, kOrigin,
                    "field \"w.shape[0]\"", "-1", "out of range");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1,-4]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape[1]\"", "-4");
  EXPECT_QEFF_ERROR(parse(one("F32", "[2.5]", range(0, 10), 10)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"", "must be an integer", "2.5");
  EXPECT_QEFF_ERROR(parse(one("F32", "[\"2\"]", range(0, 8), 8)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"", "string \"2\"");
  EXPECT_QEFF_ERROR(parse(one("F32", "[[1]]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"", "an array");
  EXPECT_QEFF_ERROR(parse(one("F32", "[null]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"");
  // Above 2^63: not representable as int64.
  EXPECT_QEFF_ERROR(parse(one("F32", "[9223372036854775808]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"", "out of range");
  EXPECT_QEFF_ERROR(parse(one("F32", "[18446744073709551616]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"", "out of range");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1e400]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape[0]\"", "inf");
  EXPECT_QEFF_ERROR(parse(one("F32", "4", range(0, 16), 16)), QEFF_E_FORMAT, "field \"w.shape\"",
                    "must be an array");
  EXPECT_QEFF_ERROR(
      parse(safetensors_raw(object({"\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}"}), 4)),
      QEFF_E_FORMAT, "field \"w.shape\"", "got nothing");
}

TEST(Safetensors, RankAboveTheLimit) {
  EXPECT_NO_THROW(parse(one("F32", "[1,1,1,1,1,1,1,1]", range(0, 4), 4)));
  EXPECT_QEFF_ERROR(parse(one("F32", "[1,1,1,1,1,1,1,1,1]", range(0, 4), 4)), QEFF_E_FORMAT,
                    kOrigin, "field \"w.shape\"", "rank 9", "limits.tensor_rank = 8");
  HubLimits l;
  l.tensor_rank = 2;
  EXPECT_QEFF_ERROR(parse(one("F32", "[1,1,1]", range(0, 4), 4), l), QEFF_E_FORMAT, "rank 3",
                    "limits.tensor_rank = 2");
  // A very long shape is rejected by its length, before its entries are read.
  std::string shape = "[";
  for (int i = 0; i < 100000; ++i) shape += i ? ",-1" : "-1";
  shape += "]";
  EXPECT_QEFF_ERROR(parse(one("F32", shape, range(0, 4), 4)), QEFF_E_FORMAT, "rank 100000");
}

TEST(Safetensors, ShapeProductOverflow) {
  EXPECT_QEFF_ERROR(parse(one("F32", "[4294967296,4294967296]", range(0, 4), 4)), QEFF_E_FORMAT,
                    kOrigin, "field \"w.shape\"", "[4294967296, 4294967296]",
                    "more elements than fit in 64 bits");
  // 2^61 * 4 = 2^63 elements: more than int64 holds.
  EXPECT_QEFF_ERROR(parse(one("U8", "[2305843009213693952,4]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "more elements than fit in 64 bits");
  // 2^61 elements of 32 bits: the element count fits, the bit count does not.
  EXPECT_QEFF_ERROR(parse(one("F32", "[2305843009213693952]", range(0, 4), 4)), QEFF_E_FORMAT,
                    "field \"w.shape\"", "overflows its byte size");
  // A huge but consistent tensor (2^57 F32 = 2^59 bytes) is not allocated: the
  // data is simply missing.
  EXPECT_QEFF_ERROR(parse(one("F32", "[144115188075855872]", range(0, 576460752303423488ull), 0)),
                    QEFF_E_FORMAT, "incomplete file", "576460752303423488");
}

// ---------------------------------------------------------------------------
// B4.30-33: data_offsets and coverage

TEST(Safetensors, DataOffsetsOfWrongShape) {
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0]", 4)), QEFF_E_FORMAT, kOrigin,
                    "field \"w.data_offsets\"", "an array of 2 integers");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0,1,2]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets\"", "an array of 2 integers");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[]", 4)), QEFF_E_FORMAT, "field \"w.data_offsets\"");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "\"0,4\"", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets\"", "string \"0,4\"");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "{\"0\":4}", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets\"");
  EXPECT_QEFF_ERROR(
      parse(safetensors_raw(object({"\"w\":{\"dtype\":\"F32\",\"shape\":[1]}"}), 4)),
      QEFF_E_FORMAT, "field \"w.data_offsets\"", "got nothing");
}

TEST(Safetensors, DataOffsetsNegativeOrFloat) {
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[-4,0]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets[0]\"", "-4", "out of range");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0,-4]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets[1]\"", "-4");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0.5,4.5]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets[0]\"", "must be an integer", "0.5");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0,\"4\"]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets[1]\"", "string \"4\"");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0,1e400]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets[1]\"");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", "[0,18446744073709551620]", 4)), QEFF_E_FORMAT,
                    "field \"w.data_offsets[1]\"", "out of range");
}

TEST(Safetensors, DataOffsetsReversed) {
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", range(4, 0), 4)), QEFF_E_FORMAT, kOrigin,
                    "field \"w.data_offsets\"", "[4, 0) ends before it begins");
}

TEST(Safetensors, OffsetsNotStartingAtZero) {
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", range(4, 8), 8)), QEFF_E_FORMAT, kOrigin,
                    "gap before tensor \"w\"", "[0, 4)");
}

TEST(Safetensors, GapBetweenTensors) {
  std::string h = object({entry("a", "F32", "[1]", range(0, 4)), entry("b", "F32", "[1]", range(8, 12))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 12)), QEFF_E_FORMAT, kOrigin, "gap before tensor \"b\"",
                    "[4, 8)", "belong to no tensor");
}

TEST(Safetensors, OverlappingTensors) {
  std::string h = object({entry("a", "F32", "[2]", range(0, 8)), entry("b", "F32", "[1]", range(4, 8))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 8)), QEFF_E_FORMAT, kOrigin, "tensor \"b\"",
                    "[4, 8)", "overlaps tensor \"a\"");
  // A zero-size tensor inside another one's range also overlaps.
  h = object({entry("a", "F32", "[2]", range(0, 8)), entry("z", "F32", "[0]", range(4, 4))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 8)), QEFF_E_FORMAT, "tensor \"z\"",
                    "overlaps tensor \"a\"");
}

TEST(Safetensors, ManyIdenticalRangesAreRejected) {
  // The amplification attack: many tensors aliasing the same bytes.
  std::string h = "{";
  for (int i = 0; i < 1000; ++i)
    h += (i ? "," : "") + entry("t" + std::to_string(i), "F32", "[1]", range(0, 4));
  h += "}";
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_FORMAT, kOrigin, "tensor \"t",
                    "[0, 4) overlaps tensor \"t");
  // Just two is already one too many.
  h = object({entry("a", "F32", "[1]", range(0, 4)), entry("b", "F32", "[1]", range(0, 4))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_FORMAT, "overlaps tensor");
}

TEST(Safetensors, ByteCountMustMatchShapeTimesDtype) {
  EXPECT_QEFF_ERROR(parse(one("I32", "[2,2]", range(0, 4), 4)), QEFF_E_FORMAT, kOrigin,
                    "field \"w.data_offsets\"", "invalid info", "[0, 4) holds 4 bytes",
                    "I32 [2, 2] needs 16");
  EXPECT_QEFF_ERROR(parse(one("F16", "[3]", range(0, 8), 8)), QEFF_E_FORMAT, "invalid info",
                    "F16 [3] needs 6");
  EXPECT_QEFF_ERROR(parse(one("F32", "[0]", range(0, 4), 4)), QEFF_E_FORMAT, "invalid info",
                    "needs 0");
}

TEST(Safetensors, TrailingBytesAreRejected) {
  EXPECT_QEFF_ERROR(parse(valid_w() + "x"), QEFF_E_FORMAT, kOrigin,
                    "1 extra bytes after the last tensor", "5 bytes", "cover 4");
  // A polyglot: a whole second file appended.
  EXPECT_QEFF_ERROR(parse(valid_w() + valid_w()), QEFF_E_FORMAT, "extra bytes after the last tensor");
}

TEST(Safetensors, MissingBytesAreRejected) {
  std::string f = valid_w();
  f.pop_back();
  EXPECT_QEFF_ERROR(parse(f), QEFF_E_FORMAT, kOrigin, "incomplete file", "need 4 data bytes",
                    "only 3 are present");
  EXPECT_QEFF_ERROR(parse(one("F32", "[1]", range(0, 4), 0)), QEFF_E_FORMAT, "incomplete file",
                    "only 0 are present");
}

// ---------------------------------------------------------------------------
// B4.34: sub-byte dtypes

TEST(Safetensors, SubByteDtypesMustFillWholeBytes) {
  EXPECT_QEFF_ERROR(parse(one("F4", "[3]", range(0, 2), 2)), QEFF_E_FORMAT, kOrigin,
                    "field \"w.shape\"", "[3] of F4", "not a whole number of bytes", "misaligned");
  EXPECT_QEFF_ERROR(parse(one("F4", "[1]", range(0, 1), 1)), QEFF_E_FORMAT, "misaligned");
  EXPECT_QEFF_ERROR(parse(one("F6_E2M3", "[3]", range(0, 3), 3)), QEFF_E_FORMAT, "[3] of F6_E2M3",
                    "misaligned");
  EXPECT_QEFF_ERROR(parse(one("F6_E3M2", "[2,1]", range(0, 2), 2)), QEFF_E_FORMAT, "misaligned");
  SafetensorsHeader h = parse(one("F4", "[2,3]", range(0, 3), 3));
  EXPECT_EQ(h.tensors[0].nbytes, 3u);
  EXPECT_EQ(parse(one("F6_E2M3", "[4]", range(0, 3), 3)).tensors[0].nbytes, 3u);
}

// ---------------------------------------------------------------------------
// B4.35: duplicate names

TEST(Safetensors, DuplicateTensorNames) {
  std::string e = entry("w", "F32", "[1]", range(0, 4));
  EXPECT_QEFF_ERROR(parse(safetensors_raw(object({e, e}), 4)), QEFF_E_FORMAT, kOrigin,
                    "duplicate tensor name \"w\"");
  std::string h = object({entry("w", "F32", "[1]", range(0, 4)), entry("w", "I32", "[1]", range(4, 8))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 8)), QEFF_E_FORMAT, "duplicate tensor name \"w\"");
  h = object({"\"__metadata__\":{}", entry("a", "F32", "[1]", range(0, 4)), "\"__metadata__\":{}"});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_FORMAT,
                    "duplicate tensor name \"__metadata__\"");
  h = object({"\"__metadata__\":{\"format\":\"pt\",\"format\":\"pt\"}", entry("a", "F32", "[1]", range(0, 4))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_FORMAT, "duplicate", "\"format\"",
                    "in \"__metadata__\"");
}

// ---------------------------------------------------------------------------
// B4.37: __metadata__

std::string with_metadata(const std::string &meta) {
  return safetensors_raw(object({"\"__metadata__\":" + meta, entry("w", "F32", "[1]", range(0, 4))}), 4);
}

TEST(Safetensors, MetadataIsAStringMap) {
  SafetensorsHeader h = parse(with_metadata("{\"format\":\"pt\",\"note\":\"hello\"}"));
  EXPECT_EQ(h.metadata.size(), 2u);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(h.metadata.at("note"), "hello");
  ASSERT_EQ(h.tensors.size(), 1u);
  EXPECT_EQ(h.tensors[0].name, "w");
  EXPECT_EQ(parse(with_metadata("{\"format\":\"mlx\"}")).metadata.at("format"), "mlx");
  EXPECT_TRUE(parse(with_metadata("{}")).metadata.empty());
  // Null metadata values count as absent? No: a null is not a string.
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"k\":null}")), QEFF_E_FORMAT, "field \"__metadata__.k\"");
}

TEST(Safetensors, MetadataWithNonStringValues) {
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"format\":1}")), QEFF_E_FORMAT, kOrigin,
                    "field \"__metadata__.format\"", "must be a string", "number 1");
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"a\":{\"b\":\"c\"}}")), QEFF_E_FORMAT,
                    "field \"__metadata__.a\"", "must be a string", "an object");
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"a\":[\"b\"]}")), QEFF_E_FORMAT, "field \"__metadata__.a\"",
                    "an array");
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"a\":true}")), QEFF_E_FORMAT, "field \"__metadata__.a\"");
  EXPECT_QEFF_ERROR(parse(with_metadata("\"pt\"")), QEFF_E_FORMAT, "field \"__metadata__\"",
                    "an object of string values");
  EXPECT_QEFF_ERROR(parse(with_metadata("[]")), QEFF_E_FORMAT, "field \"__metadata__\"");
}

TEST(Safetensors, TensorNamedMetadataIsRejected) {
  std::string h = object({entry("__metadata__", "F32", "[1]", range(0, 4))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_FORMAT, kOrigin, "__metadata__.shape");
}

TEST(Safetensors, MetadataFormatTfIsUnsupported) {
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"format\":\"tf\"}")), QEFF_E_UNSUPPORTED, kOrigin,
                    "__metadata__.format \"tf\"", "not supported");
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"format\":\"flax\"}")), QEFF_E_UNSUPPORTED, "\"flax\"");
  EXPECT_QEFF_ERROR(parse(with_metadata("{\"format\":\"PT\"}")), QEFF_E_UNSUPPORTED, "\"PT\"");
  EXPECT_NO_THROW(parse(with_metadata("{\"format\":\"pt\"}")));
}

// ---------------------------------------------------------------------------
// B4.38-41: accepted corner cases

TEST(Safetensors, ZeroSizeTensorAndScalarAreAccepted) {
  std::string h = object({entry("empty", "F32", "[2,0]", range(0, 0)), entry("s", "F32", "[]", range(0, 4)),
                          entry("e2", "I64", "[0]", range(4, 4))});
  SafetensorsHeader p = parse(safetensors_raw(h, 4));
  ASSERT_EQ(p.tensors.size(), 3u);
  // Sorted by (begin, end): empty [0,0), s [0,4), e2 [4,4).
  EXPECT_EQ(p.tensors[0].name, "empty");
  EXPECT_EQ(p.tensors[0].shape, (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(p.tensors[0].numel, 0u);
  EXPECT_EQ(p.tensors[0].nbytes, 0u);
  EXPECT_EQ(p.tensors[1].name, "s");
  EXPECT_TRUE(p.tensors[1].shape.empty());
  EXPECT_EQ(p.tensors[1].numel, 1u);
  EXPECT_EQ(p.tensors[1].nbytes, 4u);
  EXPECT_EQ(p.tensors[2].name, "e2");
  EXPECT_EQ(p.offsets, (std::vector<uint64_t>{0, 0, 4}));
  // Only zero-size tensors and no data at all.
  EXPECT_EQ(parse(one("F32", "[0,5]", range(0, 0), 0)).tensors[0].numel, 0u);
  // A zero-size tensor past the end of the data is a gap, not free.
  h = object({entry("s", "F32", "[]", range(0, 4)), entry("z", "F32", "[0]", range(8, 8))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_FORMAT, "gap before tensor \"z\"");
}

TEST(Safetensors, MisalignedDataIsAcceptedAndReadWithMemcpy) {
  // No padding: header length 45 puts the data at offset 53, odd.
  std::string h = object({entry("w", "F64", "[1]", range(0, 8)), entry("v", "F32", "[1]", range(8, 12))});
  ASSERT_NE(h.size() % 8, 0u);
  std::string f = le64(h.size()) + h;
  double d = -1.25;
  float x = 3.5f;
  f.append(reinterpret_cast<const char *>(&d), 8);
  f.append(reinterpret_cast<const char *>(&x), 4);
  SafetensorsHeader p = parse(f);
  ASSERT_EQ(p.tensors.size(), 2u);
  EXPECT_EQ(p.data_offset, 8 + h.size());
  const uint8_t *base = reinterpret_cast<const uint8_t *>(f.data()) + p.data_offset;
  double d2;
  float x2;
  std::memcpy(&d2, base + p.offsets[0], 8);
  std::memcpy(&x2, base + p.offsets[1], 4);
  EXPECT_EQ(d2, -1.25);
  EXPECT_EQ(x2, 3.5f);
}

TEST(Safetensors, UnknownExtraFieldsInAnEntryAreIgnored) {
  SafetensorsHeader p = parse(safetensors_raw(
      object({entry("w", "F32", "[1]", range(0, 4), ",\"foo\":1,\"bar\":{\"x\":[1,2]}")}), 4));
  ASSERT_EQ(p.tensors.size(), 1u);
  EXPECT_EQ(p.tensors[0].nbytes, 4u);
}

TEST(Safetensors, EntryMustBeAnObject) {
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{\"w\":5}", 0)), QEFF_E_FORMAT, kOrigin, "field \"w\"",
                    "must be an object", "number 5");
  EXPECT_QEFF_ERROR(parse(safetensors_raw("{\"w\":[\"F32\",[1],[0,4]]}", 4)), QEFF_E_FORMAT,
                    "field \"w\"", "an array");
}

TEST(Safetensors, TensorCountLimit) {
  HubLimits l;
  l.tensor_count = 2;
  std::string h = object({entry("a", "F32", "[1]", range(0, 4)), entry("b", "F32", "[1]", range(4, 8)),
                          entry("c", "F32", "[1]", range(8, 12))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 12), l), QEFF_E_LIMIT, kOrigin,
                    "3 tensors exceed limits.tensor_count = 2");
  // __metadata__ is not a tensor.
  h = object({"\"__metadata__\":{}", entry("a", "F32", "[1]", range(0, 4)), entry("b", "F32", "[1]", range(4, 8))});
  EXPECT_EQ(parse(safetensors_raw(h, 8), l).tensors.size(), 2u);
  h = object({entry("a", "F32", "[1]", range(0, 4)), entry("b", "F32", "[1]", range(4, 8))});
  EXPECT_EQ(parse(safetensors_raw(h, 8), l).tensors.size(), 2u);
  h = object({"\"__metadata__\":{}", entry("a", "F32", "[1]", range(0, 4)), entry("b", "F32", "[1]", range(4, 8)),
              entry("c", "F32", "[1]", range(8, 12))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 12), l), QEFF_E_LIMIT, "3 tensors exceed");
}

TEST(Safetensors, HeaderNestingIsCapped) {
  std::string deep = std::string(100, '[') + std::string(100, ']');
  std::string h = object({"\"__metadata__\":{\"x\":" + deep + "}", entry("w", "F32", "[1]", range(0, 4))});
  EXPECT_QEFF_ERROR(parse(safetensors_raw(h, 4)), QEFF_E_LIMIT, "(safetensors header)",
                    "limits.json_depth");
  // A million levels: no stack overflow.
  EXPECT_QEFF_ERROR(parse(safetensors_raw(std::string(1000000, '['), 0)), QEFF_E_LIMIT,
                    "limits.json_depth");
}

// ---------------------------------------------------------------------------
// A valid multi-tensor file

TEST(Safetensors, MultiTensorFileViewsPointAtTheRightBytes) {
  std::vector<qeff_test::TensorSpec> specs = {
      {"b.weight", {2, 3}}, {"a.weight", {4}}, {"c.ids", {3}, "I64"}, {"d.half", {5}, "F16"}};
  std::string f = qeff_test::safetensors_file(specs, {{"format", "pt"}});
  SafetensorsHeader h = parse(f);
  ASSERT_EQ(h.tensors.size(), 4u);
  // Sorted by data offset, which here is file order.
  EXPECT_EQ(h.tensors[0].name, "b.weight");
  EXPECT_EQ(h.tensors[1].name, "a.weight");
  EXPECT_EQ(h.tensors[2].name, "c.ids");
  EXPECT_EQ(h.tensors[3].name, "d.half");
  EXPECT_EQ(h.offsets, (std::vector<uint64_t>{0, 24, 40, 64}));
  EXPECT_EQ(h.tensors[2].dtype, QEFF_DTYPE_I64);
  EXPECT_EQ(h.tensors[2].nbytes, 24u);
  EXPECT_EQ(h.tensors[3].dtype, QEFF_DTYPE_F16);
  EXPECT_EQ(h.tensors[3].nbytes, 10u);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(h.data_offset % 8, 0u);  // the writer pads like the reference
  EXPECT_EQ(h.data_offset + 74, f.size());
  const uint8_t *base = reinterpret_cast<const uint8_t *>(f.data()) + h.data_offset;
  for (size_t t : {size_t{0}, size_t{1}}) {
    for (uint64_t i = 0; i < h.tensors[t].numel; ++i) {
      float v;
      std::memcpy(&v, base + h.offsets[t] + 4 * i, 4);
      EXPECT_EQ(v, 0.01f * static_cast<float>(i)) << h.tensors[t].name << "[" << i << "]";
    }
  }
  for (uint64_t i = 0; i < 3; ++i) {
    int64_t v;
    std::memcpy(&v, base + h.offsets[2] + 8 * i, 8);
    EXPECT_EQ(v, static_cast<int64_t>(i * 0x0101010101010101ull)) << i;
  }
}

TEST(Safetensors, TensorsAreSortedByOffsetNotHeaderOrder) {
  std::string h = object({entry("z_last", "F32", "[1]", range(8, 12)), entry("a_mid", "U8", "[4]", range(4, 8)),
                          entry("m_first", "I32", "[1]", range(0, 4))});
  SafetensorsHeader p = parse(safetensors_raw(h, 12));
  ASSERT_EQ(p.tensors.size(), 3u);
  EXPECT_EQ(p.tensors[0].name, "m_first");
  EXPECT_EQ(p.tensors[1].name, "a_mid");
  EXPECT_EQ(p.tensors[2].name, "z_last");
  EXPECT_EQ(p.offsets, (std::vector<uint64_t>{0, 4, 8}));
}

// ---------------------------------------------------------------------------
// SafetensorsFile over a real mapping

TEST(SafetensorsFile, OpenMappedFile) {
  qeff_test::TempDir dir;
  std::vector<qeff_test::TensorSpec> specs = {{"z.weight", {2, 2}}, {"a.weight", {3}}, {"m.bias", {1}}};
  qeff_test::write_file(dir / "model.safetensors", qeff_test::safetensors_file(specs, {{"format", "pt"}}));
  qeff::FileRoot root(qeff::canonical_directory(dir.str()));
  SafetensorsFile f = SafetensorsFile::open(root.map("model.safetensors"), HubLimits{});
  EXPECT_EQ(f.path(), root.dir() + "/model.safetensors");
  EXPECT_EQ(f.metadata().at("format"), "pt");
  ASSERT_EQ(f.tensors().size(), 3u);
  // Sorted by name.
  EXPECT_EQ(f.tensors()[0].name, "a.weight");
  EXPECT_EQ(f.tensors()[1].name, "m.bias");
  EXPECT_EQ(f.tensors()[2].name, "z.weight");
  const uint8_t *begin = f.mapping().data();
  const uint8_t *end = begin + f.mapping().size();
  for (const auto &t : f.tensors()) {
    EXPECT_EQ(t.file, &f.path());
    ASSERT_GE(t.data, begin);
    ASSERT_LE(t.data + t.nbytes, end);
    for (uint64_t i = 0; i < t.numel; ++i) {
      float v;
      std::memcpy(&v, t.data + 4 * i, 4);
      EXPECT_EQ(v, 0.01f * static_cast<float>(i)) << t.name;
    }
  }
  // z.weight comes first in the file and ends where a.weight begins.
  const qeff::hub::TensorView *z = f.find("z.weight");
  const qeff::hub::TensorView *a = f.find("a.weight");
  ASSERT_NE(z, nullptr);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(z->data + 16, a->data);
  EXPECT_EQ(f.find("m.bias")->data + 4, end);
  EXPECT_EQ(f.find("missing"), nullptr);
  EXPECT_EQ(f.find(""), nullptr);
  EXPECT_EQ(f.find("z.weight.x"), nullptr);

  // Moving keeps the views and their file pointer valid.
  SafetensorsFile g = std::move(f);
  const qeff::hub::TensorView *z2 = g.find("z.weight");
  ASSERT_NE(z2, nullptr);
  EXPECT_EQ(z2->data, z->data);
  EXPECT_EQ(z2->file, &g.path());
  EXPECT_EQ(*z2->file, root.dir() + "/model.safetensors");
}

TEST(SafetensorsFile, ErrorsNameTheFile) {
  qeff_test::TempDir dir;
  qeff_test::write_file(dir / "empty.safetensors", "");
  qeff_test::write_file(dir / "bad.safetensors", qeff_test::safetensors_raw("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
  std::string trailing = qeff_test::safetensors_file({{"w", {2}}}) + "junk";
  qeff_test::write_file(dir / "trailing.safetensors", trailing);
  qeff::FileRoot root(qeff::canonical_directory(dir.str()));
  EXPECT_QEFF_ERROR(SafetensorsFile::open(root.map("empty.safetensors"), {}), QEFF_E_FORMAT,
                    "empty.safetensors", "header too small", "0 bytes");
  EXPECT_QEFF_ERROR(SafetensorsFile::open(root.map("bad.safetensors"), {}), QEFF_E_FORMAT,
                    "bad.safetensors", "unknown dtype \"Q4_K\"");
  EXPECT_QEFF_ERROR(SafetensorsFile::open(root.map("trailing.safetensors"), {}), QEFF_E_FORMAT,
                    "trailing.safetensors", "4 extra bytes");
  EXPECT_QEFF_ERROR(root.map("absent.safetensors"), QEFF_E_NOT_FOUND, "absent.safetensors");
}

}  // namespace
