#include "onnx/import.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>

#include "common/cancel.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "graph/verify.hpp"
#include "onnx/external_data.hpp"
#include "onnx/functions.hpp"
#include "onnx/import_tensors.hpp"

namespace qeff::onnx_io {
namespace {

using graph::Attribute;
using graph::Dim;
using graph::Graph;
using graph::TensorType;
using graph::ValueInfo;

// Standard ONNX ops (domain "" / "ai.onnx") the importer accepts: everything
// qeff's exports and its function bodies use, and what torch.onnx.export emits
// for BERT- and Llama-style layers (tests/onnx/torch_exports), plus the common
// elementwise, reduction and shape ops around them. Control flow (If, Loop,
// Scan), sequences, quantization, convolution and vision ops are not accepted.
constexpr std::string_view kSupportedOps[] = {
    "Abs", "Add", "And", "ArgMax", "ArgMin", "Cast", "CastLike", "Ceil", "Clip", "Concat", "Constant",
    "ConstantOfShape", "Cos", "CumSum", "Div", "Dropout", "Einsum", "Equal", "Erf", "Exp", "Expand",
    "Flatten", "Floor", "Gather", "GatherElements", "GatherND", "Gelu", "Gemm", "Greater",
    "GreaterOrEqual", "HardSigmoid", "HardSwish", "Identity", "IsInf", "IsNaN", "LayerNormalization",
    "LeakyRelu", "Less", "LessOrEqual", "Log", "LogSoftmax", "MatMul", "Max", "Mean", "Min", "Mod", "Mul",
    "Neg", "Not", "OneHot", "Or", "Pad", "Pow", "Range", "Reciprocal", "ReduceL2", "ReduceLogSumExp",
    "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare", "Relu", "Reshape",
    "Round", "ScatterElements", "ScatterND", "Shape", "Sigmoid", "Sign", "Sin", "Size", "Slice", "Softmax",
    "Softplus", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tanh", "Tile", "TopK", "Transpose", "Trilu",
    "Unsqueeze", "Where", "Xor",
};

constexpr const char *kContentHashKey = "qeff.content_hash";

std::string domain_of(const std::string &d) { return d == "ai.onnx" ? std::string() : d; }

// An op or domain name from the file for a message: as is when it is a plain
// identifier (dots allowed), else quoted and escaped.
std::string op_text(const std::string &s) {
  bool plain = !s.empty() && s.size() <= 64;
  for (char c : s)
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '.' || c == '-');
  return plain ? s : quote(s, 64);
}

// At most this many distinct unsupported ops are named in one message.
constexpr size_t kMaxListedOps = 32;

std::string attr_type_name(int t) {
  const std::string &n = onnx::AttributeProto_AttributeType_Name(
      static_cast<onnx::AttributeProto_AttributeType>(t));
  return n.empty() ? std::to_string(t) : n;
}

class Importer {
 public:
  Importer(std::string file, std::string dir, const ImportLimits &limits)
      : file_(std::move(file)), limits_(limits), external_(std::move(dir), limits.max_external_bytes) {}

  Graph run(onnx::ModelProto *m);

 private:
  [[noreturn]] void error(qeff_status s, const std::string &what) const { fail(s, quote(file_) + ": " + what); }
  std::string node_label(int i, const onnx::NodeProto &n) const {
    std::string d = domain_of(n.domain());
    std::string op = d.empty() ? n.op_type() : d + "." + n.op_type();
    return "node " + std::to_string(i) + " " + quote(n.name()) + " (" + op_text(op) + ")";
  }

  void check_versions(const onnx::ModelProto &m);
  void check_ops(const onnx::ModelProto &m);
  std::optional<TensorType> value_type(const onnx::ValueInfoProto &v, bool required, const std::string &what);
  void collect_dim_params(const onnx::GraphProto &g);
  Attribute attribute(onnx::AttributeProto *a, const std::string &who);
  graph::ConstTensor const_tensor(onnx::TensorProto *t, const std::string &what);
  graph::Node node(int i, onnx::NodeProto *n);

  std::string file_;
  ImportLimits limits_;
  detail::ExternalData external_;
  Graph g_;
  std::set<std::string> qeff_function_names_;
  std::set<std::string> dim_params_;
  uint64_t unknown_dims_ = 0;
};

void Importer::check_versions(const onnx::ModelProto &m) {
  int64_t ir = m.ir_version();
  if (ir <= 0)
    error(QEFF_E_FORMAT, "ir_version is " + std::to_string(ir) + "; not an ONNX model (or a truncated one)");
  if (ir < kMinIrVersion || ir > onnx::IR_VERSION)
    error(QEFF_E_UNSUPPORTED, "ir_version " + std::to_string(ir) + " is not supported (supported: " +
                                  std::to_string(kMinIrVersion) + " to " + std::to_string(onnx::IR_VERSION) + ")");
  std::map<std::string, int64_t> opsets;
  for (const auto &op : m.opset_import()) {
    std::string d = domain_of(op.domain());
    if (!opsets.emplace(d, op.version()).second)
      error(QEFF_E_FORMAT, "opset_import lists the domain " + quote(op.domain()) + " twice");
  }
  auto def = opsets.find("");
  if (def == opsets.end()) error(QEFF_E_FORMAT, "opset_import has no entry for the default ONNX domain");
  if (def->second <= 0)
    error(QEFF_E_FORMAT, "opset_import gives the default ONNX domain version " + std::to_string(def->second));
  if (def->second < kMinDefaultOpset || def->second > kMaxDefaultOpset)
    error(QEFF_E_UNSUPPORTED, "ONNX opset " + std::to_string(def->second) + " is not supported (supported: " +
                                  std::to_string(kMinDefaultOpset) + " to " + std::to_string(kMaxDefaultOpset) + ")");
  g_.opsets = {{"", def->second}};
  auto q = opsets.find(kQeffDomain);
  if (q != opsets.end()) {
    if (q->second != kQeffDomainVersion)
      error(QEFF_E_UNSUPPORTED, "opset_import gives the \"qeff\" domain version " + std::to_string(q->second) +
                                    "; this qeff supports version " + std::to_string(kQeffDomainVersion));
    g_.opsets[kQeffDomain] = q->second;
  }
}

void Importer::check_ops(const onnx::ModelProto &m) {
  for (const auto &f : m.functions()) {
    if (f.domain() != kQeffDomain) continue;
    if (!qeff_function_names_.insert(f.name()).second)
      error(QEFF_E_FORMAT, "the model defines the function " + op_text("qeff." + f.name()) + " twice");
  }
  const auto &g = m.graph();
  std::map<std::string, uint64_t> unsupported;
  std::string first;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto &n = g.node(i);
    if (n.op_type().empty()) error(QEFF_E_FORMAT, node_label(i, n) + " has no op_type");
    std::string d = domain_of(n.domain());
    bool ok = d.empty() ? is_supported_onnx_op(n.op_type())
                        : d == kQeffDomain && find_qeff_function(d, n.op_type()) != nullptr;
    if (ok) continue;
    if (unsupported.empty()) first = node_label(i, n);
    ++unsupported[d.empty() ? n.op_type() : d + "." + n.op_type()];
  }
  if (unsupported.empty()) return;
  std::string list;
  size_t listed = 0;
  for (const auto &[op, count] : unsupported) {
    if (listed++ == kMaxListedOps) {
      list += " and " + std::to_string(unsupported.size() - kMaxListedOps) + " more";
      break;
    }
    list += (list.empty() ? "" : ", ") + op_text(op) + " x" + std::to_string(count);
  }
  error(QEFF_E_UNSUPPORTED, "unsupported ops: " + list + " (first: " + first +
                                "); qeff imports the standard ONNX ops it lists and its own \"qeff\" functions");
}

void Importer::collect_dim_params(const onnx::GraphProto &g) {
  for (const auto *list : {&g.input(), &g.output(), &g.value_info()})
    for (const auto &v : *list)
      if (v.type().has_tensor_type())
        for (const auto &d : v.type().tensor_type().shape().dim())
          if (d.has_dim_param()) dim_params_.insert(d.dim_param());
}

std::optional<TensorType> Importer::value_type(const onnx::ValueInfoProto &v, bool required,
                                               const std::string &what) {
  const auto &t = v.type();
  if (t.value_case() == onnx::TypeProto::VALUE_NOT_SET) {
    if (required) error(QEFF_E_FORMAT, what + " has no type");
    return std::nullopt;
  }
  if (t.value_case() != onnx::TypeProto::kTensorType)
    error(QEFF_E_UNSUPPORTED, what + " is not a dense tensor (sequence, map, optional and sparse types are "
                                     "not supported)");
  const auto &tt = t.tensor_type();
  if (!tt.has_elem_type() || tt.elem_type() == 0) {
    if (required) error(QEFF_E_FORMAT, what + " has no element type");
    return std::nullopt;
  }
  TensorType out;
  out.dtype = detail::dtype_from_onnx(tt.elem_type(), quote(file_) + ": " + what);
  if (!tt.has_shape()) {
    if (required) error(QEFF_E_UNSUPPORTED, what + " has no shape (unknown rank is not supported)");
    return std::nullopt;
  }
  if (static_cast<uint64_t>(tt.shape().dim_size()) > limits_.max_rank)
    error(QEFF_E_FORMAT, what + " has rank " + std::to_string(tt.shape().dim_size()) +
                             ", above limits.tensor_rank = " + std::to_string(limits_.max_rank));
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &d = tt.shape().dim(i);
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        error(QEFF_E_FORMAT, what + " has dim " + std::to_string(i) + " = " + std::to_string(d.dim_value()) +
                                 ", which is negative");
      out.shape.push_back(Dim::fixed(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      out.shape.push_back(Dim::sym(d.dim_param()));
    } else {
      std::string s;
      do s = "unk__" + std::to_string(unknown_dims_++);
      while (dim_params_.count(s) != 0);
      out.shape.push_back(Dim::sym(s));
    }
  }
  return out;
}

graph::ConstTensor Importer::const_tensor(onnx::TensorProto *t, const std::string &what) {
  std::string full = quote(file_) + ": " + what;
  auto h = detail::tensor_header(*t, limits_.max_rank, full);
  if (h.numel > limits_.max_attribute_elements)
    error(QEFF_E_LIMIT, what + " has " + std::to_string(h.numel) +
                            " elements, above limits.onnx_attribute_elements = " +
                            std::to_string(limits_.max_attribute_elements));
  graph::ConstTensor c;
  c.type = h.type;
  if (detail::is_external(*t)) {
    auto view = external_.view(*t, h.nbytes, full);
    if (h.nbytes > 0) c.bytes.assign(view.data(), view.data() + h.nbytes);
  } else {
    c.bytes = detail::inline_bytes(t, h, full);
  }
  return c;
}

Attribute Importer::attribute(onnx::AttributeProto *ap, const std::string &who) {
  using A = onnx::AttributeProto;
  const A &a = *ap;
  std::string what = who + " attribute " + quote(a.name());
  if (a.name().empty()) error(QEFF_E_FORMAT, who + " has an attribute with an empty name");
  if (a.has_ref_attr_name())
    error(QEFF_E_FORMAT, what + " refers to a function attribute (ref_attr_name) outside a function");
  struct Field {
    int type;
    bool set;
  };
  const Field fields[] = {
      {A::FLOAT, a.has_f()},
      {A::INT, a.has_i()},
      {A::STRING, a.has_s()},
      {A::TENSOR, a.has_t()},
      {A::GRAPH, a.has_g()},
      {A::SPARSE_TENSOR, a.has_sparse_tensor()},
      {A::TYPE_PROTO, a.has_tp()},
      {A::FLOATS, a.floats_size() > 0},
      {A::INTS, a.ints_size() > 0},
      {A::STRINGS, a.strings_size() > 0},
      {A::TENSORS, a.tensors_size() > 0},
      {A::GRAPHS, a.graphs_size() > 0},
      {A::SPARSE_TENSORS, a.sparse_tensors_size() > 0},
      {A::TYPE_PROTOS, a.type_protos_size() > 0},
  };
  const int type = a.type();
  if (type == A::UNDEFINED) error(QEFF_E_FORMAT, what + " has no (or an unknown) type");
  bool singular = type == A::FLOAT || type == A::INT || type == A::STRING || type == A::TENSOR ||
                  type == A::GRAPH || type == A::SPARSE_TENSOR || type == A::TYPE_PROTO;
  for (const auto &f : fields) {
    if (f.type == type && singular && !f.set)
      error(QEFF_E_FORMAT, what + " has type " + attr_type_name(type) + " but no value");
    if (f.type != type && f.set)
      error(QEFF_E_FORMAT, what + " has type " + attr_type_name(type) + " but also sets a " +
                               attr_type_name(f.type) + " value (one value field only)");
  }
  if (type == A::GRAPH || type == A::GRAPHS)
    error(QEFF_E_UNSUPPORTED, what + " is a subgraph (" + attr_type_name(type) +
                                  "); control flow and subgraphs are not supported");
  auto cap = [&](int n) {
    if (static_cast<uint64_t>(n) > limits_.max_attribute_elements)
      error(QEFF_E_LIMIT, what + " has " + std::to_string(n) +
                              " elements, above limits.onnx_attribute_elements = " +
                              std::to_string(limits_.max_attribute_elements));
  };
  Attribute out;
  out.name = a.name();
  switch (type) {
    case A::FLOAT: out.value = static_cast<double>(a.f()); break;
    case A::INT: out.value = a.i(); break;
    case A::STRING: out.value = a.s(); break;
    case A::FLOATS:
      cap(a.floats_size());
      out.value = std::vector<double>(a.floats().begin(), a.floats().end());
      break;
    case A::INTS:
      cap(a.ints_size());
      out.value = std::vector<int64_t>(a.ints().begin(), a.ints().end());
      break;
    case A::STRINGS:
      cap(a.strings_size());
      out.value = std::vector<std::string>(a.strings().begin(), a.strings().end());
      break;
    case A::TENSOR: out.value = const_tensor(ap->mutable_t(), what); break;
    default:
      error(QEFF_E_UNSUPPORTED, what + " has type " + attr_type_name(type) + ", which is not supported");
  }
  return out;
}

graph::Node Importer::node(int i, onnx::NodeProto *np) {
  const onnx::NodeProto &n = *np;
  std::string who = node_label(i, n);
  graph::Node out;
  out.op_type = n.op_type();
  out.domain = domain_of(n.domain());
  out.name = n.name();
  out.inputs.assign(n.input().begin(), n.input().end());
  out.outputs.assign(n.output().begin(), n.output().end());
  while (!out.outputs.empty() && out.outputs.back().empty()) out.outputs.pop_back();  // omitted optionals
  if (g_.opsets.count(out.domain) == 0)
    error(QEFF_E_FORMAT, who + " uses the domain " + quote(out.domain) + ", which opset_import does not list");
  std::set<std::string> names;
  for (auto &a : *np->mutable_attribute()) {
    if (!names.insert(a.name()).second)
      error(QEFF_E_FORMAT, who + " has the attribute " + quote(a.name()) + " twice");
    out.attributes.push_back(attribute(&a, who));
  }
  if (out.domain == kQeffDomain) {
    const FunctionSpec *spec = find_qeff_function(out.domain, out.op_type);
    if (qeff_function_names_.count(out.op_type) == 0)
      error(QEFF_E_FORMAT, who + " has no FunctionProto qeff." + out.op_type + " in the model");
    if (out.inputs.size() != spec->inputs.size() || out.outputs.size() != spec->outputs.size())
      error(QEFF_E_FORMAT, who + " has " + std::to_string(out.inputs.size()) + " inputs and " +
                               std::to_string(out.outputs.size()) + " outputs; qeff." + out.op_type + " takes " +
                               std::to_string(spec->inputs.size()) + " and " +
                               std::to_string(spec->outputs.size()));
    for (const auto &a : spec->attributes)
      if (out.attribute(a) == nullptr) error(QEFF_E_FORMAT, who + " lacks its attribute " + quote(a));
  }
  return out;
}

Graph Importer::run(onnx::ModelProto *m) {
  check_versions(*m);
  if (!m->has_graph()) error(QEFF_E_FORMAT, "the model has no graph");
  auto *gp = m->mutable_graph();
  if (static_cast<uint64_t>(gp->node_size()) > limits_.max_nodes)
    error(QEFF_E_LIMIT, "the graph has " + std::to_string(gp->node_size()) +
                            " nodes, above limits.onnx_nodes = " + std::to_string(limits_.max_nodes));
  if (static_cast<uint64_t>(gp->initializer_size()) > limits_.max_initializers)
    error(QEFF_E_LIMIT, "the graph has " + std::to_string(gp->initializer_size()) +
                            " initializers, above limits.onnx_initializers = " +
                            std::to_string(limits_.max_initializers));
  if (gp->sparse_initializer_size() > 0) error(QEFF_E_UNSUPPORTED, "sparse initializers are not supported");
  check_ops(*m);

  g_.name = gp->name();
  for (const auto &p : m->metadata_props())
    if (!g_.metadata.emplace(p.key(), p.value()).second)
      error(QEFF_E_FORMAT, "metadata_props lists the key " + quote(p.key()) + " twice");
  // A property of the exported files, not of the graph: export computes it anew.
  g_.metadata.erase(kContentHashKey);

  std::map<std::string, size_t> init_index;
  for (int i = 0; i < gp->initializer_size(); ++i) {
    cancellation_point("reading initializers");
    auto *t = gp->mutable_initializer(i);
    std::string what = quote(file_) + ": initializer " + quote(t->name());
    if (t->name().empty()) error(QEFF_E_FORMAT, "initializer " + std::to_string(i) + " has no name");
    auto h = detail::tensor_header(*t, limits_.max_rank, what);
    graph::Initializer init;
    init.name = t->name();
    init.type = h.type;
    if (detail::is_external(*t)) {
      init.data = external_.view(*t, h.nbytes, what);
    } else {
      init.data = graph::WeightData::owned(detail::inline_bytes(t, h, what));
    }
    init_index.emplace(init.name, g_.initializers.size());
    g_.initializers.push_back(std::move(init));
  }

  collect_dim_params(*gp);
  for (const auto &v : gp->input()) {
    std::string what = "input " + quote(v.name());
    auto it = init_index.find(v.name());
    if (it == init_index.end()) {
      g_.inputs.push_back({v.name(), *value_type(v, true, what)});
      continue;
    }
    // An input that is also an initializer (IR < 4 style): the initializer wins.
    auto t = value_type(v, false, what);
    const TensorType &it_type = g_.initializers[it->second].type;
    bool same = !t || (t->dtype == it_type.dtype && t->shape.size() == it_type.shape.size());
    for (size_t d = 0; same && t && d < t->shape.size(); ++d)
      same = t->shape[d].is_symbolic() || t->shape[d] == it_type.shape[d];
    if (!same)
      error(QEFF_E_FORMAT, what + " has type " + graph::to_string(*t) + " but its initializer is " +
                               graph::to_string(it_type));
  }
  for (const auto &v : gp->output())
    g_.outputs.push_back({v.name(), *value_type(v, true, "output " + quote(v.name()))});
  std::set<std::string> seen_info;
  for (const auto &v : gp->value_info()) {
    if (!seen_info.insert(v.name()).second)
      error(QEFF_E_FORMAT, "value_info lists " + quote(v.name()) + " twice");
    if (auto t = value_type(v, false, "value_info " + quote(v.name()))) g_.value_info.push_back({v.name(), *t});
  }
  g_.nodes.reserve(static_cast<size_t>(gp->node_size()));
  for (int i = 0; i < gp->node_size(); ++i) g_.nodes.push_back(node(i, gp->mutable_node(i)));

  try {
    graph::verify(g_);
  } catch (const Error &e) {
    error(e.status(), e.what());
  }
  return std::move(g_);
}

}  // namespace

bool is_supported_onnx_op(const std::string &op_type) {
  return std::find(std::begin(kSupportedOps), std::end(kSupportedOps), op_type) != std::end(kSupportedOps);
}

std::vector<std::string_view> supported_onnx_ops() {
  return {std::begin(kSupportedOps), std::end(kSupportedOps)};
}

Graph import_model(const std::string &path, const ImportLimits &limits) {
  check_path_argument(path, "ONNX model path");
  std::filesystem::path p(path);
  std::string name = p.filename().string();
  if (name.empty() || name == "." || name == "..")
    fail(QEFF_E_FORMAT, quote(path) + " names a directory; expected an ONNX model file");
  std::string parent = p.parent_path().string();
  std::string dir = canonical_directory(parent.empty() ? "." : parent);
  FileRoot root(dir);
  std::string file = root.display(name);
  uint64_t cap = std::min<uint64_t>(limits.max_model_bytes, INT_MAX);  // protobuf sizes are int
  std::string bytes = root.read(name, cap, "limits.onnx_model_bytes");
  if (bytes.empty()) fail(QEFF_E_FORMAT, quote(file) + " is empty (0 bytes); not an ONNX model");

  onnx::ModelProto model;
  {
    google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t *>(bytes.data()),
                                              static_cast<int>(bytes.size()));
    in.SetRecursionLimit(kProtoRecursionLimit);
    if (!model.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
      fail(QEFF_E_FORMAT, quote(file) + " is not a valid ONNX protobuf (not protobuf, truncated, or nested "
                                        "deeper than " + std::to_string(kProtoRecursionLimit) + " levels)");
  }
  std::string().swap(bytes);
  Importer importer(file, dir, limits);
  return importer.run(&model);
}

}  // namespace qeff::onnx_io
