#include "hub/quantization.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "hub/checkpoint.hpp"
#include "hub/safetensors.hpp"

namespace qeff::hub {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

void need_bits4(const JsonView &v) {
  const int64_t bits = v.as_int(1, 64);
  if (bits != 4)
    v.fail_here(QEFF_E_UNSUPPORTED, "is " + std::to_string(bits) + ": qeff reads 4-bit checkpoints only (quantize "
                                    "the fp weights at compile time with compile.weight_dtype instead)");
}

int64_t group_size(const JsonView &v) {
  if (!v.present()) v.fail_here(QEFF_E_CONFIG, "is missing (the number of k per scale, or -1)");
  const int64_t g = v.as_int(-1, int64_t{1} << 31);
  if (g == 0 || g < -1) v.fail_here(QEFF_E_CONFIG, "is " + std::to_string(g) + " (expected a positive size or -1)");
  return g;
}

QuantizationConfig parse_awq(const JsonView &q) {
  QuantizationConfig c;
  c.method = QuantMethod::awq;
  need_bits4(q.get(q.get("bits").present() ? "bits" : "w_bit"));
  c.group_size = group_size(q.get(q.get("group_size").present() ? "group_size" : "q_group_size"));
  const std::string version = lower(q.opt_string("version").value_or("gemm"));
  if (version != "gemm")
    q.get("version").fail_here(QEFF_E_UNSUPPORTED, "is " + quote(version) +
                                                       ": qeff reads AWQ \"gemm\" checkpoints (gemv, marlin and "
                                                       "exllama packings are not supported)");
  if (!q.opt_bool("zero_point").value_or(true))
    q.get("zero_point").fail_here(QEFF_E_UNSUPPORTED, "is false: qeff reads AWQ checkpoints with zero points");
  return c;
}

QuantizationConfig parse_gptq(const JsonView &q) {
  QuantizationConfig c;
  c.method = QuantMethod::gptq;
  need_bits4(q.get("bits"));
  c.group_size = group_size(q.get("group_size"));
  const std::string format = lower(q.opt_string("checkpoint_format").value_or("gptq"));
  if (format == "gptq_v2")
    c.gptq_zero_minus_one = false;
  else if (format != "gptq")
    q.get("checkpoint_format").fail_here(QEFF_E_UNSUPPORTED, "is " + quote(format) +
                                                                 " (qeff reads \"gptq\" and \"gptq_v2\")");
  return c;
}

QuantizationConfig parse_compressed_tensors(const JsonView &q) {
  QuantizationConfig c;
  c.method = QuantMethod::compressed_tensors;
  const std::string format = q.opt_string("format").value_or("");
  if (format != "pack-quantized")
    q.get("format").fail_here(QEFF_E_UNSUPPORTED, "is " + quote(format) +
                                                      ": qeff reads compressed-tensors \"pack-quantized\" int4 "
                                                      "weights only");
  const JsonView groups = q.get("config_groups");
  if (!groups.is_object() || groups.size() == 0)
    groups.fail_here(QEFF_E_CONFIG, "must be an object of quantization schemes");
  for (const std::string &name : groups.keys()) {
    const JsonView g = groups.get(name);
    const JsonView acts = g.get("input_activations");
    if (acts.present())
      acts.fail_here(QEFF_E_UNSUPPORTED, "is set: quantized activations (W4A4, W8A8 schemes) are not supported, "
                                         "only weight-only int4");
    const JsonView w = g.get("weights");
    if (!w.is_object()) w.fail_here(QEFF_E_CONFIG, "must be an object");
    need_bits4(w.get("num_bits"));
    const std::string type = w.opt_string("type").value_or("int");
    if (type != "int") w.get("type").fail_here(QEFF_E_UNSUPPORTED, "is " + quote(type) + " (qeff reads int weights)");
    if (!w.opt_bool("symmetric").value_or(true))
      w.get("symmetric").fail_here(QEFF_E_UNSUPPORTED, "is false: qeff reads symmetric compressed-tensors int4");
    const std::string strategy = w.opt_string("strategy").value_or("");
    int64_t gs = -1;
    if (strategy == "group")
      gs = group_size(w.get("group_size"));
    else if (strategy != "channel")
      w.get("strategy").fail_here(QEFF_E_UNSUPPORTED, "is " + quote(strategy) + " (qeff reads \"group\" and \"channel\")");
    if (c.group_size != -1 && gs != c.group_size)
      groups.fail_here(QEFF_E_UNSUPPORTED, "mixes group sizes " + std::to_string(c.group_size) + " and " +
                                               std::to_string(gs));
    c.group_size = gs;
  }
  return c;
}

const TensorView &need(const Checkpoint &w, const std::string &name, qeff_dtype dtype,
                       const std::vector<int64_t> &shape, const std::string &why) {
  const TensorView *t = w.find(name);
  if (t == nullptr)
    fail(QEFF_E_MISMATCH, "the checkpoint has no tensor " + quote(name) + " (" + why + ", shape " +
                              shape_text(shape) + ")");
  if (t->dtype != dtype)
    fail(QEFF_E_MISMATCH, *t->file + ": tensor " + quote(name) + " has dtype " + qeff_dtype_name(t->dtype) +
                              ", expected " + qeff_dtype_name(dtype) + " (" + why + ")");
  if (t->shape != shape)
    fail(QEFF_E_MISMATCH, *t->file + ": tensor " + quote(name) + " has shape " + shape_text(t->shape) +
                              ", expected " + shape_text(shape) + " (" + why + ")");
  return *t;
}

// The scale tensor: a float of the given shape (F16, BF16 or F32).
const TensorView &need_scales(const Checkpoint &w, const std::string &name, const std::vector<int64_t> &shape) {
  const TensorView *t = w.find(name);
  qeff_dtype d = t != nullptr ? t->dtype : QEFF_DTYPE_F16;
  if (d != QEFF_DTYPE_F16 && d != QEFF_DTYPE_BF16 && d != QEFF_DTYPE_F32)
    fail(QEFF_E_MISMATCH, *t->file + ": tensor " + quote(name) + " has dtype " + qeff_dtype_name(d) +
                              ", expected F16, BF16 or F32 (int4 scales)");
  return need(w, name, d, shape, "int4 scales");
}

uint32_t word(const TensorView &t, int64_t i) {
  uint32_t v;
  std::memcpy(&v, t.data + i * 4, 4);
  return v;
}

// The canonical buffers, allocated once the tensors' shapes are checked
// (their sizes then follow from bytes that exist).
void allocate(Int4Linear &l) {
  l.values.assign(static_cast<size_t>(l.out * ((l.in + 1) / 2)), 0);
  l.zeros.assign(static_cast<size_t>(l.out * l.groups()), 0);
}

void set_value(Int4Linear &l, int64_t n, int64_t k, unsigned v) {
  l.values[n * ((l.in + 1) / 2) + k / 2] |= static_cast<uint8_t>((v & 15) << (k % 2 * 4));
}

// scales[g][n] (AWQ / GPTQ) or scales[n][g] (compressed-tensors) -> [n][g].
void copy_scales(Int4Linear &l, const TensorView &s, bool transposed) {
  const size_t es = s.dtype == QEFF_DTYPE_F32 ? 4 : 2;
  const int64_t groups = l.groups();
  l.scale_dtype = s.dtype;
  l.scales.resize(static_cast<size_t>(l.out * groups) * es);
  for (int64_t n = 0; n < l.out; ++n)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t from = transposed ? g * l.out + n : n * groups + g;
      std::memcpy(l.scales.data() + (n * groups + g) * es, s.data + from * es, es);
    }
}

// Group size from the config (-1: one group spanning all of K).
int64_t resolve_group(const QuantizationConfig &q, int64_t in) { return q.group_size < 0 ? in : q.group_size; }

constexpr int kAwqOrder[8] = {0, 2, 4, 6, 1, 3, 5, 7};  // nibble i of a word holds column 8 c + kAwqOrder[i]
constexpr int kPlainOrder[8] = {0, 1, 2, 3, 4, 5, 6, 7};

// Zero points packed 8 columns per I32 word, [groups, out/8] (AWQ, GPTQ):
// nibble i of word c holds column 8 c + order[i]; `offset` is added (GPTQ v1
// stores zero - 1).
void unpack_zeros(const TensorView &qz, const int (&order)[8], unsigned offset, Int4Linear &l) {
  const int64_t groups = l.groups(), cols = l.out / 8;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t c = 0; c < cols; ++c) {
      const uint32_t v = word(qz, g * cols + c);
      for (int i = 0; i < 8; ++i)
        l.zeros[(8 * c + order[i]) * groups + g] = static_cast<uint8_t>(((v >> (4 * i)) & 15) + offset);
    }
}

void read_awq(const Checkpoint &w, const std::string &p, Int4Linear &l) {
  const int64_t groups = l.groups(), cols = l.out / 8;
  const TensorView &qw = need(w, p + ".qweight", QEFF_DTYPE_I32, {l.in, cols}, "AWQ packed int4 weight [in, out/8]");
  const TensorView &qz = need(w, p + ".qzeros", QEFF_DTYPE_I32, {groups, cols}, "AWQ packed zero points");
  copy_scales(l, need_scales(w, p + ".scales", {groups, l.out}), true);
  allocate(l);
  for (int64_t k = 0; k < l.in; ++k)
    for (int64_t c = 0; c < cols; ++c) {
      const uint32_t v = word(qw, k * cols + c);
      for (int i = 0; i < 8; ++i) set_value(l, 8 * c + kAwqOrder[i], k, v >> (4 * i));
    }
  unpack_zeros(qz, kAwqOrder, 0, l);
}

void read_gptq(const Checkpoint &w, const QuantizationConfig &q, const std::string &p, Int4Linear &l) {
  const int64_t groups = l.groups(), cols = l.out / 8;
  const TensorView &qw =
      need(w, p + ".qweight", QEFF_DTYPE_I32, {l.in / 8, l.out}, "GPTQ packed int4 weight [in/8, out]");
  const TensorView &qz = need(w, p + ".qzeros", QEFF_DTYPE_I32, {groups, cols}, "GPTQ packed zero points");
  copy_scales(l, need_scales(w, p + ".scales", {groups, l.out}), true);
  if (const TensorView *gi = w.find(p + ".g_idx"); gi != nullptr) {
    need(w, p + ".g_idx", QEFF_DTYPE_I32, {l.in}, "GPTQ group of each input row");
    for (int64_t k = 0; k < l.in; ++k)
      if (static_cast<int64_t>(static_cast<int32_t>(word(*gi, k))) != k / l.group)
        fail(QEFF_E_UNSUPPORTED, *gi->file + ": tensor " + quote(gi->name) + " element " + std::to_string(k) + " is " +
                                     std::to_string(static_cast<int32_t>(word(*gi, k))) + ", expected " +
                                     std::to_string(k / l.group) +
                                     ": act-order (desc_act) checkpoints whose groups are reordered are not supported");
  }
  allocate(l);
  for (int64_t r = 0; r < l.in / 8; ++r)
    for (int64_t n = 0; n < l.out; ++n) {
      const uint32_t v = word(qw, r * l.out + n);
      for (int i = 0; i < 8; ++i) set_value(l, n, 8 * r + i, v >> (4 * i));
    }
  unpack_zeros(qz, kPlainOrder, q.gptq_zero_minus_one ? 1 : 0, l);
}

void read_compressed_tensors(const Checkpoint &w, const std::string &p, Int4Linear &l) {
  const int64_t groups = l.groups(), words = (l.in + 7) / 8;
  const TensorView &qw = need(w, p + ".weight_packed", QEFF_DTYPE_I32, {l.out, words},
                              "compressed-tensors packed int4 weight [out, in/8]");
  copy_scales(l, need_scales(w, p + ".weight_scale", {l.out, groups}), false);
  if (w.find(p + ".weight_zero_point") != nullptr)
    fail(QEFF_E_UNSUPPORTED, "tensor " + quote(p + ".weight_zero_point") +
                                 ": asymmetric compressed-tensors int4 is not supported (symmetric only)");
  if (const TensorView *s = w.find(p + ".weight_shape"); s != nullptr) {
    const TensorView &t = need(w, p + ".weight_shape", QEFF_DTYPE_I64, {2}, "the unpacked shape [out, in]");
    int64_t shape[2];
    std::memcpy(shape, t.data, 16);
    if (shape[0] != l.out || shape[1] != l.in)
      fail(QEFF_E_MISMATCH, *s->file + ": tensor " + quote(s->name) + " is [" + std::to_string(shape[0]) + ", " +
                                std::to_string(shape[1]) + "], expected [" + std::to_string(l.out) + ", " +
                                std::to_string(l.in) + "] from config.json");
  }
  allocate(l);
  for (int64_t n = 0; n < l.out; ++n)
    for (int64_t c = 0; c < words; ++c) {
      const uint32_t v = word(qw, n * words + c);
      for (int i = 0; i < 8 && 8 * c + i < l.in; ++i) set_value(l, n, 8 * c + i, v >> (4 * i));
    }
  std::fill(l.zeros.begin(), l.zeros.end(), uint8_t{8});  // values are stored offset by 8
}

}  // namespace

std::optional<QuantizationConfig> parse_quantization_config(const JsonView &config) {
  const JsonView q = config.get("quantization_config");
  if (!q.present()) return std::nullopt;
  if (!q.is_object()) q.type_error("an object");
  const JsonView m = q.get("quant_method");
  if (!m.present()) m.fail_here(QEFF_E_CONFIG, "is missing");
  const std::string method = m.as_string();
  QuantizationConfig c;
  if (method == "awq")
    c = parse_awq(q);
  else if (method == "gptq")
    c = parse_gptq(q);
  else if (method == "compressed-tensors")
    c = parse_compressed_tensors(q);
  else
    m.fail_here(QEFF_E_UNSUPPORTED, "is " + quote(method) +
                                        ": qeff reads int4 checkpoints of awq, gptq and compressed-tensors "
                                        "(pack-quantized); load the fp checkpoint and set compile.weight_dtype");
  c.name = method;
  return c;
}

std::string int4_marker_tensor(const QuantizationConfig &q, const std::string &prefix) {
  return prefix + (q.method == QuantMethod::compressed_tensors ? ".weight_packed" : ".qweight");
}

Int4Linear read_int4_linear(const Checkpoint &weights, const QuantizationConfig &q, const std::string &prefix,
                            int64_t out, int64_t in) {
  cancellation_point("reading the int4 weight " + quote(prefix));
  Int4Linear l;
  l.out = out;
  l.in = in;
  l.group = resolve_group(q, in);
  if (q.method != QuantMethod::compressed_tensors && (out % 8 != 0 || (q.method == QuantMethod::gptq && in % 8 != 0)))
    fail(QEFF_E_UNSUPPORTED, "quantized Linear " + quote(prefix) + " is [" + std::to_string(out) + ", " +
                                 std::to_string(in) + "]: " + q.name + " packs 8 values per word, so " +
                                 (out % 8 != 0 ? "out" : "in") + " must be a multiple of 8");
  switch (q.method) {
    case QuantMethod::awq: read_awq(weights, prefix, l); break;
    case QuantMethod::gptq: read_gptq(weights, q, prefix, l); break;
    case QuantMethod::compressed_tensors: read_compressed_tensors(weights, prefix, l); break;
  }
  return l;
}

}  // namespace qeff::hub
