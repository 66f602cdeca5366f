#include "compiler/fuse.hpp"

#include <cmath>
#include <cstring>
#include <set>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "compiler/aligned.hpp"
#include "kernels/gemm.hpp"
#include "ops/int4.hpp"
#include "ops/linear.hpp"

namespace qeff::compiler {
namespace {

using graph::Attribute;
using graph::Node;

// Readers of each value: node indices, and whether a graph output reads it.
struct Uses {
  std::map<std::string, std::vector<size_t>> readers;
  std::set<std::string> outputs;

  // Nodes in `dead` (merged by an earlier rule, removed at the end) read nothing.
  Uses(const SpecializedGraph &g, const std::set<size_t> &dead) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (!dead.count(i))
        for (const auto &in : g.nodes[i].inputs)
        if (!in.empty()) readers[in].push_back(i);
    outputs.insert(g.outputs.begin(), g.outputs.end());
  }
  // The only reader of `value`, when it has exactly one and is not an output.
  std::optional<size_t> sole_reader(const std::string &value) const {
    auto it = readers.find(value);
    if (outputs.count(value) || it == readers.end() || it->second.size() != 1) return std::nullopt;
    return it->second[0];
  }
};

bool is(const Node &n, const char *op) { return n.domain.empty() && n.op_type == op; }
bool is_packed(const Node &n) { return n.domain == ops::kCpuDomain && n.op_type == "PackedMatMul"; }

const Attribute *attr(const Node &n, const char *name) { return n.attribute(name); }
int64_t attr_int(const Node &n, const char *name, int64_t fallback) {
  const Attribute *a = attr(n, name);
  return a && std::holds_alternative<int64_t>(a->value) ? std::get<int64_t>(a->value) : fallback;
}
double attr_float(const Node &n, const char *name, double fallback) {
  const Attribute *a = attr(n, name);
  return a && std::holds_alternative<double>(a->value) ? std::get<double>(a->value) : fallback;
}
std::string attr_string(const Node &n, const char *name, const std::string &fallback) {
  const Attribute *a = attr(n, name);
  return a && std::holds_alternative<std::string>(a->value) ? std::get<std::string>(a->value) : fallback;
}
void set_attr(Node &n, const std::string &name, graph::AttributeValue v) {
  for (auto &a : n.attributes)
    if (a.name == name) {
      a.value = std::move(v);
      return;
    }
  n.attributes.push_back({name, std::move(v)});
}

// The single f32 value of a compile-time scalar (any rank, one element).
std::optional<float> scalar(const SpecializedGraph &g, const std::string &name) {
  auto it = g.known.find(name);
  if (it == g.known.end() || it->second.type.dtype != QEFF_DTYPE_F32 || graph::numel(it->second.type.shape) != 1u)
    return std::nullopt;
  float v;
  std::memcpy(&v, it->second.data.data(), 4);
  return v;
}

// The input of binary node `n` that is not `value` (empty when both or neither are).
std::string other_input(const Node &n, const std::string &value) {
  if (n.inputs.size() != 2 || (n.inputs[0] == value) == (n.inputs[1] == value)) return {};
  return n.inputs[0] == value ? n.inputs[1] : n.inputs[0];
}

bool near(std::optional<float> v, double target) { return v && std::fabs(*v - target) <= 1e-6 * std::fabs(target); }

class Fuser {
 public:
  Fuser(SpecializedGraph &g, FoldCache &cache, const FuseOptions &o)
      : g_(g), cache_(cache), dtype_(o.weight_dtype), keep_int4_(!o.dequantize_int4), int4_group_(o.int4_group) {}

  void run() {
    pass(&Fuser::gelu_erf);
    pass(&Fuser::int4_weights);
    pass(&Fuser::pack_weights);
    pass(&Fuser::bias);
    pass(&Fuser::activation);
    pass(&Fuser::residual);
    pass(&Fuser::shared_input);
    pass(&Fuser::mxint8_attention);
    pass(&Fuser::seq_major_attention);
    pass(&Fuser::unit_transpose);
    std::vector<Node> kept;
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      if (!dead_.count(i)) kept.push_back(std::move(g_.nodes[i]));
    g_.nodes = std::move(kept);
  }

 private:
  using Rule = void (Fuser::*)(size_t, const Uses &);
  void pass(Rule rule) {
    Uses uses(g_, dead_);
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      if (!dead_.count(i)) (this->*rule)(i, uses);
  }

  // Replaces node `at` (the consumer) by `fused`, keeping the consumer's
  // outputs, and drops the producers in `consumed`.
  void replace(size_t at, Node fused, const std::vector<size_t> &consumed) {
    fused.outputs = g_.nodes[at].outputs;
    g_.node_opsets[opset_key(fused)] = 1;  // the qeff.cpu domain's only version
    g_.nodes[at] = std::move(fused);
    for (size_t c : consumed) dead_.insert(c);
  }

  // Mul(Mul(x, Add(Erf(Div(x, sqrt2)), 1)), 0.5) or Mul(Mul(x, 0.5), Add(...)),
  // at the final Mul: the exported forms of HF's exact GELU.
  void gelu_erf(size_t i, const Uses &uses) {
    Node &erf = g_.nodes[i];
    if (!is(erf, "Erf")) return;
    auto div_at = producer(erf.inputs[0]);
    if (!div_at) return;
    const Node &div = g_.nodes[*div_at];
    std::string x;
    if (is(div, "Div") && near(scalar(g_, div.inputs[1]), std::sqrt(2.0))) x = div.inputs[0];
    if (is(div, "Mul") && near(scalar(g_, div.inputs[1]), std::sqrt(0.5))) x = div.inputs[0];
    if (x.empty() || !uses.sole_reader(div.outputs[0])) return;
    auto add_at = uses.sole_reader(erf.outputs[0]);
    if (!add_at || !is(g_.nodes[*add_at], "Add") || !near(scalar(g_, other_input(g_.nodes[*add_at], erf.outputs[0])), 1.0))
      return;
    auto m1_at = uses.sole_reader(g_.nodes[*add_at].outputs[0]);
    if (!m1_at || !is(g_.nodes[*m1_at], "Mul")) return;
    std::string m1_other = other_input(g_.nodes[*m1_at], g_.nodes[*add_at].outputs[0]);
    size_t last;
    if (!g_.types.count(x)) return;
    std::vector<size_t> consumed = {*div_at, i, *add_at};
    if (m1_other == x) {  // form A: (x * (1 + erf)) * 0.5
      auto m2_at = uses.sole_reader(g_.nodes[*m1_at].outputs[0]);
      if (!m2_at || !is(g_.nodes[*m2_at], "Mul") || !near(scalar(g_, other_input(g_.nodes[*m2_at], g_.nodes[*m1_at].outputs[0])), 0.5))
        return;
      consumed.push_back(*m1_at);
      last = *m2_at;
    } else {  // form B: (x * 0.5) * (1 + erf)
      auto half_at = producer(m1_other);
      if (!half_at || !is(g_.nodes[*half_at], "Mul") || !uses.sole_reader(m1_other) ||
          other_input(g_.nodes[*half_at], x).empty() || !near(scalar(g_, other_input(g_.nodes[*half_at], x)), 0.5))
        return;
      consumed.push_back(*half_at);
      last = *m1_at;
    }
    if (type_of(x) != type_of(g_.nodes[last].outputs[0])) return;  // no broadcasting hidden in the pattern
    Node gelu{"Gelu", "", g_.nodes[last].name + "/gelu", {x}, g_.nodes[last].outputs, {}};
    g_.node_opsets[opset_key(gelu)] = 20;  // Gelu entered the default domain in opset 20
    g_.nodes[last] = std::move(gelu);
    for (size_t c : consumed) dead_.insert(c);
  }

  void pack_weights(size_t i, const Uses &) {
    Node &n = g_.nodes[i];
    bool transposed = false;
    std::string bias;
    if (is(n, "MatMul")) {
      if (type_of(n.inputs[0]).shape.size() < 2) return;
    } else if (is(n, "Gemm")) {
      if (attr_int(n, "transA", 0) != 0 || attr_float(n, "alpha", 1.0) != 1.0 || attr_float(n, "beta", 1.0) != 1.0)
        return;
      transposed = attr_int(n, "transB", 0) != 0;
      if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
        if (!bias_vector(n.inputs[2], weight_cols(n.inputs[1], transposed))) return;
        bias = n.inputs[2];
      }
    } else {
      return;
    }
    // B = Transpose(W) left unfolded by specialize: pack W as stored ([N, K]).
    std::string weight = n.inputs[1];
    if (g_.deferred.count(weight)) {
      auto t_at = producer(weight);
      if (!t_at) return;
      weight = g_.nodes[*t_at].inputs[0];
      transposed = true;
    }
    auto w = g_.known.find(weight);
    if (w == g_.known.end() || w->second.type.dtype != QEFF_DTYPE_F32 || w->second.type.shape.size() != 2) return;
    std::string key =
        weight + "|" + (transposed ? "t" : "n") + "|" + std::to_string(dtype_) + "|" + std::to_string(int4_group_);
    std::string packed_name = weight + (transposed ? ".packed_t" : ".packed");
    if (!cache_.packed.count(key)) {
      cancellation_point("packing weight " + quote(weight));
      cache_.packed[key] = packed_value(ops::pack_matmul_weight(w->second.view(), transposed, dtype_, int4_group_));
    }
    const FoldCache::Packed &p = cache_.packed.at(key);
    g_.known[packed_name] = p.value;
    Node fused{"PackedMatMul", ops::kCpuDomain, n.name, {n.inputs[0], packed_name, bias}, n.outputs, {}};
    fused.attributes = {{"k", p.k}, {"n", p.n}, {"format", p.format}, {"activation", std::string("none")}};
    g_.node_opsets[opset_key(fused)] = 1;
    g_.nodes[i] = std::move(fused);
  }

  // MatMul(x, Transpose(Int4Dequantize(q, scale, zero_point))) with constant
  // q, scale and zero_point (a pre-quantized checkpoint's Linear) ->
  // PackedMatMul: the 4-bit values packed unchanged (ops::pack_int4_weight),
  // or, with compile.quantized_checkpoint = dequantize, the exact f32 weight
  // stored as compile.weight_dtype.
  void int4_weights(size_t i, const Uses &uses) {
    Node &mm = g_.nodes[i];
    if (!is(mm, "MatMul") || type_of(mm.inputs[0]).shape.size() < 2) return;
    auto t_at = producer(mm.inputs[1]);
    if (!t_at || !uses.sole_reader(mm.inputs[1])) return;
    const Node &t = g_.nodes[*t_at];
    if (!is_transpose(t, {1, 0})) return;
    auto d_at = producer(t.inputs[0]);
    if (!d_at || !uses.sole_reader(t.inputs[0])) return;
    const Node &d = g_.nodes[*d_at];
    if (d.domain != "qeff" || d.op_type != "Int4Dequantize" || d.inputs.size() != 3) return;
    for (const auto &in : d.inputs)
      if (!g_.known.count(in)) return;
    const qeff_dtype storage = keep_int4_ ? QEFF_DTYPE_U4 : dtype_;
    const std::string key = d.inputs[0] + "|int4|" + std::to_string(storage) + "|" + std::to_string(int4_group_);
    const std::string packed_name = d.inputs[0] + ".packed";
    if (!cache_.packed.count(key)) {
      cancellation_point("packing weight " + quote(d.inputs[0]));
      ops::PackedWeight pw = ops::pack_int4_weight(d, g_.known.at(d.inputs[0]).view(), g_.known.at(d.inputs[1]).view(),
                                                   g_.known.at(d.inputs[2]).view(), keep_int4_, dtype_, int4_group_);
      cache_.packed[key] = packed_value(std::move(pw));
    }
    const FoldCache::Packed &p = cache_.packed.at(key);
    g_.known[packed_name] = p.value;
    Node fused{"PackedMatMul", ops::kCpuDomain, mm.name, {mm.inputs[0], packed_name, ""}, mm.outputs, {}};
    fused.attributes = {{"k", p.k}, {"n", p.n}, {"format", p.format}, {"activation", std::string("none")}};
    replace(i, std::move(fused), {*t_at, *d_at});
  }

  static FoldCache::Packed packed_value(ops::PackedWeight pw) {
    FoldCache::Packed p;
    const uint64_t size = pw.bytes.size();
    p.value.type = ops::make_type(QEFF_DTYPE_U8, {static_cast<int64_t>(size)});
    p.value.data = adopt_aligned(pw.bytes.release(), size);  // no copy: packed in aligned memory
    p.value.spec_independent = true;
    p.format = pw.format, p.k = pw.k, p.n = pw.n;
    return p;
  }

  void bias(size_t i, const Uses &uses) {
    Node &mm = g_.nodes[i];
    if (!is_packed(mm) || !mm.inputs[2].empty() || attr_string(mm, "activation", "none") != "none" || mm.inputs.size() > 3)
      return;
    auto add_at = uses.sole_reader(mm.outputs[0]);
    if (!add_at || !is(g_.nodes[*add_at], "Add")) return;
    std::string b = other_input(g_.nodes[*add_at], mm.outputs[0]);
    if (b.empty() || !bias_vector(b, attr_int(mm, "n", 0))) return;
    if (type_of(g_.nodes[*add_at].outputs[0]) != type_of(mm.outputs[0])) return;
    Node fused = mm;
    fused.inputs[2] = b;
    replace(*add_at, std::move(fused), {i});
  }

  void activation(size_t i, const Uses &uses) {
    Node &mm = g_.nodes[i];
    if (!is_packed(mm) || attr_string(mm, "activation", "none") != "none" || mm.inputs.size() > 3) return;
    const std::string &y = mm.outputs[0];
    std::string act;
    size_t at = 0;
    std::vector<size_t> consumed = {i};
    if (auto r = uses.sole_reader(y)) {
      const Node &c = g_.nodes[*r];
      if (is(c, "Relu")) act = "relu";
      if (is(c, "Sigmoid")) act = "sigmoid";
      if (is(c, "Tanh")) act = "tanh";
      if (is(c, "Gelu")) act = attr_string(c, "approximate", "none") == "tanh" ? "gelu_tanh" : "gelu_erf";
      at = *r;
    } else if (auto it = uses.readers.find(y); it != uses.readers.end() && it->second.size() == 2 && !uses.outputs.count(y)) {
      // SiLU: Mul(y, Sigmoid(y)), in either operand order.
      size_t a = it->second[0], b = it->second[1];
      if (is(g_.nodes[b], "Sigmoid")) std::swap(a, b);
      if (is(g_.nodes[a], "Sigmoid") && is(g_.nodes[b], "Mul") && uses.sole_reader(g_.nodes[a].outputs[0]) == b &&
          other_input(g_.nodes[b], y) == g_.nodes[a].outputs[0] && b > a) {
        act = "silu";
        at = b;
        consumed.push_back(a);
      }
    }
    if (act.empty() || type_of(g_.nodes[at].outputs[0]) != type_of(y)) return;
    Node fused = mm;
    set_attr(fused, "activation", act);
    replace(at, std::move(fused), consumed);
  }

  void residual(size_t i, const Uses &uses) {
    Node &mm = g_.nodes[i];
    if (!is_packed(mm) || mm.inputs.size() > 3) return;
    auto add_at = uses.sole_reader(mm.outputs[0]);
    if (!add_at || !is(g_.nodes[*add_at], "Add")) return;
    std::string r = other_input(g_.nodes[*add_at], mm.outputs[0]);
    if (r.empty() || g_.known.count(r) || !g_.types.count(r)) return;
    const auto &out_type = type_of(g_.nodes[*add_at].outputs[0]);
    if (type_of(r) != out_type || type_of(mm.outputs[0]) != out_type) return;
    Node fused = mm;
    fused.inputs.push_back(r);
    replace(*add_at, std::move(fused), {i});
  }

  // Attention(Q, MxInt8Dequantize(K8), MxInt8Dequantize(V8), mask) ->
  // qeff.cpu.Attention(Q, K8, V8, mask): the MXINT8 cache is read in place,
  // a key block at a time, instead of widened whole every step.
  void mxint8_attention(size_t i, const Uses &uses) {
    const Node &att = g_.nodes[i];
    if (att.domain != "qeff" || att.op_type != "Attention" || att.inputs.size() != 4) return;
    std::optional<size_t> deq[2];
    for (int j = 0; j < 2; ++j) {
      const std::string &x = att.inputs[static_cast<size_t>(1 + j)];
      deq[j] = producer(x);
      if (!deq[j] || !uses.sole_reader(x)) return;
      const Node &d = g_.nodes[*deq[j]];
      if (d.domain != "qeff" || d.op_type != "MxInt8Dequantize" || d.inputs.size() != 1) return;
    }
    if (deq[0] == deq[1]) return;
    Node fused = att;
    fused.domain = ops::kCpuDomain;
    fused.inputs[1] = g_.nodes[*deq[0]].inputs[0];
    fused.inputs[2] = g_.nodes[*deq[1]].inputs[0];
    set_attr(fused, "v_dim", attr_int(g_.nodes[*deq[1]], "dim", 0));
    replace(i, std::move(fused), {*deq[0], *deq[1]});
  }

  // PackedMatMuls reading one A whose weights quantize A at run time (int8,
  // 4-bit, MXFP6), of one format and one k, without a residual -> one
  // qeff.cpu.PackedMatMulGroup at the first one's place (A quantized once,
  // the products' tiles one task list): an attention's q, k and v
  // projections, a gated MLP's gate and up.
  void shared_input(size_t i, const Uses &uses) {
    const Node &first = g_.nodes[i];
    if (!groupable(first)) return;
    const std::string format = attr_string(first, "format", "");
    const int64_t k = attr_int(first, "k", -1);
    std::vector<size_t> members = {i};
    for (size_t r : uses.readers.at(first.inputs[0]))
      if (r > i && !dead_.count(r) && members.size() < static_cast<size_t>(kernels::kGemmMaxGroup) &&
          groupable(g_.nodes[r]) && g_.nodes[r].inputs[0] == first.inputs[0] &&
          attr_string(g_.nodes[r], "format", "") == format && attr_int(g_.nodes[r], "k", -1) == k)
        members.push_back(r);
    if (members.size() < 2) return;
    Node group{"PackedMatMulGroup", ops::kCpuDomain, first.name + "/group", {first.inputs[0]}, {}, {}};
    std::vector<int64_t> ns;
    std::vector<std::string> activations;
    for (size_t m : members) {
      const Node &n = g_.nodes[m];
      group.inputs.push_back(n.inputs[1]);
      group.inputs.push_back(n.inputs.size() > 2 ? n.inputs[2] : "");
      group.outputs.push_back(n.outputs[0]);
      ns.push_back(attr_int(n, "n", 0));
      activations.push_back(attr_string(n, "activation", "none"));
    }
    set_attr(group, "k", k);
    set_attr(group, "format", format);
    set_attr(group, "ns", ns);
    set_attr(group, "activations", activations);
    g_.node_opsets[opset_key(group)] = 1;
    g_.nodes[i] = std::move(group);
    for (size_t j = 1; j < members.size(); ++j) dead_.insert(members[j]);
  }

  static bool groupable(const Node &n) {
    kernels::GemmStorage s;
    return is_packed(n) && n.inputs.size() <= 3 && kernels::parse_gemm_format(attr_string(n, "format", ""), &s) &&
           kernels::gemm_quantizes_a(s);
  }

  // Transpose(Attention(Transpose(q), Transpose(k), Transpose(v), mask)),
  // every Transpose swapping axes 1 and 2 (heads and positions), num_kv_groups
  // 1 -> qeff.cpu.AttentionBSHD(q, k, v, mask): the kernel reads and writes
  // the sequence-major layout, so the four copies are gone (the Reshapes
  // around them are views).
  void seq_major_attention(size_t i, const Uses &uses) {
    const Node &att = g_.nodes[i];
    if (att.domain != "qeff" || att.op_type != "Attention" || att.inputs.size() != 4) return;
    if (attr_int(att, "num_kv_groups", 0) != 1) return;
    auto out_at = uses.sole_reader(att.outputs[0]);
    if (!out_at || !swaps_heads(g_.nodes[*out_at])) return;
    Node fused = att;
    std::vector<size_t> consumed = {i};
    for (size_t j = 0; j < 3; ++j) {
      auto t = producer(att.inputs[j]);
      if (!t || !swaps_heads(g_.nodes[*t]) || !uses.sole_reader(att.inputs[j])) return;
      fused.inputs[j] = g_.nodes[*t].inputs[0];
      consumed.push_back(*t);
    }
    fused.domain = ops::kCpuDomain;
    fused.op_type = "AttentionBSHD";
    replace(*out_at, std::move(fused), consumed);
  }

  // Transpose(x) whose permutation keeps the order of x's axes longer than 1
  // (it only moves axes of size 1: decode's [b, 1, heads, d] <-> [b, heads,
  // 1, d] around attention) -> Reshape(x, its output shape): the same bytes
  // in the same order, so a view instead of a copy (88 copies per TinyLlama
  // decode step).
  void unit_transpose(size_t i, const Uses &) {
    const Node &n = g_.nodes[i];
    if (!is(n, "Transpose") || n.inputs.size() != 1 || n.outputs.size() != 1) return;
    auto opset = g_.node_opsets.find(opset_key(n));
    if (opset == g_.node_opsets.end() || opset->second < 5) return;  // Reshape takes its shape as an input from opset 5
    const std::string shape_name = n.outputs[0] + ".unit_transpose_shape";
    if (g_.known.count(shape_name) || g_.types.count(shape_name)) return;
    auto in = g_.types.find(n.inputs[0]), out = g_.types.find(n.outputs[0]);
    if (in == g_.types.end() || out == g_.types.end() || !graph::is_fixed(in->second.shape)) return;
    const auto &shape = in->second.shape;
    std::vector<int64_t> perm(shape.size());
    for (size_t d = 0; d < perm.size(); ++d) perm[d] = static_cast<int64_t>(perm.size() - 1 - d);  // the default: reversed
    if (const Attribute *a = attr(n, "perm")) {
      if (!std::holds_alternative<std::vector<int64_t>>(a->value)) return;
      perm = std::get<std::vector<int64_t>>(a->value);
    }
    if (perm.size() != shape.size()) return;
    int64_t last = -1;  // the last axis longer than 1 taken, in input order
    for (int64_t axis : perm) {
      if (axis < 0 || axis >= static_cast<int64_t>(shape.size())) return;
      if (shape[static_cast<size_t>(axis)].value == 1) continue;
      if (axis < last) return;
      last = axis;
    }
    std::vector<int64_t> dims;
    for (const auto &d : out->second.shape) {
      if (d.value == 0) return;  // Reshape would read a 0 as "the input's size"
      dims.push_back(d.value);
    }
    std::vector<uint8_t> bytes(dims.size() * sizeof(int64_t));
    if (!bytes.empty()) std::memcpy(bytes.data(), dims.data(), bytes.size());
    g_.known[shape_name] = {ops::make_type(QEFF_DTYPE_I64, {static_cast<int64_t>(dims.size())}),
                            graph::WeightData::owned(std::move(bytes))};
    Node reshape{"Reshape", "", n.name, {n.inputs[0], shape_name}, n.outputs, {}};
    g_.nodes[i] = std::move(reshape);  // keeps its output, so its opset entry
  }

  static bool swaps_heads(const Node &n) { return is_transpose(n, {0, 2, 1, 3}); }

  // The type of a run-time or compile-time value.
  const graph::TensorType &type_of(const std::string &value) const {
    if (auto it = g_.types.find(value); it != g_.types.end()) return it->second;
    return g_.known.at(value).type;
  }

  std::optional<size_t> producer(const std::string &value) const {
    for (size_t j = 0; j < g_.nodes.size(); ++j)
      if (!dead_.count(j))
        for (const auto &o : g_.nodes[j].outputs)
          if (o == value) return j;
    return std::nullopt;
  }
  int64_t weight_cols(const std::string &w, bool transposed) const {
    auto it = g_.known.find(w);
    if (it == g_.known.end() || it->second.type.shape.size() != 2) return -1;
    return it->second.type.shape[transposed ? 0 : 1].value;
  }
  // A compile-time f32 vector of n elements ([n] or [1, ..., n]).
  bool bias_vector(const std::string &b, int64_t n) const {
    auto it = g_.known.find(b);
    if (it == g_.known.end() || it->second.type.dtype != QEFF_DTYPE_F32 || it->second.type.shape.empty()) return false;
    const auto &s = it->second.type.shape;
    for (size_t d = 0; d + 1 < s.size(); ++d)
      if (s[d].value != 1) return false;
    return s.back().value == n;
  }

  SpecializedGraph &g_;
  FoldCache &cache_;
  qeff_dtype dtype_;
  bool keep_int4_;
  int64_t int4_group_;
  std::set<size_t> dead_;
};

}  // namespace

void fuse(SpecializedGraph &g, FoldCache &cache, const FuseOptions &options) {
  Fuser(g, cache, options).run();
  remove_dead_nodes(g);
}

void remove_dead_nodes(SpecializedGraph &g) {
  std::set<std::string> live(g.outputs.begin(), g.outputs.end());
  std::vector<bool> keep(g.nodes.size(), false);
  for (size_t i = g.nodes.size(); i-- > 0;) {
    for (const auto &o : g.nodes[i].outputs) keep[i] = keep[i] || live.count(o);
    if (keep[i]) live.insert(g.nodes[i].inputs.begin(), g.nodes[i].inputs.end());
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (keep[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
  for (auto it = g.known.begin(); it != g.known.end();) it = live.count(it->first) ? std::next(it) : g.known.erase(it);
}

}  // namespace qeff::compiler
