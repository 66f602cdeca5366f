// Unit tests: importing ONNX files (src/onnx/import.hpp), the files that must
// import: exported graphs come back identical (export -> import -> export is
// byte-identical), typed fields and older exporter conventions, and
// torch.onnx.export output. Bad files are in test_onnx_import_errors.cpp.
#include "onnx_import_support.hpp"

using namespace onnx_import_test;

namespace {

TEST(OnnxImport, RoundTripsAnExportedGraph) {
  TempDir tmp;
  auto w = ramp(64 * 64);
  Graph g = rich_graph(w);
  oi::export_model(g, tmp.str(), with_meta());
  Graph back = oi::import_model(tmp.str() + "/model.onnx");
  expect_same_graph(g, back);
  EXPECT_EQ(back.metadata.at("qeff.source_model"), "unit-test");
  EXPECT_EQ(back.metadata.at("qeff.transforms"), "none");
  EXPECT_EQ(back.metadata.at("qeff.version"), QEFF_VERSION_STRING);
  EXPECT_EQ(back.opsets, (std::map<std::string, int64_t>{{"", 20}, {"qeff", 1}}));
  // The two big weights are zero-copy views of the mapped data file.
  std::string data_file = fs::canonical(tmp.path()).string() + "/model.onnx.data";
  const Initializer *fc = back.initializer("fc.weight");
  const Initializer *fc2 = back.initializer("fc2.weight");
  ASSERT_TRUE(fc && fc2);
  EXPECT_TRUE(fc->data.is_view());
  EXPECT_EQ(fc->data.file(), data_file);
  EXPECT_EQ(fc->data.file_offset(), 0u);
  EXPECT_EQ(fc2->data.file(), data_file);
  EXPECT_EQ(fc2->data.file_offset(), 2048u);
  EXPECT_EQ(fc2->data.data() - fc->data.data(), 2048);  // one mapping per file
  EXPECT_FALSE(back.initializer("axes")->data.is_view());
}

TEST(OnnxImport, ExportImportExportIsByteIdentical) {
  TempDir a, b;
  auto w = ramp(64 * 64);
  oi::export_model(rich_graph(w), a.str(), with_meta());
  Graph back = oi::import_model(a.str() + "/model.onnx");
  oi::export_model(back, b.str());
  EXPECT_EQ(qeff_test::read_file(a / "model.onnx"), qeff_test::read_file(b / "model.onnx"));
  EXPECT_EQ(qeff_test::read_file(a / "model.onnx.data"), qeff_test::read_file(b / "model.onnx.data"));
  // A graph whose tensors are all inline too.
  TempDir c, d;
  oi::ExportOptions all_inline;
  all_inline.inline_limit = 1 << 20;
  oi::export_model(small_graph(w), c.str(), all_inline);
  EXPECT_FALSE(fs::exists(c / "model.onnx.data"));
  oi::export_model(oi::import_model(c.str() + "/model.onnx"), d.str(), all_inline);
  EXPECT_EQ(qeff_test::read_file(c / "model.onnx"), qeff_test::read_file(d / "model.onnx"));
}

TEST(OnnxImport, TypedFieldsBecomeLittleEndianBytes) {
  Exported e;
  e.rewrite([](onnx::ModelProto &m) {
    auto add = [&](const char *name, int type, std::vector<int64_t> dims) {
      auto *t = m.mutable_graph()->add_initializer();
      t->set_name(name);
      t->set_data_type(type);
      for (auto d : dims) t->add_dims(d);
      return t;
    };
    auto *f = add("f", onnx::TensorProto::FLOAT, {2});
    f->add_float_data(1.5f), f->add_float_data(-2.0f);
    auto *c = add("c", onnx::TensorProto::COMPLEX64, {1});
    c->add_float_data(1.0f), c->add_float_data(2.0f);
    auto *i64 = add("i64", onnx::TensorProto::INT64, {2});
    i64->add_int64_data(-1), i64->add_int64_data(1LL << 40);
    auto *i8 = add("i8", onnx::TensorProto::INT8, {2});
    i8->add_int32_data(-128), i8->add_int32_data(127);
    auto *u8 = add("u8", onnx::TensorProto::UINT8, {1});
    u8->add_int32_data(255);
    auto *bl = add("bool", onnx::TensorProto::BOOL, {2});
    bl->add_int32_data(1), bl->add_int32_data(0);
    auto *h = add("f16", onnx::TensorProto::FLOAT16, {1});
    h->add_int32_data(0x3c00);
    auto *i16 = add("i16", onnx::TensorProto::INT16, {1});
    i16->add_int32_data(-2);
    auto *dbl = add("f64", onnx::TensorProto::DOUBLE, {1});
    dbl->add_double_data(0.25);
    auto *u32 = add("u32", onnx::TensorProto::UINT32, {1});
    u32->add_uint64_data(0xdeadbeef);
    auto *u64 = add("u64", onnx::TensorProto::UINT64, {1});
    u64->add_uint64_data(~0ULL);
    add("empty", onnx::TensorProto::FLOAT, {0, 3});
  });
  Graph g = oi::import_model(e.model.string());
  auto bytes = [&](const char *name) {
    const Initializer *i = g.initializer(name);
    EXPECT_NE(i, nullptr) << name;
    return i ? std::vector<uint8_t>(i->data.data(), i->data.data() + i->data.size()) : std::vector<uint8_t>{};
  };
  using V = std::vector<uint8_t>;
  EXPECT_EQ(bytes("f"), (V{0, 0, 0xc0, 0x3f, 0, 0, 0, 0xc0}));
  EXPECT_EQ(bytes("c"), (V{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40}));
  EXPECT_EQ(bytes("i64"), (V{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(bytes("i8"), (V{0x80, 0x7f}));
  EXPECT_EQ(bytes("u8"), (V{0xff}));
  EXPECT_EQ(bytes("bool"), (V{1, 0}));
  EXPECT_EQ(bytes("f16"), (V{0x00, 0x3c}));
  EXPECT_EQ(bytes("i16"), (V{0xfe, 0xff}));
  EXPECT_EQ(bytes("f64"), (V{0, 0, 0, 0, 0, 0, 0xd0, 0x3f}));
  EXPECT_EQ(bytes("u32"), (V{0xef, 0xbe, 0xad, 0xde}));
  EXPECT_EQ(bytes("u64"), V(8, 0xff));
  EXPECT_EQ(bytes("empty"), V{});
  EXPECT_EQ(g.initializer("c")->type.dtype, QEFF_DTYPE_C64);
  EXPECT_EQ(g.initializer("f16")->type.dtype, QEFF_DTYPE_F16);
}

TEST(OnnxImport, AcceptsOlderExporterConventions) {
  Exported e;
  e.rewrite([](onnx::ModelProto &m) {
    m.set_ir_version(3);
    m.mutable_opset_import(0)->set_domain("ai.onnx");
    m.mutable_opset_import(0)->set_version(13);
    auto *gp = m.mutable_graph();
    gp->mutable_node(2)->set_domain("ai.onnx");
    gp->mutable_node(2)->add_output("");  // an omitted optional output
    auto *in = gp->add_input();           // an initializer listed as an input (IR < 4)
    in->set_name("w");
    auto *tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("rows");
    tt->mutable_shape()->add_dim()->set_dim_value(32);
    gp->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->Clear();
  });
  Graph g = oi::import_model(e.model.string());
  ASSERT_EQ(g.inputs.size(), 1u);  // "w" stays an initializer only
  EXPECT_EQ(g.inputs[0].type.shape[0], Dim::sym("unk__0"));
  EXPECT_EQ(g.nodes[2].domain, "");
  EXPECT_EQ(g.nodes[2].outputs.size(), 1u);
  EXPECT_EQ(g.opsets.at(""), 13);
}

std::string torch_dir() { return qeff_test::fixtures_dir() + "/../onnx/torch_exports"; }

TEST(OnnxImport, ImportsTorchOnnxExportOfABertLayer) {
  Graph g = oi::import_model(torch_dir() + "/bert_layer.onnx");
  EXPECT_EQ(g.nodes.size(), 100u);
  EXPECT_EQ(g.initializers.size(), 14u);
  ASSERT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.inputs[0].type, f32({Dim::sym("batch"), Dim::sym("seq"), Dim::fixed(32)}));
  EXPECT_EQ(g.inputs[1].type.dtype, QEFF_DTYPE_I64);
  EXPECT_EQ(g.outputs[0].name, "output");
  EXPECT_EQ(g.opsets.at(""), 17);
  size_t layer_norms = 0, constants = 0;
  for (const auto &n : g.nodes) {
    layer_norms += n.op_type == "LayerNormalization";
    if (n.op_type == "Constant") {
      ++constants;
      EXPECT_NE(n.attribute("value"), nullptr);
    }
  }
  EXPECT_EQ(layer_norms, 2u);
  EXPECT_EQ(constants, 31u);
  // From ONNX shape inference (see generate.py): 99 entries, 27 of them of
  // unknown rank, which the IR cannot express and the importer skips.
  EXPECT_EQ(g.value_info.size(), 72u);
  const TensorType *ln = g.type_of(g.nodes[0].outputs[0]);
  ASSERT_NE(ln, nullptr);
  EXPECT_TRUE(ln->known());
}

TEST(OnnxImport, ImportsTorchOnnxExportOfALlamaDecoderLayerWithExternalData) {
  Graph g = oi::import_model(torch_dir() + "/llama_block.onnx");
  EXPECT_EQ(g.nodes.size(), 287u);
  size_t views = 0;
  for (const auto &i : g.initializers)
    if (i.data.is_view()) {
      ++views;
      EXPECT_EQ(fs::path(i.data.file()).filename(), "llama_block.onnx.data");
    }
  EXPECT_EQ(views, 7u);
  bool trilu = false;
  for (const auto &n : g.nodes) trilu = trilu || n.op_type == "Trilu";
  EXPECT_TRUE(trilu);
  // And it survives our own export and import.
  TempDir tmp;
  oi::export_model(g, tmp.str());
  expect_same_graph(g, oi::import_model(tmp.str() + "/model.onnx"));
}


}  // namespace
