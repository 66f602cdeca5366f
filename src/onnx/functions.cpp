#include "onnx/functions.hpp"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <set>

#include "common/error.hpp"

namespace qeff::onnx_io {
namespace {

// Writes one function body node by node: n("Mul", {"a", "b"}, {"c"}).
class Body {
 public:
  explicit Body(onnx::FunctionProto *f) : f_(f) {}

  onnx::NodeProto *n(const char *op, std::vector<std::string> in, std::vector<std::string> out) {
    auto *node = f_->add_node();
    node->set_op_type(op);
    for (auto &i : in) node->add_input(i);
    for (auto &o : out) node->add_output(o);
    return node;
  }
  // A constant of a literal int64 list.
  void ints(const std::string &out, std::vector<int64_t> values) {
    auto *a = n("Constant", {}, {out})->add_attribute();
    a->set_name("value_ints");
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  // A scalar constant taken from the function's attribute `ref` (float or int).
  void from_attr(const std::string &out, const char *ref, bool is_float) {
    auto *a = n("Constant", {}, {out})->add_attribute();
    a->set_name(is_float ? "value_float" : "value_int");
    a->set_type(is_float ? onnx::AttributeProto_AttributeType_FLOAT : onnx::AttributeProto_AttributeType_INT);
    a->set_ref_attr_name(ref);
  }
  // A scalar float constant.
  void float_const(const std::string &out, float value) {
    auto *a = n("Constant", {}, {out})->add_attribute();
    a->set_name("value_float");
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(value);
  }
  // A scalar double constant (exact for the small integers and powers of two used here).
  void double_const(const std::string &out, float value) {
    float_const(out + "_f", value);
    attr_i(n("Cast", {out + "_f"}, {out}), "to", onnx::TensorProto_DataType_DOUBLE);
  }
  void attr_i(onnx::NodeProto *node, const char *name, int64_t v) {
    auto *a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(v);
  }
  void attr_ints(onnx::NodeProto *node, const char *name, std::vector<int64_t> v) {
    auto *a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t x : v) a->add_ints(x);
  }

 private:
  onnx::FunctionProto *f_;
};

// Y = X / sqrt(mean(X^2, -1) + epsilon) * weight   (HF LlamaRMSNorm, CustomRMSNorm)
void rms_norm(Body &b) {
  b.n("Mul", {"X", "X"}, {"sq"});
  b.attr_ints(b.n("ReduceMean", {"sq"}, {"var"}), "axes", {-1});
  b.from_attr("eps", "epsilon", true);
  b.n("CastLike", {"eps", "X"}, {"eps_t"});
  b.n("Add", {"var", "eps_t"}, {"var_eps"});
  b.n("Sqrt", {"var_eps"}, {"std"});
  b.n("Div", {"X", "std"}, {"normed"});
  b.n("Mul", {"normed", "weight"}, {"Y"});
}

// Y = X * cos + rotate_half(X) * sin, cos/sin unsqueezed at axis 1
// (HF apply_rotary_pos_emb; rotate_half(x) = concat(-x2, x1)).
void rotary(Body &b) {
  b.ints("axis1", {1});
  b.n("Unsqueeze", {"cos", "axis1"}, {"cos4"});
  b.n("Unsqueeze", {"sin", "axis1"}, {"sin4"});
  b.attr_i(b.n("Split", {"X"}, {"x1", "x2"}), "axis", -1);
  b.n("Neg", {"x2"}, {"neg_x2"});
  b.attr_i(b.n("Concat", {"neg_x2", "x1"}, {"rot"}), "axis", -1);
  b.n("Mul", {"X", "cos4"}, {"a"});
  b.n("Mul", {"rot", "sin4"}, {"c"});
  b.n("Add", {"a", "c"}, {"Y"});
}

// K, V [b, hkv, t, d] -> [b, hkv * g, t, d] (HF repeat_kv), named <x>_rep.
void repeat_kv(Body &b, const std::string &x) {
  b.n("Shape", {x}, {x + "_shape"});
  b.ints(x + "_i0", {0});
  b.ints(x + "_i1", {1});
  b.ints(x + "_i2", {2});
  b.ints(x + "_i4", {4});
  b.n("Slice", {x + "_shape", x + "_i0", x + "_i1"}, {x + "_b"});
  b.n("Slice", {x + "_shape", x + "_i1", x + "_i2"}, {x + "_h"});
  b.n("Slice", {x + "_shape", x + "_i2", x + "_i4"}, {x + "_td"});
  b.n("Unsqueeze", {x, x + "_i2"}, {x + "_5d"});
  b.attr_i(b.n("Concat", {x + "_b", x + "_h", "groups", x + "_td"}, {x + "_eshape"}), "axis", 0);
  b.n("Expand", {x + "_5d", x + "_eshape"}, {x + "_e"});
  b.n("Mul", {x + "_h", "groups"}, {x + "_hq"});
  b.attr_i(b.n("Concat", {x + "_b", x + "_hq", x + "_td"}, {x + "_rshape"}), "axis", 0);
  b.n("Reshape", {x + "_e", x + "_rshape"}, {x + "_rep"});
}

// Y = softmax(where(mask, masked_value, Q K^T * scale)) V with GQA (HF eager
// attention with repeat_kv; QEfficient's torch.where masking).
void attention(Body &b) {
  b.from_attr("g_scalar", "num_kv_groups", false);
  b.ints("axis0", {0});
  b.n("Unsqueeze", {"g_scalar", "axis0"}, {"groups"});
  // K and V may be a 16-bit cache: the math is in Q's type (no-ops for f32).
  b.n("CastLike", {"K", "Q"}, {"Kq"});
  b.n("CastLike", {"V", "Q"}, {"Vq"});
  repeat_kv(b, "Kq");
  repeat_kv(b, "Vq");
  b.attr_ints(b.n("Transpose", {"Kq_rep"}, {"Kt"}), "perm", {0, 1, 3, 2});
  b.n("MatMul", {"Q", "Kt"}, {"qk"});
  b.from_attr("scale_f", "scale", true);
  b.n("CastLike", {"scale_f", "Q"}, {"scale_t"});
  b.n("Mul", {"qk", "scale_t"}, {"scores"});
  b.from_attr("masked_f", "masked_value", true);
  b.n("CastLike", {"masked_f", "Q"}, {"masked_t"});
  b.n("Where", {"mask", "masked_t", "scores"}, {"masked"});
  b.attr_i(b.n("Softmax", {"masked"}, {"probs"}), "axis", -1);
  b.n("MatMul", {"probs", "Vq_rep"}, {"Y"});
}

// [b, h, s] index grids for the cache ops: batch and head indices and `ctx`
// ([b, s] positions) broadcast to [b, h, s, 3] ScatterND/GatherND indices.
void cache_indices(Body &b, const std::string &shape_of, const std::string &positions) {
  b.n("Shape", {shape_of}, {"shape"});
  b.ints("i0", {0});
  b.ints("i1", {1});
  b.ints("i2", {2});
  b.ints("i3", {3});
  b.ints("im1", {-1});
  b.n("Slice", {"shape", "i0", "i1"}, {"B"});
  b.n("Slice", {"shape", "i1", "i2"}, {"H"});
  b.n("Shape", {positions}, {"pshape"});
  b.n("Slice", {"pshape", "i1", "i2"}, {"S"});
  b.attr_i(b.n("Concat", {"B", "H", "S"}, {"bhs"}), "axis", 0);
  b.ints("zero", {0});
  b.ints("one", {1});
  b.n("Squeeze", {"B", "i0"}, {"B0"});
  b.n("Squeeze", {"H", "i0"}, {"H0"});
  b.n("Squeeze", {"zero", "i0"}, {"zero0"});
  b.n("Squeeze", {"one", "i0"}, {"one0"});
  b.n("Range", {"zero0", "B0", "one0"}, {"brange"});
  b.n("Range", {"zero0", "H0", "one0"}, {"hrange"});
  b.ints("bshape", {-1, 1, 1});
  b.ints("hshape", {1, -1, 1});
  b.n("Reshape", {"brange", "bshape"}, {"b3"});
  b.n("Reshape", {"hrange", "hshape"}, {"h3"});
  b.n("Expand", {"b3", "bhs"}, {"bidx"});
  b.n("Expand", {"h3", "bhs"}, {"hidx"});
  b.n("Unsqueeze", {positions, "i1"}, {"p3"});
  b.attr_i(b.n("Cast", {"p3"}, {"p3_64"}), "to", onnx::TensorProto_DataType_INT64);
  b.n("Expand", {"p3_64", "bhs"}, {"cidx"});
  b.n("Unsqueeze", {"bidx", "im1"}, {"bidx4"});
  b.n("Unsqueeze", {"hidx", "im1"}, {"hidx4"});
  b.n("Unsqueeze", {"cidx", "im1"}, {"cidx4"});
  b.attr_i(b.n("Concat", {"bidx4", "hidx4", "cidx4"}, {"indices"}), "axis", -1);
}

// data[b, h, position_ids[b, s], :] = updates[b, h, s, :] (QEfficient CtxScatter).
void ctx_scatter(Body &b) {
  cache_indices(b, "updates", "position_ids");
  b.n("ScatterND", {"data", "indices", "updates"}, {"Y"});
}

// Y[b, h, n, :] = data[b, h, ctx_indices[b, n], :] (QEfficient CtxGather).
void ctx_gather(Body &b) {
  cache_indices(b, "data", "ctx_indices");
  b.n("GatherND", {"data", "indices"}, {"Y"});
}

// Pooling over the sequence axis of X[b, s, h] with mask[b, s] (1 = token,
// 0 = padding), as sentence-transformers' Pooling module; Y is [b, h].
void mask_as(Body &b) {
  b.n("CastLike", {"mask", "X"}, {"m2"});
  b.ints("axis1", {1});
  b.ints("axis2", {2});
  b.n("Unsqueeze", {"m2", "axis2"}, {"m3"});  // [b, s, 1]
}

// Y = sum(X * m, 1) / max(sum(m, 1), 1e-9)
void mean_pool(Body &b) {
  mask_as(b);
  b.n("Mul", {"X", "m3"}, {"xm"});
  b.attr_i(b.n("ReduceSum", {"xm", "axis1"}, {"num"}), "keepdims", 0);
  b.attr_i(b.n("ReduceSum", {"m3", "axis1"}, {"cnt"}), "keepdims", 0);
  b.float_const("tiny", 1e-9f);
  b.n("CastLike", {"tiny", "X"}, {"tiny_t"});
  b.n("Max", {"cnt", "tiny_t"}, {"den"});
  b.n("Div", {"num", "den"}, {"Y"});
}

// Y = max over s of (m == 0 ? -1e9 : X)
void max_pool(Body &b) {
  mask_as(b);
  b.float_const("zero_f", 0.0f);
  b.n("CastLike", {"zero_f", "X"}, {"zero_t"});
  b.n("Equal", {"m3", "zero_t"}, {"pad"});
  b.float_const("neg", -1e9f);
  b.n("CastLike", {"neg", "X"}, {"neg_t"});
  b.n("Where", {"pad", "neg_t", "X"}, {"xm"});
  auto *r = b.n("ReduceMax", {"xm"}, {"Y"});
  b.attr_ints(r, "axes", {1});
  b.attr_i(r, "keepdims", 0);
}

// Y = X[:, 0] (the CLS token)
void cls_pool(Body &b) {
  auto *c = b.n("Constant", {}, {"zero"});
  auto *a = c->add_attribute();
  a->set_name("value_int");
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(0);
  b.attr_i(b.n("Gather", {"X", "zero"}, {"Y"}), "axis", 1);
}

// Y = X[b, last s with m == 1] (left or right padding alike)
void last_token_pool(Body &b) {
  b.n("Shape", {"X"}, {"shape"});
  b.ints("i0", {0});
  b.ints("i1", {1});
  b.ints("i2", {2});
  b.ints("i3", {3});
  b.n("Slice", {"shape", "i1", "i2"}, {"S"});
  b.n("Squeeze", {"S", "i0"}, {"S0"});
  b.n("Squeeze", {"i0", "i0"}, {"zero0"});
  b.n("Squeeze", {"i1", "i0"}, {"one0"});
  b.n("Range", {"zero0", "S0", "one0"}, {"positions"});  // [s] int64
  b.attr_i(b.n("Cast", {"mask"}, {"m64"}), "to", onnx::TensorProto_DataType_INT64);
  b.n("Mul", {"m64", "positions"}, {"weighted"});
  auto *r = b.n("ReduceMax", {"weighted"}, {"last"});  // [b, 1]
  b.attr_ints(r, "axes", {1});
  b.attr_i(r, "keepdims", 1);
  b.n("Unsqueeze", {"last", "i2"}, {"last3"});  // [b, 1, 1]
  b.n("Slice", {"shape", "i0", "i1"}, {"B"});
  b.n("Slice", {"shape", "i2", "i3"}, {"H"});
  b.attr_i(b.n("Concat", {"B", "i1", "H"}, {"gshape"}), "axis", 0);
  b.n("Expand", {"last3", "gshape"}, {"gidx"});
  b.attr_i(b.n("GatherElements", {"X", "gidx"}, {"picked"}), "axis", 1);
  b.n("Squeeze", {"picked", "i1"}, {"Y"});
}

// The shapes both MXINT8 bodies start from: Shape(X) as `lead` (all dims but
// the last) and `last` (the last dim, [1]), the int64 constants they use, and
// once `d` is defined (mxint8_blocks) nb = ceil(d / 32) blocks and dp = 32 nb
// padded columns.
void mxint8_shapes(Body &b, const char *last) {
  b.n("Shape", {"X"}, {"shape"});
  b.ints("i0", {0});
  b.ints("i1", {1});
  b.ints("im1", {-1});
  b.ints("c32", {32});
  b.ints("c31", {31});
  b.ints("big", {INT64_MAX});
  b.n("Slice", {"shape", "im1", "big"}, {last});
  b.n("Slice", {"shape", "i0", "im1"}, {"lead"});
}
void mxint8_blocks(Body &b) {
  b.n("Add", {"d", "c31"}, {"d31"});
  b.n("Div", {"d31", "c32"}, {"nb"});
  b.n("Mul", {"nb", "c32"}, {"dp"});
}

// MXINT8 rows (kernels/mxint8.hpp): X [..., d] f32 -> Y [..., d + nb] u8,
// nb = ceil(d / 32). Per block of 32 (zero-padded): e = floor(log2(max |x|))
// clamped to [-127, 127] (Log gives an estimate that Pow(2, .) then corrects
// by one either way: exact), q = clip(round(x 2^(6 - e)), -127, 127) in
// double (Round is half to even), stored as two's complement bytes, then the
// E8M0 bytes e + 127; a block with a NaN or infinity gets q = 0, E = 255.
void mxint8_quantize(Body &b) {
  mxint8_shapes(b, "d");
  mxint8_blocks(b);
  b.attr_i(b.n("Concat", {"im1", "d"}, {"shape2"}), "axis", 0);
  b.n("Reshape", {"X", "shape2"}, {"x2"});  // [rows, d]
  b.n("Sub", {"dp", "d"}, {"pad"});
  b.ints("zeros3", {0, 0, 0});
  b.attr_i(b.n("Concat", {"zeros3", "pad"}, {"pads"}), "axis", 0);
  b.n("Pad", {"x2", "pads"}, {"xp"});
  b.attr_i(b.n("Concat", {"im1", "nb", "c32"}, {"shape3"}), "axis", 0);
  b.n("Reshape", {"xp", "shape3"}, {"xb"});  // [rows, nb, 32]
  b.attr_i(b.n("Cast", {"xb"}, {"xd"}), "to", onnx::TensorProto_DataType_DOUBLE);
  // Blocks holding a NaN or an infinity.
  b.n("IsNaN", {"xd"}, {"nan"});
  b.n("IsInf", {"xd"}, {"inf"});
  b.n("Or", {"nan", "inf"}, {"bad_e"});
  b.attr_i(b.n("Cast", {"bad_e"}, {"bad_d"}), "to", onnx::TensorProto_DataType_DOUBLE);
  auto *rb = b.n("ReduceMax", {"bad_d"}, {"bad_n"});
  b.attr_ints(rb, "axes", {2});
  b.attr_i(rb, "keepdims", 1);
  b.double_const("zero", 0.0f);
  b.n("Greater", {"bad_n", "zero"}, {"bad"});  // [rows, nb, 1]
  b.n("Where", {"bad_e", "zero", "xd"}, {"xf"});
  b.n("Abs", {"xf"}, {"ax"});
  auto *ra = b.n("ReduceMax", {"ax"}, {"amax"});
  b.attr_ints(ra, "axes", {2});
  b.attr_i(ra, "keepdims", 1);
  // e = floor(log2(amax)), exactly: estimate, then correct by one either way.
  b.double_const("two", 2.0f);
  b.double_const("one", 1.0f);
  b.n("Log", {"amax"}, {"ln_a"});
  b.n("Log", {"two"}, {"ln2"});
  b.n("Div", {"ln_a", "ln2"}, {"log2_a"});
  b.n("Floor", {"log2_a"}, {"e0"});
  b.double_const("lo", -127.0f);
  b.double_const("hi", 127.0f);
  b.n("Max", {"e0", "lo"}, {"e0_lo"});  // amax = 0: -inf -> -127
  b.n("Min", {"e0_lo", "hi"}, {"e1"});
  b.n("Add", {"e1", "one"}, {"e1p"});
  b.n("Pow", {"two", "e1p"}, {"p_up"});
  b.n("LessOrEqual", {"p_up", "amax"}, {"up"});
  b.n("Pow", {"two", "e1"}, {"p_dn"});
  b.n("Greater", {"p_dn", "amax"}, {"dn"});
  b.attr_i(b.n("Cast", {"up"}, {"up_d"}), "to", onnx::TensorProto_DataType_DOUBLE);
  b.attr_i(b.n("Cast", {"dn"}, {"dn_d"}), "to", onnx::TensorProto_DataType_DOUBLE);
  b.n("Add", {"e1", "up_d"}, {"e2"});
  b.n("Sub", {"e2", "dn_d"}, {"e3"});
  b.n("Max", {"e3", "lo"}, {"e4"});
  b.n("Min", {"e4", "hi"}, {"e"});  // [rows, nb, 1]
  // q = clip(round(x 2^(6 - e)), -127, 127), as bytes.
  b.double_const("six", 6.0f);
  b.n("Sub", {"six", "e"}, {"qe"});
  b.n("Pow", {"two", "qe"}, {"qs"});
  b.n("Mul", {"xf", "qs"}, {"xs"});
  b.n("Round", {"xs"}, {"xr"});
  b.n("Max", {"xr", "lo"}, {"xr_lo"});
  b.n("Min", {"xr_lo", "hi"}, {"q"});
  b.n("Where", {"bad", "zero", "q"}, {"q_ok"});
  b.double_const("c256", 256.0f);
  b.n("Less", {"q_ok", "zero"}, {"neg"});
  b.n("Add", {"q_ok", "c256"}, {"q_wrap"});
  b.n("Where", {"neg", "q_wrap", "q_ok"}, {"q_byte"});
  b.attr_i(b.n("Cast", {"q_byte"}, {"q_u8"}), "to", onnx::TensorProto_DataType_UINT8);
  b.attr_i(b.n("Concat", {"im1", "dp"}, {"shape_q"}), "axis", 0);
  b.n("Reshape", {"q_u8", "shape_q"}, {"q_rows"});
  b.n("Slice", {"q_rows", "i0", "d", "i1"}, {"q_d"});  // [rows, d]
  // E8M0 bytes.
  b.n("Add", {"e", "hi"}, {"biased"});
  b.double_const("nan_byte", 255.0f);
  b.n("Where", {"bad", "nan_byte", "biased"}, {"s_d"});
  b.attr_i(b.n("Cast", {"s_d"}, {"s_u8"}), "to", onnx::TensorProto_DataType_UINT8);
  b.attr_i(b.n("Concat", {"im1", "nb"}, {"shape_s"}), "axis", 0);
  b.n("Reshape", {"s_u8", "shape_s"}, {"s_rows"});  // [rows, nb]
  b.attr_i(b.n("Concat", {"q_d", "s_rows"}, {"rows"}), "axis", 1);
  b.n("Add", {"d", "nb"}, {"row_bytes"});
  b.attr_i(b.n("Concat", {"lead", "row_bytes"}, {"shape_y"}), "axis", 0);
  b.n("Reshape", {"rows", "shape_y"}, {"Y"});
}

// MXINT8 rows X [..., d + nb] u8 (d: attribute dim) -> Y [..., d] f32:
// int8(q) * 2^(E - 133), NaN for E = 255 (exact: every such value is an f32).
void mxint8_dequantize(Body &b) {
  mxint8_shapes(b, "r");
  b.from_attr("d0", "dim", false);
  b.n("Unsqueeze", {"d0", "i0"}, {"d"});
  mxint8_blocks(b);
  b.attr_i(b.n("Concat", {"im1", "r"}, {"shape2"}), "axis", 0);
  b.n("Reshape", {"X", "shape2"}, {"x2"});  // [rows, d + nb]
  b.n("Slice", {"x2", "i0", "d", "i1"}, {"q"});
  b.n("Slice", {"x2", "d", "big", "i1"}, {"s"});
  b.attr_i(b.n("Cast", {"q"}, {"qd"}), "to", onnx::TensorProto_DataType_DOUBLE);
  b.double_const("c128", 128.0f);
  b.double_const("c256", 256.0f);
  b.n("GreaterOrEqual", {"qd", "c128"}, {"neg"});
  b.n("Sub", {"qd", "c256"}, {"q_wrap"});
  b.n("Where", {"neg", "q_wrap", "qd"}, {"qv"});  // [rows, d] in [-128, 127]
  b.attr_i(b.n("Cast", {"s"}, {"sd"}), "to", onnx::TensorProto_DataType_DOUBLE);
  b.double_const("bias", 133.0f);
  b.double_const("two", 2.0f);
  b.n("Sub", {"sd", "bias"}, {"se"});
  b.n("Pow", {"two", "se"}, {"unit0"});
  b.double_const("nan_byte", 255.0f);
  b.n("Equal", {"sd", "nan_byte"}, {"is_nan"});
  b.double_const("zero", 0.0f);
  b.n("Div", {"zero", "zero"}, {"nan"});
  b.n("Where", {"is_nan", "nan", "unit0"}, {"unit"});  // [rows, nb]
  b.ints("i2", {2});
  b.n("Unsqueeze", {"unit", "i2"}, {"unit3"});  // [rows, nb, 1]
  b.attr_i(b.n("Concat", {"i1", "i1", "c32"}, {"expand_to"}), "axis", 0);
  b.n("Expand", {"unit3", "expand_to"}, {"unit_b"});  // [rows, nb, 32]
  b.attr_i(b.n("Concat", {"im1", "dp"}, {"shape_u"}), "axis", 0);
  b.n("Reshape", {"unit_b", "shape_u"}, {"unit_rows"});
  b.n("Slice", {"unit_rows", "i0", "d", "i1"}, {"unit_d"});  // [rows, d]
  b.n("Mul", {"qv", "unit_d"}, {"yd"});
  b.attr_i(b.n("Cast", {"yd"}, {"y2"}), "to", onnx::TensorProto_DataType_FLOAT);
  b.attr_i(b.n("Concat", {"lead", "d"}, {"shape_y"}), "axis", 0);
  b.n("Reshape", {"y2", "shape_y"}, {"Y"});
}

// A pre-quantized checkpoint's int4 Linear weight (ops/nn_int4.cpp): Q U8
// [N, ceil(K / 2)] (even k in the low nibble), scale [N, G] (f16, bf16 or
// f32), zero_point U8 [N, G] -> Y F32 [N, K], Y = float(scale) * (q - zero),
// computed in f32 (q - zero is exact, so one rounding, as qeff's kernel).
void int4_dequantize(Body &b) {
  b.attr_i(b.n("Cast", {"Q"}, {"qf"}), "to", onnx::TensorProto_DataType_FLOAT);
  b.float_const("c16", 16.0f);
  b.n("Div", {"qf", "c16"}, {"q_div"});
  b.n("Floor", {"q_div"}, {"hi"});
  b.n("Mul", {"hi", "c16"}, {"hi16"});
  b.n("Sub", {"qf", "hi16"}, {"lo"});
  b.ints("i0", {0});
  b.ints("i1", {1});
  b.ints("i2", {2});
  b.ints("im1", {-1});
  b.n("Unsqueeze", {"lo", "i2"}, {"lo3"});
  b.n("Unsqueeze", {"hi", "i2"}, {"hi3"});
  b.attr_i(b.n("Concat", {"lo3", "hi3"}, {"pairs"}), "axis", 2);  // [N, ceil(K / 2), 2]
  b.n("Shape", {"Q"}, {"q_shape"});
  b.n("Slice", {"q_shape", "i0", "i1"}, {"n"});
  b.attr_i(b.n("Concat", {"n", "im1"}, {"shape2"}), "axis", 0);
  b.n("Reshape", {"pairs", "shape2"}, {"flat"});  // [N, 2 ceil(K / 2)]
  b.from_attr("k0", "k", false);
  b.n("Unsqueeze", {"k0", "i0"}, {"k"});
  b.from_attr("bs0", "block_size", false);
  b.n("Unsqueeze", {"bs0", "i0"}, {"bs"});
  b.n("Slice", {"flat", "i0", "k", "i1"}, {"vals"});  // [N, K]
  b.n("Shape", {"scale"}, {"s_shape"});
  b.n("Slice", {"s_shape", "i1", "i2"}, {"g"});
  b.n("Mul", {"g", "bs"}, {"kp"});
  b.n("Sub", {"kp", "k"}, {"pad"});
  b.ints("zeros3", {0, 0, 0});
  b.attr_i(b.n("Concat", {"zeros3", "pad"}, {"pads"}), "axis", 0);
  b.n("Pad", {"vals", "pads"}, {"vals_p"});  // [N, G block_size]
  b.attr_i(b.n("Concat", {"n", "g", "bs"}, {"shape3"}), "axis", 0);
  b.n("Reshape", {"vals_p", "shape3"}, {"v3"});
  b.attr_i(b.n("Cast", {"zero_point"}, {"zf"}), "to", onnx::TensorProto_DataType_FLOAT);
  b.n("Unsqueeze", {"zf", "i2"}, {"z3"});
  b.n("Sub", {"v3", "z3"}, {"centred"});
  b.attr_i(b.n("Cast", {"scale"}, {"sf"}), "to", onnx::TensorProto_DataType_FLOAT);
  b.n("Unsqueeze", {"sf", "i2"}, {"s3"});
  b.n("Mul", {"s3", "centred"}, {"y3"});
  b.n("Reshape", {"y3", "shape2"}, {"y_p"});
  b.n("Slice", {"y_p", "i0", "k", "i1"}, {"Y"});
}

struct Definition {
  FunctionSpec spec;
  void (*body)(Body &);
};

const std::vector<Definition> &definitions() {
  static const std::vector<Definition> d = {
      {{"RMSNorm", {"X", "weight"}, {"Y"}, {"epsilon"}}, rms_norm},
      {{"Rotary", {"X", "cos", "sin"}, {"Y"}, {}}, rotary},
      {{"Attention", {"Q", "K", "V", "mask"}, {"Y"}, {"scale", "num_kv_groups", "masked_value"}}, attention},
      {{"CtxScatter", {"data", "position_ids", "updates"}, {"Y"}, {}}, ctx_scatter},
      {{"CtxGather", {"data", "ctx_indices"}, {"Y"}, {}}, ctx_gather},
      {{"MxInt8Quantize", {"X"}, {"Y"}, {}}, mxint8_quantize},
      {{"MxInt8Dequantize", {"X"}, {"Y"}, {"dim"}}, mxint8_dequantize},
      {{"Int4Dequantize", {"Q", "scale", "zero_point"}, {"Y"}, {"k", "block_size"}}, int4_dequantize},
      {{"MeanPool", {"X", "mask"}, {"Y"}, {}}, mean_pool},
      {{"MaxPool", {"X", "mask"}, {"Y"}, {}}, max_pool},
      {{"ClsPool", {"X", "mask"}, {"Y"}, {}}, cls_pool},
      {{"LastTokenPool", {"X", "mask"}, {"Y"}, {}}, last_token_pool},
  };
  return d;
}

}  // namespace

const std::vector<FunctionSpec> &qeff_functions() {
  static const std::vector<FunctionSpec> specs = [] {
    std::vector<FunctionSpec> s;
    for (const auto &d : definitions()) s.push_back(d.spec);
    return s;
  }();
  return specs;
}

const FunctionSpec *find_qeff_function(const std::string &domain, const std::string &name) {
  if (domain != kQeffDomain) return nullptr;
  for (const auto &s : qeff_functions())
    if (name == s.name) return &s;
  return nullptr;
}

void add_functions(const graph::Graph &g, onnx::ModelProto *model) {
  std::set<std::string> added;
  for (const auto &node : g.nodes) {
    if (node.domain != kQeffDomain) continue;
    const Definition *def = nullptr;
    for (const auto &d : definitions())
      if (node.op_type == d.spec.name) def = &d;
    if (def == nullptr)
      fail(QEFF_E_UNSUPPORTED, "graph " + quote(g.name) + ": node " + quote(node.name) +
                                   " uses unknown qeff op " + quote(node.op_type));
    if (node.inputs.size() != def->spec.inputs.size() || node.outputs.size() != def->spec.outputs.size())
      fail(QEFF_E_FORMAT, "graph " + quote(g.name) + ": node " + quote(node.name) + " (qeff." +
                              node.op_type + ") takes " + std::to_string(def->spec.inputs.size()) +
                              " inputs and " + std::to_string(def->spec.outputs.size()) + " outputs");
    for (const auto &a : def->spec.attributes)
      if (node.attribute(a) == nullptr)
        fail(QEFF_E_FORMAT, "graph " + quote(g.name) + ": node " + quote(node.name) + " (qeff." +
                                node.op_type + ") lacks its attribute " + quote(a));
    if (!added.insert(node.op_type).second) continue;
    auto *f = model->add_functions();
    f->set_name(def->spec.name);
    f->set_domain(kQeffDomain);
    for (const auto &i : def->spec.inputs) f->add_input(i);
    for (const auto &o : def->spec.outputs) f->add_output(o);
    for (const auto &a : def->spec.attributes) f->add_attribute(a);
    auto *op = f->add_opset_import();
    op->set_domain("");
    op->set_version(17);
    Body body(f);
    def->body(body);
  }
  if (!added.empty()) {
    bool has_domain = false;
    for (auto &op : *model->mutable_opset_import())
      if (op.domain() == kQeffDomain) has_domain = true;
    if (!has_domain) {
      auto *op = model->add_opset_import();
      op->set_domain(kQeffDomain);
      op->set_version(kQeffDomainVersion);
    }
  }
}

}  // namespace qeff::onnx_io
