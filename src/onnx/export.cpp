#include "onnx/export.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <onnx/onnx_pb.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <variant>

#include "common/cancel.hpp"
#include "common/atomic_write.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/hash.hpp"
#include "graph/verify.hpp"
#include "onnx/element_types.hpp"
#include "onnx/functions.hpp"

namespace qeff::onnx_io {
namespace {

using graph::Graph;
using graph::TensorType;

int onnx_elem_type(qeff_dtype d, const std::string &what) {
  if (auto t = onnx_elem_type_of(d)) return *t;
  fail(QEFF_E_UNSUPPORTED, what + ": element type " + std::string(qeff_dtype_name(d)) +
                               " cannot be exported to ONNX (opset 17 / IR 8)");
}

void set_type(onnx::TypeProto *t, const TensorType &type, const std::string &what) {
  auto *tensor = t->mutable_tensor_type();
  tensor->set_elem_type(onnx_elem_type(type.dtype, what));
  auto *shape = tensor->mutable_shape();
  for (const auto &d : type.shape) {
    auto *dim = shape->add_dim();
    if (d.is_symbolic()) dim->set_dim_param(d.symbol);
    else dim->set_dim_value(d.value);
  }
}

void set_value_info(onnx::ValueInfoProto *v, const graph::ValueInfo &info, const char *kind) {
  v->set_name(info.name);
  if (info.type.known()) set_type(v->mutable_type(), info.type, std::string(kind) + " " + quote(info.name));
}

void set_tensor_header(onnx::TensorProto *t, const std::string &name, const TensorType &type) {
  t->set_name(name);
  t->set_data_type(onnx_elem_type(type.dtype, "tensor " + quote(name)));
  for (const auto &d : type.shape) t->add_dims(d.value);
}

void set_attribute(onnx::AttributeProto *a, const graph::Attribute &attr, const std::string &node) {
  a->set_name(attr.name);
  std::visit(
      [&](const auto &v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a->set_type(onnx::AttributeProto_AttributeType_INT);
          a->set_i(v);
        } else if constexpr (std::is_same_v<T, double>) {
          a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
          a->set_f(static_cast<float>(v));
        } else if constexpr (std::is_same_v<T, std::string>) {
          a->set_type(onnx::AttributeProto_AttributeType_STRING);
          a->set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a->set_type(onnx::AttributeProto_AttributeType_INTS);
          for (int64_t x : v) a->add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          a->set_type(onnx::AttributeProto_AttributeType_FLOATS);
          for (double x : v) a->add_floats(static_cast<float>(x));
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          a->set_type(onnx::AttributeProto_AttributeType_STRINGS);
          for (const auto &x : v) a->add_strings(x);
        } else {
          a->set_type(onnx::AttributeProto_AttributeType_TENSOR);
          set_tensor_header(a->mutable_t(), "", v.type);
          a->mutable_t()->set_raw_data(v.bytes.data(), v.bytes.size());
          (void)node;
        }
      },
      attr.value);
}

int open_output_dir(const std::string &dir) {
  check_path_argument(dir, "output directory");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // parents too; an existing path is checked below
  struct stat st;
  if (ec && ::lstat(dir.c_str(), &st) != 0)
    fail(QEFF_E_IO, "cannot create output directory " + quote(dir) + ": " + ec.message());
  if (::lstat(dir.c_str(), &st) != 0)
    fail(QEFF_E_IO, "cannot access output directory " + quote(dir) + ": " + std::strerror(errno));
  if (S_ISLNK(st.st_mode))
    fail(QEFF_E_SECURITY, "output directory " + quote(dir) + " is a symlink; give its target instead");
  if (!S_ISDIR(st.st_mode)) fail(QEFF_E_IO, "output directory " + quote(dir) + " exists and is not a directory");
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP) fail(QEFF_E_SECURITY, "output directory " + quote(dir) + " changed into a symlink");
    fail(QEFF_E_IO, "cannot open output directory " + quote(dir) + ": " + std::strerror(errno));
  }
  // One export at a time per directory; the lock goes with the descriptor.
  UniqueFd owned(fd);
  if (!lock_exclusive(fd, false, dir)) fail(QEFF_E_BUSY, "another export is writing to " + quote(dir));
  return owned.release();
}

// The name of the file `data` views, when that file sits directly in `dir` and
// is not one the export writes; "" otherwise.
std::string referenced_file(const graph::WeightData &data, const std::string &dir) {
  const std::string &file = data.file();
  if (dir.empty() || !data.is_view() || file.size() <= dir.size() + 1 ||
      file.compare(0, dir.size(), dir) != 0 || file[dir.size()] != '/')
    return {};
  std::string name = file.substr(dir.size() + 1);
  if (name.find('/') != std::string::npos || name == kModelFile || name == kDataFile ||
      name.rfind(kTempFilePrefix, 0) == 0)
    return {};
  return name;
}

}  // namespace

void to_model_proto(const Graph &g, const ExportOptions &options, onnx::ModelProto *m,
                    std::vector<uint64_t> *offsets) {
  m->set_ir_version(onnx::IR_VERSION);
  m->set_producer_name("qeff");
  m->set_producer_version(QEFF_VERSION_STRING);
  for (const auto &[domain, version] : g.opsets) {
    auto *op = m->add_opset_import();
    op->set_domain(domain);
    op->set_version(version);
  }
  std::map<std::string, std::string> meta = g.metadata;
  for (const auto &[k, v] : options.metadata) meta[k] = v;
  meta["qeff.version"] = QEFF_VERSION_STRING;
  meta.erase("qeff.content_hash");  // export_model computes it afresh
  for (const auto &[k, v] : meta) {
    auto *p = m->add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }

  auto *gp = m->mutable_graph();
  gp->set_name(g.name);
  for (const auto &v : g.inputs) set_value_info(gp->add_input(), v, "input");
  for (const auto &v : g.outputs) set_value_info(gp->add_output(), v, "output");
  for (const auto &v : g.value_info)
    if (v.type.known()) set_value_info(gp->add_value_info(), v, "value");

  offsets->assign(g.initializers.size(), UINT64_MAX);
  uint64_t offset = 0;
  for (size_t i = 0; i < g.initializers.size(); ++i) {
    const auto &init = g.initializers[i];
    auto *t = gp->add_initializer();
    set_tensor_header(t, init.name, init.type);
    if (init.data.size() <= options.inline_limit) {
      t->set_raw_data(init.data.data(), init.data.size());
      continue;
    }
    t->set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
    auto add = [&](const char *k, const std::string &v) {
      auto *e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    std::string in_place = referenced_file(init.data, options.reference_dir);
    if (!in_place.empty()) {
      add("location", in_place);
      add("offset", std::to_string(init.data.file_offset()));
      add("length", std::to_string(init.data.size()));
      continue;
    }
    offset = (offset + options.alignment - 1) / options.alignment * options.alignment;
    (*offsets)[i] = offset;
    add("location", kDataFile);
    add("offset", std::to_string(offset));
    add("length", std::to_string(init.data.size()));
    offset += init.data.size();
  }

  add_functions(g, m);
  for (const auto &n : g.nodes) {
    auto *np = gp->add_node();
    np->set_op_type(n.op_type);
    np->set_domain(n.domain);
    np->set_name(n.name);
    for (const auto &in : n.inputs) np->add_input(in);
    for (const auto &out : n.outputs) np->add_output(out);
    for (const auto &a : n.attributes) set_attribute(np->add_attribute(), a, n.name);
  }
}

ExportedFiles export_model(const Graph &g, const std::string &output_dir, const ExportOptions &options) {
  graph::verify(g);
  UniqueFd dir;
  dir.fd = open_output_dir(output_dir);
  remove_stale_temp_files(dir.fd);
  struct stat existing;
  if (!options.overwrite && ::fstatat(dir.fd, kModelFile, &existing, AT_SYMLINK_NOFOLLOW) == 0)
    fail(QEFF_E_IO, quote(output_dir + "/" + kModelFile) + " exists (pass overwrite to replace it)");

  ExportOptions opts = options;
  opts.reference_dir = canonical_directory(output_dir);
  onnx::ModelProto model;
  std::vector<uint64_t> offsets;
  to_model_proto(g, opts, &model, &offsets);
  // Content hash: the model without it, then every external tensor's bytes.
  {
    ContentHash hash;
    hash.update(model.SerializeAsString());
    constexpr uint64_t kSlice = uint64_t{32} << 20;  // a cancellation point per 32 MiB
    for (const auto &init : g.initializers)
      if (init.data.size() > options.inline_limit)
        for (uint64_t at = 0; at < init.data.size(); at += kSlice) {
          cancellation_point("hashing the weights");
          hash.update(init.data.data() + at, static_cast<size_t>(std::min(kSlice, init.data.size() - at)));
        }
    auto *p = model.add_metadata_props();
    p->set_key("qeff.content_hash");
    p->set_value(hash.text());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    fail(QEFF_E_LIMIT, "graph " + quote(g.name) + ": the ONNX protobuf exceeds 2 GB even with external data");

  TempFiles temps(dir.fd, output_dir);
  ExportedFiles out;
  out.model_path = output_dir + "/" + kModelFile;

  std::string data_temp;
  bool has_data = false;
  for (uint64_t o : offsets) has_data = has_data || o != UINT64_MAX;
  if (has_data) {
    UniqueFd f;
    f.fd = temps.create(&data_temp, kDataFile);
    uint64_t written = 0;
    static const char zeros[256] = {};
    for (size_t i = 0; i < offsets.size(); ++i) {
      if (offsets[i] == UINT64_MAX) continue;
      cancellation_point("writing " + quote(output_dir + "/" + kDataFile));
      while (written < offsets[i]) {
        size_t pad = static_cast<size_t>(std::min<uint64_t>(sizeof zeros, offsets[i] - written));
        write_all(f.fd, zeros, pad, output_dir + "/" + kDataFile);
        written += pad;
      }
      const auto &data = g.initializers[i].data;
      write_all(f.fd, data.data(), static_cast<size_t>(data.size()), output_dir + "/" + kDataFile);
      written += data.size();
    }
    sync_fd(f.fd, output_dir + "/" + kDataFile);
    out.data_path = output_dir + "/" + kDataFile;
    out.data_bytes = written;
  }
  std::string model_temp;
  {
    UniqueFd f;
    f.fd = temps.create(&model_temp, kModelFile);
    write_all(f.fd, bytes.data(), bytes.size(), out.model_path);
    sync_fd(f.fd, out.model_path);
  }
  // Data first: a model.onnx never points at a missing or stale data file.
  if (has_data) temps.commit(data_temp, kDataFile);
  temps.commit(model_temp, kModelFile);
  if (!has_data) ::unlinkat(dir.fd, kDataFile, 0);  // a stale one from an earlier export
  return out;
}

}  // namespace qeff::onnx_io
