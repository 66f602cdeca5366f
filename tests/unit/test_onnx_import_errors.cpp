// Unit tests: every bad ONNX file of RELIABILITY.md B10 (items 85-93) gives its
// exact status code and a message naming the fault (src/onnx/import.hpp,
// src/onnx/external_data.hpp). Bad files are made by editing a valid ModelProto
// through the protobuf API (C5 style: a table of {case, mutation, status,
// message fragments}).
#include "onnx_import_support.hpp"

using namespace onnx_import_test;

namespace {

// ---- bad files: one table row per failure class (B10 items 85-93) ----

struct BadCase {
  const char *name;
  std::function<void(onnx::ModelProto &)> mutate;
  qeff_status status;
  const char *part1;
  const char *part2 = "";
};

using M = onnx::ModelProto;
onnx::NodeProto *node(M &m, int i) { return m.mutable_graph()->mutable_node(i); }
onnx::TypeProto_Tensor *input_type(M &m, int i) {
  return m.mutable_graph()->mutable_input(i)->mutable_type()->mutable_tensor_type();
}
onnx::TensorShapeProto *output_shape(M &m, int i) {
  return m.mutable_graph()->mutable_output(i)->mutable_type()->mutable_tensor_type()->mutable_shape();
}
void add_opset(M &m, const char *domain, int64_t version) {
  auto *op = m.add_opset_import();
  op->set_domain(domain);
  op->set_version(version);
}
onnx::TensorProto *axes(M &m) { return init(m, "axes"); }
// A mutation setting external_data `key` of initializer "w" to `value`.
std::function<void(M &)> ext(const char *key, std::string value) {
  return [key, value](M &m) { set_ext(m, key, value); };
}
onnx::TensorProto *tensor_attr(M &m, int n) {
  return add_attr(node(m, n), "value", onnx::AttributeProto::TENSOR)->mutable_t();
}

void add_qeff_rmsnorm(M &m, bool opset, bool function) {
  node(m, 2)->set_domain("qeff");
  node(m, 2)->set_op_type("RMSNorm");
  if (opset) add_opset(m, "qeff", 1);
  if (function) {
    auto *f = m.add_functions();
    f->set_domain("qeff");
    f->set_name("RMSNorm");
  }
}

const std::vector<BadCase> &bad_cases() {
  using T = onnx::TensorProto;
  using A = onnx::AttributeProto;
  static const std::vector<BadCase> cases = {
      // 87: versions, opsets, domains
      {"ir_version 0", [](M &m) { m.set_ir_version(0); }, QEFF_E_FORMAT, "ir_version is 0"},
      {"ir_version 9", [](M &m) { m.set_ir_version(9); }, QEFF_E_UNSUPPORTED, "ir_version 9 is not supported"},
      {"ir_version 2", [](M &m) { m.set_ir_version(2); }, QEFF_E_UNSUPPORTED, "ir_version 2"},
      {"no opset_import", [](M &m) { m.clear_opset_import(); },
       QEFF_E_FORMAT, "no entry for the default ONNX domain"},
      {"only a custom opset", [](M &m) { m.mutable_opset_import(0)->set_domain("com.microsoft"); },
       QEFF_E_FORMAT, "no entry for the default ONNX domain"},
      {"opset 22", [](M &m) { m.mutable_opset_import(0)->set_version(22); },
       QEFF_E_UNSUPPORTED, "ONNX opset 22 is not supported", "11 to 21"},
      {"opset 10", [](M &m) { m.mutable_opset_import(0)->set_version(10); }, QEFF_E_UNSUPPORTED, "ONNX opset 10"},
      {"opset 0", [](M &m) { m.mutable_opset_import(0)->set_version(0); }, QEFF_E_FORMAT, "version 0"},
      {"default domain twice", [](M &m) { add_opset(m, "ai.onnx", 17); },
       QEFF_E_FORMAT, "lists the domain \"ai.onnx\" twice"},
      {"qeff opset 2", [](M &m) { add_qeff_rmsnorm(m, true, true); m.mutable_opset_import(1)->set_version(2); },
       QEFF_E_UNSUPPORTED, "\"qeff\" domain version 2"},
      {"com.microsoft op", [](M &m) { node(m, 2)->set_domain("com.microsoft"); add_opset(m, "com.microsoft", 1); },
       QEFF_E_UNSUPPORTED, "unsupported ops: com.microsoft.Relu x1", "node 2 \"Relu\""},
      {"com.evil with an allowlisted op", [](M &m) { node(m, 0)->set_domain("com.evil"); },
       QEFF_E_UNSUPPORTED, "unsupported ops: com.evil.MatMul x1"},
      {"unsupported ops listed with counts",
       [](M &m) {
         node(m, 0)->set_op_type("Loop");
         node(m, 1)->set_op_type("NonMaxSuppression");
         node(m, 2)->set_op_type("Loop");
       },
       QEFF_E_UNSUPPORTED, "unsupported ops: Loop x2, NonMaxSuppression x1"},
      {"unknown qeff op", [](M &m) { add_qeff_rmsnorm(m, true, true); node(m, 2)->set_op_type("Evil"); },
       QEFF_E_UNSUPPORTED, "unsupported ops: qeff.Evil x1"},
      {"qeff op without its function", [](M &m) { add_qeff_rmsnorm(m, true, false); },
       QEFF_E_FORMAT, "has no FunctionProto qeff.RMSNorm"},
      {"qeff op without its opset", [](M &m) { add_qeff_rmsnorm(m, false, true); },
       QEFF_E_FORMAT, "domain \"qeff\", which opset_import does not list"},
      {"qeff op of the wrong arity", [](M &m) { add_qeff_rmsnorm(m, true, true); },
       QEFF_E_FORMAT, "qeff.RMSNorm takes 2 and 1"},
      {"qeff function twice", [](M &m) { add_qeff_rmsnorm(m, true, true); *m.add_functions() = m.functions(0); },
       QEFF_E_FORMAT, "defines the function qeff.RMSNorm twice"},
      {"empty op_type", [](M &m) { node(m, 1)->clear_op_type(); }, QEFF_E_FORMAT, "has no op_type"},
      {"op name with control bytes", [](M &m) { node(m, 1)->set_op_type("Evil\n\x1b[2J"); },
       QEFF_E_UNSUPPORTED, "unsupported ops: \"Evil\\x0a\\x1b[2J\" x1"},
      {"many distinct unsupported ops",
       [](M &m) {
         for (int i = 0; i < 40; ++i) {
           auto *n = m.mutable_graph()->add_node();
           n->set_op_type("Op" + std::to_string(100 + i));
           n->add_output("o" + std::to_string(i));
         }
       },
       QEFF_E_UNSUPPORTED, "Op131 x1 and 8 more"},
      // 88: graph structure (graph::verify's checker-style messages)
      {"not topologically sorted", [](M &m) { m.mutable_graph()->mutable_node()->SwapElements(0, 1); },
       QEFF_E_FORMAT, "reads \"MatMul_out\", which is not defined before it"},
      {"SSA violated", [](M &m) { node(m, 1)->set_output(0, "MatMul_out"); },
       QEFF_E_FORMAT, "value \"MatMul_out\" is defined twice"},
      {"dangling input", [](M &m) { node(m, 2)->set_input(0, "nowhere"); },
       QEFF_E_FORMAT, "reads \"nowhere\", which is not defined"},
      {"output never produced", [](M &m) { m.mutable_graph()->mutable_output(0)->set_name("ghost"); },
       QEFF_E_FORMAT, "output \"ghost\" is never defined"},
      {"duplicate initializer", [](M &m) { *m.mutable_graph()->add_initializer() = *axes(m); },
       QEFF_E_FORMAT, "value \"axes\" is defined twice"},
      {"duplicate attribute", [](M &m) { *node(m, 1)->add_attribute() = node(m, 1)->attribute(0); },
       QEFF_E_FORMAT, "has the attribute \"keepdims\" twice"},
      {"no graph", [](M &m) { m.clear_graph(); }, QEFF_E_FORMAT, "the model has no graph"},
      {"duplicate metadata key", [](M &m) { *m.add_metadata_props() = m.metadata_props(0); },
       QEFF_E_FORMAT, "metadata_props lists the key \"qeff.version\" twice"},
      {"duplicate value_info", [](M &m) { *m.mutable_graph()->add_value_info() = m.graph().value_info(0); },
       QEFF_E_FORMAT, "value_info lists \"MatMul_out\" twice"},
      {"value_info of an undefined value", [](M &m) { m.mutable_graph()->mutable_value_info(0)->set_name("ghost"); },
       QEFF_E_FORMAT, "value_info names \"ghost\", which is not defined"},
      // value types
      {"input without a type", [](M &m) { m.mutable_graph()->mutable_input(0)->clear_type(); },
       QEFF_E_FORMAT, "input \"x\" has no type"},
      {"input without an element type", [](M &m) { input_type(m, 0)->clear_elem_type(); },
       QEFF_E_FORMAT, "input \"x\" has no element type"},
      {"input of map type", [](M &m) { m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_map_type(); },
       QEFF_E_UNSUPPORTED, "input \"x\" is not a dense tensor"},
      {"input without a shape", [](M &m) { input_type(m, 0)->clear_shape(); },
       QEFF_E_UNSUPPORTED, "input \"x\" has no shape"},
      {"input with a negative dim", [](M &m) { input_type(m, 0)->mutable_shape()->mutable_dim(1)->set_dim_value(-3); },
       QEFF_E_FORMAT, "input \"x\" has dim 1 = -3, which is negative"},
      {"output of rank 9", [](M &m) { for (int i = 0; i < 7; ++i) output_shape(m, 0)->add_dim()->set_dim_value(1); },
       QEFF_E_FORMAT, "output \"out\" has rank 9, above limits.tensor_rank = 8"},
      {"input and initializer disagree",
       [](M &m) {
         m.mutable_graph()->add_input()->set_name("axes");
         input_type(m, 1)->set_elem_type(T::FLOAT);
         input_type(m, 1)->mutable_shape()->add_dim()->set_dim_value(1);
       },
       QEFF_E_FORMAT, "input \"axes\" has type F32[1] but its initializer is I64[1]"},
      // 89: tensors (initializer "axes", I64[1] inline)
      {"negative dims", [](M &m) { axes(m)->set_dims(0, -1); },
       QEFF_E_FORMAT, "initializer \"axes\": dims[0] = -1 is negative"},
      {"dim product overflow",
       [](M &m) { axes(m)->set_dims(0, 1LL << 32); axes(m)->add_dims(1LL << 32); axes(m)->add_dims(1LL << 32); },
       QEFF_E_FORMAT, "the element count of its dims overflows 64 bits"},
      {"byte size overflow", [](M &m) { axes(m)->set_dims(0, 1LL << 62); },
       QEFF_E_FORMAT, "its byte size (4611686018427387904 elements) overflows"},
      {"raw_data size mismatch", [](M &m) { axes(m)->set_raw_data("1234"); },
       QEFF_E_FORMAT, "raw_data holds 4 bytes; its type I64[1] needs 8"},
      {"STRING tensor", [](M &m) { axes(m)->set_data_type(T::STRING); },
       QEFF_E_UNSUPPORTED, "initializer \"axes\": element type STRING is not supported"},
      {"COMPLEX128 tensor", [](M &m) { axes(m)->set_data_type(T::COMPLEX128); }, QEFF_E_UNSUPPORTED, "COMPLEX128"},
      {"two value fields", [](M &m) { axes(m)->add_int64_data(1); },
       QEFF_E_FORMAT, "two value fields are set (raw_data and int64_data)"},
      {"data_type UNDEFINED", [](M &m) { axes(m)->set_data_type(T::UNDEFINED); },
       QEFF_E_FORMAT, "element type is UNDEFINED"},
      {"data_type missing", [](M &m) { axes(m)->clear_data_type(); }, QEFF_E_FORMAT, "data_type is missing"},
      {"unknown data_type", [](M &m) { axes(m)->set_data_type(99); }, QEFF_E_FORMAT, "unknown element type 99"},
      {"tensor rank 9", [](M &m) { for (int i = 0; i < 8; ++i) axes(m)->add_dims(1); },
       QEFF_E_FORMAT, "initializer \"axes\": rank 9 is above limits.tensor_rank = 8"},
      {"typed count mismatch", [](M &m) { axes(m)->clear_raw_data(); axes(m)->mutable_int64_data()->Resize(2, 7); },
       QEFF_E_FORMAT, "int64_data holds 2 values; its type I64[1] needs 1"},
      {"typed field of the wrong type", [](M &m) { axes(m)->clear_raw_data(); axes(m)->add_float_data(1); },
       QEFF_E_FORMAT, "float_data cannot hold a INT64 tensor"},
      {"typed value out of range",
       [](M &m) { axes(m)->clear_raw_data(); axes(m)->set_data_type(T::INT8); axes(m)->add_int32_data(300); },
       QEFF_E_FORMAT, "int32_data[0] = 300 is out of range for a INT8 element"},
      {"BOOL value not 0 or 1",
       [](M &m) { axes(m)->clear_raw_data(); axes(m)->set_data_type(T::BOOL); axes(m)->add_int32_data(2); },
       QEFF_E_FORMAT, "out of range for a BOOL element"},
      {"string_data in a numeric tensor", [](M &m) { axes(m)->clear_raw_data(); axes(m)->add_string_data("x"); },
       QEFF_E_FORMAT, "string_data is set for a INT64 tensor"},
      {"no data", [](M &m) { axes(m)->clear_raw_data(); }, QEFF_E_FORMAT, "holds no data"},
      {"segmented tensor", [](M &m) { axes(m)->mutable_segment()->set_begin(0); }, QEFF_E_UNSUPPORTED, "segmented"},
      {"unnamed initializer", [](M &m) { axes(m)->clear_name(); }, QEFF_E_FORMAT, "initializer 1 has no name"},
      {"sparse initializer", [](M &m) { m.mutable_graph()->add_sparse_initializer(); },
       QEFF_E_UNSUPPORTED, "sparse initializers"},
      // 90 and attributes: subgraphs, types, value fields
      {"If with nested If",
       [](M &m) {
         node(m, 2)->set_op_type("If");
         auto *inner = add_attr(node(m, 2), "then_branch", A::GRAPH)->mutable_g()->add_node();
         inner->set_op_type("If");
         add_attr(inner, "else_branch", A::GRAPH)->mutable_g();
       },
       QEFF_E_UNSUPPORTED, "unsupported ops: If x1"},
      {"subgraph attribute", [](M &m) { add_attr(node(m, 2), "body", A::GRAPH)->mutable_g(); },
       QEFF_E_UNSUPPORTED, "attribute \"body\" is a subgraph (GRAPH)"},
      {"GRAPHS attribute", [](M &m) { add_attr(node(m, 2), "bodies", A::GRAPHS)->add_graphs(); },
       QEFF_E_UNSUPPORTED, "is a subgraph (GRAPHS)"},
      {"SPARSE_TENSOR attribute", [](M &m) { add_attr(node(m, 2), "s", A::SPARSE_TENSOR)->mutable_sparse_tensor(); },
       QEFF_E_UNSUPPORTED, "has type SPARSE_TENSOR, which is not supported"},
      {"attribute without a type", [](M &m) { add_attr(node(m, 2), "a", A::UNDEFINED)->set_i(1); },
       QEFF_E_FORMAT, "attribute \"a\" has no (or an unknown) type"},
      {"attribute with two values",
       [](M &m) { auto *a = add_attr(node(m, 2), "a", A::INT); a->set_i(1); a->add_floats(1); },
       QEFF_E_FORMAT, "has type INT but also sets a FLOATS value"},
      {"attribute without its value", [](M &m) { add_attr(node(m, 2), "a", A::FLOAT); },
       QEFF_E_FORMAT, "has type FLOAT but no value"},
      {"attribute with an empty name", [](M &m) { add_attr(node(m, 2), "", A::INT)->set_i(1); },
       QEFF_E_FORMAT, "has an attribute with an empty name"},
      {"ref_attr_name outside a function", [](M &m) { add_attr(node(m, 2), "a", A::INT)->set_ref_attr_name("x"); },
       QEFF_E_FORMAT, "ref_attr_name"},
      {"tensor attribute of STRING",
       [](M &m) {
         tensor_attr(m, 2)->set_data_type(T::STRING);
         node(m, 2)->mutable_attribute(0)->mutable_t()->add_string_data("x");
       },
       QEFF_E_UNSUPPORTED, "attribute \"value\": element type STRING"},
      {"tensor attribute with bad raw_data",
       [](M &m) { auto *t = tensor_attr(m, 2); t->set_data_type(T::FLOAT); t->add_dims(2); t->set_raw_data("abc"); },
       QEFF_E_FORMAT, "node 2 \"Relu\" (Relu) attribute \"value\": raw_data holds 3 bytes"},
      // 93: external data keys and numbers (initializer "w", F32[16, 32] = 2048 bytes at offset 0)
      {"duplicate location key", [](M &m) { *init(m, "w")->add_external_data() = init(m, "w")->external_data(0); },
       QEFF_E_FORMAT, "external_data key \"location\" is given twice"},
      {"duplicate offset key", [](M &m) { *init(m, "w")->add_external_data() = init(m, "w")->external_data(1); },
       QEFF_E_FORMAT, "key \"offset\" is given twice"},
      {"no location", [](M &m) { init(m, "w")->mutable_external_data()->DeleteSubrange(0, 1); },
       QEFF_E_FORMAT, "external_data has no \"location\""},
      {"EXTERNAL without entries", [](M &m) { init(m, "w")->clear_external_data(); },
       QEFF_E_FORMAT, "data_location is EXTERNAL but external_data is empty"},
      {"entries without EXTERNAL", [](M &m) { init(m, "w")->clear_data_location(); },
       QEFF_E_FORMAT, "has external_data entries but data_location is not EXTERNAL"},
      {"EXTERNAL with raw_data too", [](M &m) { init(m, "w")->set_raw_data(std::string(2048, '\0')); },
       QEFF_E_FORMAT, "data_location is EXTERNAL but raw_data is also set"},
      {"offset -1", ext("offset", "-1"), QEFF_E_FORMAT, "offset \"-1\" is not a non-negative decimal"},
      {"offset 1e3", ext("offset", "1e3"), QEFF_E_FORMAT, "offset \"1e3\""},
      {"offset 0x10", ext("offset", "0x10"), QEFF_E_FORMAT, "offset \"0x10\""},
      {"offset +0", ext("offset", "+0"), QEFF_E_FORMAT, "offset \"+0\""},
      {"offset with a space", ext("offset", " 0"), QEFF_E_FORMAT, "offset \" 0\""},
      {"offset empty", ext("offset", ""), QEFF_E_FORMAT, "offset \"\""},
      {"offset beyond 2^64", ext("offset", "18446744073709551616"),
       QEFF_E_FORMAT, "offset \"18446744073709551616\" is not a non-negative decimal integer below 2^64"},
      {"length non-numeric", ext("length", "2kB"), QEFF_E_FORMAT, "length \"2kB\""},
      {"length petabytes", ext("length", "1125899906842624000"),
       QEFF_E_FORMAT, "length 1125899906842624000 differs from the tensor's byte size 2048"},
      {"length off by one", ext("length", "2047"), QEFF_E_FORMAT, "length 2047 differs"},
      {"offset + length overflow", ext("offset", "18446744073709550000"),
       QEFF_E_FORMAT, "offset 18446744073709550000 + length 2048 overflows 64 bits"},
      {"offset + length beyond the file", ext("offset", "64"),
       QEFF_E_FORMAT, "offset 64 + length 2048 exceeds the size of", "(2048 bytes)"},
      {"huge tensor in a small file",
       [](M &m) { init(m, "w")->set_dims(0, 1LL << 40); set_ext(m, "length", std::to_string(128LL << 40)); },
       QEFF_E_LIMIT, "limits.onnx_external_bytes"},
      {"no length, file longer than the tensor",
       [](M &m) { init(m, "w")->mutable_external_data()->DeleteSubrange(2, 1); init(m, "w")->set_dims(0, 8); },
       QEFF_E_FORMAT, "has no length, so it runs to the end", "1024"},
      {"missing data file", ext("location", "missing.bin"),
       QEFF_E_NOT_FOUND, "initializer \"w\": external data", "missing.bin\" does not exist"},
      // 91: locations
      {"absolute location", ext("location", "/etc/passwd"),
       QEFF_E_SECURITY, "location \"/etc/passwd\" is not allowed (absolute path)"},
      {"/dev/zero location", ext("location", "/dev/zero"), QEFF_E_SECURITY, "(absolute path)"},
      {"../x", ext("location", "../x"), QEFF_E_SECURITY, "('..' component)"},
      {"a/../../x", ext("location", "a/../../x"), QEFF_E_SECURITY, "('..' component)"},
      {"..\\x", ext("location", "..\\x"), QEFF_E_SECURITY, "(contains a backslash)"},
      {".", ext("location", "."), QEFF_E_SECURITY, "('.' component)"},
      {"./model.onnx.data", ext("location", "./model.onnx.data"), QEFF_E_SECURITY, "('.' component)"},
      {"empty location", ext("location", ""), QEFF_E_SECURITY, "(empty)"},
      {"a//b", ext("location", "a//b"), QEFF_E_SECURITY, "(empty path component)"},
      {"trailing slash", ext("location", "model.onnx.data/"), QEFF_E_SECURITY, "(empty path component)"},
      {"NUL in location", ext("location", std::string("model.onnx.data\0x", 17)), QEFF_E_SECURITY, "NUL"},
      {"ORT memory marker", ext("location", "*/_ORT_MEM_ADDR_/*"), QEFF_E_SECURITY, "in-memory address marker"},
  };
  return cases;
}

TEST(OnnxImport, RejectsEveryBadFileWithItsCodeAndMessage) {
  for (const auto &c : bad_cases()) {
    SCOPED_TRACE(c.name);
    Exported e;
    e.rewrite(c.mutate);
    auto import = [&] { oi::import_model(e.model.string()); };
    EXPECT_TRUE(throws_qeff(import, c.status, {c.part1, c.part2, "model.onnx\": "}));
  }
}

TEST(OnnxImport, NotProtobufTruncatedEmptyAndDeeplyNested) {  // 85, 86
  Exported e;
  std::string good = qeff_test::read_file(e.model);
  const std::string path = e.model.string();
  for (const std::string &junk : {std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11),
                                  std::string("this is not a protobuf"), std::string("\x0a\x80\x80\x80\x80\x10", 6),
                                  good.substr(0, good.size() / 2), good.substr(0, good.size() - 1)}) {
    qeff_test::write_file(e.model, junk);
    EXPECT_QEFF_ERROR(oi::import_model(path), QEFF_E_FORMAT, "is not a valid ONNX protobuf");
  }
  qeff_test::write_file(e.model, "");
  EXPECT_QEFF_ERROR(oi::import_model(path), QEFF_E_FORMAT, "is empty (0 bytes)");

  // Graph attributes nested `levels` deep (3 protobuf levels each): 30 levels
  // parse (and the subgraph is refused), 34 exceed the recursion limit of 100.
  auto nest = [&](int levels) {
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(good));
    auto *a = add_attr(m.mutable_graph()->mutable_node(2), "body", onnx::AttributeProto::GRAPH);
    onnx::GraphProto *g = a->mutable_g();
    for (int i = 1; i < levels; ++i) g = g->add_node()->add_attribute()->mutable_g();
    write_proto(e.model, m);
  };
  nest(30);
  EXPECT_QEFF_ERROR(oi::import_model(path), QEFF_E_UNSUPPORTED, "attribute \"body\" is a subgraph");
  nest(34);
  EXPECT_QEFF_ERROR(oi::import_model(path), QEFF_E_FORMAT, "nested deeper than 100 levels");

  // Size cap, checked before reading.
  qeff_test::write_file(e.model, good);
  oi::ImportLimits small;
  small.max_model_bytes = good.size() - 1;
  EXPECT_QEFF_ERROR(oi::import_model(path, small), QEFF_E_LIMIT, "limits.onnx_model_bytes");
  small.max_model_bytes = good.size();
  EXPECT_NO_THROW(oi::import_model(path, small));
}

TEST(OnnxImport, CapsGiveLimitErrors) {  // 90
  Exported e;
  const std::string path = e.model.string();
  oi::ImportLimits l;
  l.max_nodes = 3;
  EXPECT_QEFF_ERROR(oi::import_model(path, l), QEFF_E_LIMIT, "4 nodes, above limits.onnx_nodes = 3");
  l = {};
  l.max_initializers = 1;
  EXPECT_QEFF_ERROR(oi::import_model(path, l), QEFF_E_LIMIT, "2 initializers, above limits.onnx_initializers = 1");
  l = {};
  l.max_external_bytes = 2047;
  EXPECT_QEFF_ERROR(oi::import_model(path, l), QEFF_E_LIMIT, "initializer \"w\"", "limits.onnx_external_bytes = 2047");
  l = {};
  l.max_rank = 1;
  EXPECT_QEFF_ERROR(oi::import_model(path, l), QEFF_E_FORMAT, "initializer \"w\": rank 2 is above",
                    "limits.tensor_rank = 1");
  e.rewrite([](onnx::ModelProto &m) {
    auto *a = add_attr(node(m, 2), "qeff_list", onnx::AttributeProto::INTS);
    for (int i = 0; i < 5; ++i) a->add_ints(i);
    auto *t = add_attr(node(m, 3), "qeff_tensor", onnx::AttributeProto::TENSOR)->mutable_t();
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(6);
    t->set_raw_data(std::string(24, '\0'));
  });
  l = {};
  l.max_attribute_elements = 4;
  EXPECT_QEFF_ERROR(oi::import_model(path, l), QEFF_E_LIMIT, "attribute \"qeff_list\" has 5 elements");
  l.max_attribute_elements = 5;
  EXPECT_QEFF_ERROR(oi::import_model(path, l), QEFF_E_LIMIT, "attribute \"qeff_tensor\" has 6 elements");
  l.max_attribute_elements = 6;
  EXPECT_NO_THROW(oi::import_model(path, l));
}

TEST(OnnxImport, ModelPathMustBeARegularFile) {
  Exported e;
  TempDir other;
  EXPECT_QEFF_ERROR(oi::import_model(""), QEFF_E_INVALID_ARGUMENT, "ONNX model path is an empty string");
  EXPECT_QEFF_ERROR(oi::import_model((e.dir / "absent.onnx").string()), QEFF_E_NOT_FOUND, "absent.onnx");
  EXPECT_QEFF_ERROR(oi::import_model(e.dir.str() + "/nodir/model.onnx"), QEFF_E_NOT_FOUND, "does not exist");
  EXPECT_QEFF_ERROR(oi::import_model(e.dir.str() + "/"), QEFF_E_FORMAT, "names a directory");
  fs::create_directory(e.dir / "sub.onnx");
  EXPECT_QEFF_ERROR(oi::import_model((e.dir / "sub.onnx").string()), QEFF_E_FORMAT, "is a directory");
  ASSERT_EQ(::mkfifo((e.dir / "fifo.onnx").c_str(), 0644), 0);
  EXPECT_QEFF_ERROR(oi::import_model((e.dir / "fifo.onnx").string()), QEFF_E_FORMAT, "is a FIFO");  // no hang
  EXPECT_QEFF_ERROR(oi::import_model("/dev/zero"), QEFF_E_FORMAT, "is a character device");
  // A symlink to the model inside its directory is fine; one leading out is not.
  fs::create_symlink("model.onnx", e.dir / "alias.onnx");
  EXPECT_NO_THROW(oi::import_model((e.dir / "alias.onnx").string()));
  fs::copy_file(e.model, other / "model.onnx");
  fs::create_symlink(other / "model.onnx", e.dir / "escape.onnx");
  EXPECT_QEFF_ERROR(oi::import_model((e.dir / "escape.onnx").string()), QEFF_E_SECURITY, "outside the model directory");
}

// 91 (file system side): links, special files, a 0-byte data file.
TEST(OnnxImport, ExternalDataFilesAreCheckedOnDisk) {
  auto expect_at = [](const char *location, qeff_status status, const char *part,
                      const std::function<void(const Exported &)> &setup) {
    SCOPED_TRACE(location);
    Exported e;
    setup(e);
    e.rewrite([&](onnx::ModelProto &m) { set_ext(m, "location", location); });
    EXPECT_TRUE(throws_qeff([&] { oi::import_model(e.model.string()); }, status, {part, "initializer \"w\""}));
  };
  auto data = [](const Exported &e) { return e.dir / "model.onnx.data"; };
  expect_at("link.bin", QEFF_E_SECURITY, "is or passes through a symlink",
            [&](const Exported &e) { fs::create_symlink("model.onnx.data", e.dir / "link.bin"); });
  expect_at("sub/model.onnx.data", QEFF_E_SECURITY, "is or passes through a symlink", [&](const Exported &e) {
    fs::create_directory(e.dir / "real");
    fs::copy_file(data(e), e.dir / "real" / "model.onnx.data");
    fs::create_symlink("real", e.dir / "sub");
  });
  expect_at("zero.bin", QEFF_E_SECURITY, "symlink",
            [&](const Exported &e) { fs::create_symlink("/dev/zero", e.dir / "zero.bin"); });
  expect_at("etc.bin", QEFF_E_SECURITY, "symlink",
            [&](const Exported &e) { fs::create_symlink("/etc/passwd", e.dir / "etc.bin"); });
  expect_at("model.onnx.data", QEFF_E_SECURITY, "has 2 hard links",
            [&](const Exported &e) { fs::create_hard_link(data(e), e.dir / "hard.bin"); });
  expect_at("fifo.bin", QEFF_E_FORMAT, "is a FIFO, expected a regular file",
            [&](const Exported &e) { ASSERT_EQ(::mkfifo((e.dir / "fifo.bin").c_str(), 0644), 0); });
  expect_at("dir.bin", QEFF_E_FORMAT, "is a directory, expected a regular file",
            [&](const Exported &e) { fs::create_directory(e.dir / "dir.bin"); });
  expect_at("file/x.bin", QEFF_E_FORMAT, "a path component is not a directory",
            [&](const Exported &e) { qeff_test::write_file(e.dir / "file", "x"); });
  expect_at("empty.bin", QEFF_E_FORMAT, "exceeds the size of",
            [&](const Exported &e) { qeff_test::write_file(e.dir / "empty.bin", ""); });  // 85: 0-byte data file
  {
    Exported e;  // a character device inside the model directory (needs mknod rights)
    if (::mknod((e.dir / "null.bin").c_str(), S_IFCHR | 0644, makedev(1, 3)) == 0) {
      e.rewrite([&](onnx::ModelProto &m) { set_ext(m, "location", "null.bin"); });
      EXPECT_QEFF_ERROR(oi::import_model(e.model.string()), QEFF_E_FORMAT, "is a character device");
    }
  }
}

TEST(OnnxImport, ExternalDataThatIsFine) {  // 93: unknown keys ignored, no length, subdirectories
  Exported e;
  std::string data = qeff_test::read_file(e.dir / "model.onnx.data");
  qeff_test::write_file(e.dir / "weights" / "w.bin", data);
  e.rewrite([](onnx::ModelProto &m) {
    set_ext(m, "location", "weights/w.bin");
    set_ext(m, "evil_attr", "1");
    set_ext(m, "__class__", "x");
    set_ext(m, "checksum", "0123456789abcdef0123456789abcdef01234567");
    init(m, "w")->mutable_external_data()->DeleteSubrange(2, 1);  // no length: to the end of the file
    auto *c = m.mutable_graph()->add_node();  // a Constant whose tensor lives in the other file
    c->set_op_type("Constant");
    c->add_output("c_ext");
    auto *t = add_attr(c, "value", onnx::AttributeProto::TENSOR)->mutable_t();
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(16);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    for (auto [k, v] : {std::pair{"location", "model.onnx.data"}, {"offset", "64"}, {"length", "64"}}) {
      auto *e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
  });
  Graph g = oi::import_model(e.model.string());
  const Initializer *w = g.initializer("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->data.file(), fs::canonical(e.dir.path()).string() + "/weights/w.bin");
  ASSERT_EQ(w->data.size(), 2048u);
  EXPECT_EQ(std::memcmp(w->data.data(), e.weights->data(), 2048), 0);
  const auto &c = std::get<ConstTensor>(g.nodes.back().attributes.at(0).value);  // copied, not viewed
  EXPECT_EQ(c.type, f32(fixed_shape({16})));
  ASSERT_EQ(c.bytes.size(), 64u);
  EXPECT_EQ(std::memcmp(c.bytes.data(), e.weights->data() + 16, 64), 0);
  // The view keeps the mapping alive after the files are gone.
  fs::remove_all(e.dir / "weights");
  Graph copy = g;
  g = Graph();
  EXPECT_EQ(std::memcmp(copy.initializer("w")->data.data(), e.weights->data(), 2048), 0);
}

TEST(OnnxImport, OpenBeneathRefusesLinksWithOrWithoutOpenat2) {
  using qeff::onnx_io::detail::open_beneath;
  TempDir tmp;
  qeff_test::write_file(tmp / "d" / "f.bin", "abc");
  fs::create_symlink("d", tmp / "ld");
  fs::create_symlink("f.bin", tmp / "d" / "lf.bin");
  int dirfd = ::open(tmp.str().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dirfd, 0);
  for (bool openat2 : {true, false}) {
    SCOPED_TRACE(openat2 ? "openat2" : "walk");
    int fd = open_beneath(dirfd, "d/f.bin", "f", openat2);
    ASSERT_GE(fd, 0);
    char buf[4] = {};
    EXPECT_EQ(::read(fd, buf, 3), 3);
    EXPECT_STREQ(buf, "abc");
    ::close(fd);
    EXPECT_QEFF_ERROR(open_beneath(dirfd, "ld/f.bin", "x", openat2), QEFF_E_SECURITY, "symlink");
    EXPECT_QEFF_ERROR(open_beneath(dirfd, "d/lf.bin", "x", openat2), QEFF_E_SECURITY, "symlink");
    EXPECT_QEFF_ERROR(open_beneath(dirfd, "d/none", "x", openat2), QEFF_E_NOT_FOUND, "does not exist");
    EXPECT_QEFF_ERROR(open_beneath(dirfd, "d/f.bin/x", "x", openat2), QEFF_E_FORMAT, "not a directory");
  }
  ::close(dirfd);
}

TEST(OnnxImport, DecimalParsingIsStrict) {
  using qeff::onnx_io::detail::parse_decimal;
  EXPECT_EQ(parse_decimal("0"), 0u);
  EXPECT_EQ(parse_decimal("0042"), 42u);
  EXPECT_EQ(parse_decimal("18446744073709551615"), UINT64_MAX);
  for (const char *bad :
       {"", "-1", "+1", "1e3", "0x10", " 1", "1 ", "1.0", "18446744073709551616", "99999999999999999999999"})
    EXPECT_FALSE(parse_decimal(bad).has_value()) << bad;
}


}  // namespace
