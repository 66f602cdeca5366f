#include "common/dtype.hpp"

namespace qeff {
namespace {

struct DtypeInfo {
  qeff_dtype dtype;
  const char *name;
  unsigned bits;
  bool is_float;
};

constexpr DtypeInfo kDtypes[] = {
    {QEFF_DTYPE_F32, "F32", 32, true},        {QEFF_DTYPE_F16, "F16", 16, true},
    {QEFF_DTYPE_BF16, "BF16", 16, true},      {QEFF_DTYPE_F64, "F64", 64, true},
    {QEFF_DTYPE_I64, "I64", 64, false},       {QEFF_DTYPE_I32, "I32", 32, false},
    {QEFF_DTYPE_I16, "I16", 16, false},       {QEFF_DTYPE_I8, "I8", 8, false},
    {QEFF_DTYPE_U8, "U8", 8, false},          {QEFF_DTYPE_BOOL, "BOOL", 8, false},
    {QEFF_DTYPE_U16, "U16", 16, false},       {QEFF_DTYPE_U32, "U32", 32, false},
    {QEFF_DTYPE_U64, "U64", 64, false},       {QEFF_DTYPE_F8_E4M3, "F8_E4M3", 8, true},
    {QEFF_DTYPE_F8_E5M2, "F8_E5M2", 8, true}, {QEFF_DTYPE_F8_E8M0, "F8_E8M0", 8, true},
    {QEFF_DTYPE_F6_E2M3, "F6_E2M3", 6, true}, {QEFF_DTYPE_F6_E3M2, "F6_E3M2", 6, true},
    {QEFF_DTYPE_F4, "F4", 4, true},           {QEFF_DTYPE_C64, "C64", 64, false},
    {QEFF_DTYPE_U4, "U4", 4, false},
};

const DtypeInfo *info(qeff_dtype d) {
  for (const auto &i : kDtypes)
    if (i.dtype == d) return &i;
  return nullptr;
}

}  // namespace

std::optional<qeff_dtype> dtype_from_name(std::string_view name) {
  for (const auto &i : kDtypes)
    if (name == i.name) return i.dtype;
  return std::nullopt;
}

const char *dtype_name(qeff_dtype d) {
  const DtypeInfo *i = info(d);
  return i != nullptr ? i->name : "UNKNOWN";
}

unsigned dtype_bits(qeff_dtype d) {
  const DtypeInfo *i = info(d);
  return i != nullptr ? i->bits : 0;
}

bool dtype_is_float(qeff_dtype d) {
  const DtypeInfo *i = info(d);
  return i != nullptr && i->is_float;
}

}  // namespace qeff
