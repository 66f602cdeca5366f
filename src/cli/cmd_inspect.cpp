// qeff inspect: a summary of a model directory (architecture, task, sizes,
// tokenizer, tensors) or of a program package (qeff_program_info:
// specializations, inputs, outputs, retained state).
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "json_out.hpp"
#include "options.hpp"

namespace qcli {
namespace {

// Bits per element (sub-byte float formats included).
uint64_t dtype_bits(qeff_dtype d) {
  switch (d) {
    case QEFF_DTYPE_F64: case QEFF_DTYPE_I64: case QEFF_DTYPE_U64: case QEFF_DTYPE_C64: return 64;
    case QEFF_DTYPE_F32: case QEFF_DTYPE_I32: case QEFF_DTYPE_U32: return 32;
    case QEFF_DTYPE_F16: case QEFF_DTYPE_BF16: case QEFF_DTYPE_I16: case QEFF_DTYPE_U16: return 16;
    case QEFF_DTYPE_F6_E2M3: case QEFF_DTYPE_F6_E3M2: return 6;
    case QEFF_DTYPE_F4: case QEFF_DTYPE_U4: return 4;
    default: return 8;
  }
}

Json model_json(const qeff_model *m, bool tensors) {
  Json doc = json_object();
  const char *path = nullptr, *arch = nullptr, *type = nullptr;
  qeff_task task = QEFF_TASK_UNKNOWN;
  int64_t layers = 0, hidden = 0, vocab = 0, params = 0;
  qeff_dtype dtype = QEFF_DTYPE_UNKNOWN;
  size_t count = 0;
  check(qeff_model_path(m, &path));
  check(qeff_model_architecture(m, &arch));
  check(qeff_model_type(m, &type));
  check(qeff_model_task(m, &task));
  check(qeff_model_num_layers(m, &layers));
  check(qeff_model_hidden_size(m, &hidden));
  check(qeff_model_vocab_size(m, &vocab));
  check(qeff_model_num_parameters(m, &params));
  check(qeff_model_weight_dtype(m, &dtype));
  check(qeff_model_num_tensors(m, &count));
  json_add(doc.get(), "kind", "model");
  json_add(doc.get(), "path", path);
  json_add(doc.get(), "architecture", arch);
  json_add(doc.get(), "model_type", type);
  json_add(doc.get(), "task", qeff_task_name(task));
  json_add(doc.get(), "num_layers", static_cast<double>(layers));
  json_add(doc.get(), "hidden_size", static_cast<double>(hidden));
  json_add(doc.get(), "vocab_size", static_cast<double>(vocab));
  json_add(doc.get(), "num_parameters", static_cast<double>(params));
  json_add(doc.get(), "weight_dtype", qeff_dtype_name(dtype));
  json_add(doc.get(), "num_tensors", static_cast<double>(count));
  uint64_t bits = 0;
  cJSON *list = tensors ? json_add(doc.get(), "tensors", cJSON_CreateArray()) : nullptr;
  for (size_t i = 0; i < count; ++i) {
    const char *name = nullptr;
    qeff_dtype td = QEFF_DTYPE_UNKNOWN;
    size_t rank = 0;
    int64_t dims[8] = {0};
    check(qeff_model_tensor_info(m, i, &name, &td, &rank, dims, 8));
    uint64_t elements = 1;
    for (size_t d = 0; d < rank && d < 8; ++d) elements *= static_cast<uint64_t>(dims[d]);
    bits += elements * dtype_bits(td);
    if (list) {
      cJSON *t = cJSON_CreateObject();
      json_add(t, "name", name);
      json_add(t, "dtype", qeff_dtype_name(td));
      cJSON *shape = json_add(t, "shape", cJSON_CreateArray());
      for (size_t d = 0; d < rank && d < 8; ++d) json_push(shape, cJSON_CreateNumber(static_cast<double>(dims[d])));
      json_push(list, t);
    }
  }
  json_add(doc.get(), "weight_bytes", static_cast<double>((bits + 7) / 8));
  qeff_tokenizer *raw = nullptr;
  if (qeff_model_tokenizer(m, &raw) == QEFF_OK) {
    Tokenizer tok(raw);
    cJSON *t = json_add(doc.get(), "tokenizer", cJSON_CreateObject());
    size_t vs = 0;
    check(qeff_tokenizer_vocab_size(tok.get(), &vs));
    json_add(t, "vocab_size", static_cast<double>(vs));
    const char *names[] = {"bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id"};
    for (int w = 0; w < 4; ++w) {
      int32_t id = 0;
      if (qeff_tokenizer_special_id(tok.get(), static_cast<qeff_special_token>(w), &id) == QEFF_OK)
        json_add(t, names[w], static_cast<double>(id));
      else
        json_add(t, names[w], cJSON_CreateNull());
    }
  } else {
    json_add(doc.get(), "tokenizer", cJSON_CreateNull());
  }
  return doc;
}

Json package_json(const qeff_program *p, const std::string &dir) {
  const char *info = nullptr;
  check(qeff_program_info(p, &info));
  Json doc = json_object();
  json_add(doc.get(), "kind", "package");
  json_add(doc.get(), "path", absolute_path(dir));
  json_add(doc.get(), "task", program_task(p));
  cJSON *meta = nullptr;
  Json parsed = json_parse(info);
  meta = cJSON_GetObjectItemCaseSensitive(parsed.get(), "metadata");
  cJSON *arch = cJSON_GetObjectItemCaseSensitive(meta, "qeff.architecture");
  json_add(doc.get(), "architecture", cJSON_IsString(arch) ? arch->valuestring : "");
  json_add(doc.get(), "package_bytes", static_cast<double>(directory_bytes(dir)));
  qeff_tokenizer *raw = nullptr;
  json_add_bool(doc.get(), "has_tokenizer", qeff_program_tokenizer(p, &raw) == QEFF_OK);
  qeff_tokenizer_free(raw);
  // Everything qeff_program_info says, at the top level.
  while (cJSON *item = parsed->child) {
    cJSON_DetachItemViaPointer(parsed.get(), item);
    cJSON_AddItemToObject(doc.get(), item->string, item);
  }
  return doc;
}

void print_value(const char *label, const cJSON *v) {
  if (cJSON_IsString(v)) std::printf("%-16s %s\n", label, v->valuestring);
  else if (cJSON_IsNumber(v)) std::printf("%-16s %.0f\n", label, v->valuedouble);
  else if (cJSON_IsBool(v)) std::printf("%-16s %s\n", label, cJSON_IsTrue(v) ? "yes" : "no");
}

void print_model(const cJSON *doc) {
  for (const char *k : {"path", "architecture", "model_type", "task", "num_layers", "hidden_size", "vocab_size",
                        "num_parameters", "weight_dtype", "weight_bytes", "num_tensors"})
    print_value(k, cJSON_GetObjectItemCaseSensitive(doc, k));
  const cJSON *tok = cJSON_GetObjectItemCaseSensitive(doc, "tokenizer");
  if (cJSON_IsObject(tok)) {
    std::printf("tokenizer        vocab %.0f", cJSON_GetObjectItemCaseSensitive(tok, "vocab_size")->valuedouble);
    for (const char *k : {"bos_token_id", "eos_token_id", "pad_token_id", "unk_token_id"}) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(tok, k);
      if (cJSON_IsNumber(id)) std::printf(", %.3s %.0f", k, id->valuedouble);
    }
    std::printf("\n");
  } else {
    std::printf("tokenizer        none\n");
  }
  const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(doc, "tensors");
  const cJSON *t = nullptr;
  cJSON_ArrayForEach(t, tensors) {
    char *shape = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(t, "shape"));
    std::printf("  %-48s %-5s %s\n", cJSON_GetObjectItemCaseSensitive(t, "name")->valuestring,
                cJSON_GetObjectItemCaseSensitive(t, "dtype")->valuestring, shape);
    cJSON_free(shape);
  }
}

void print_io(const char *title, const cJSON *list) {
  std::printf("%s:\n", title);
  const cJSON *v = nullptr;
  cJSON_ArrayForEach(v, list) {
    char *shape = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v, "shape"));
    std::printf("  %-32s %-5s %s\n", cJSON_GetObjectItemCaseSensitive(v, "name")->valuestring,
                cJSON_GetObjectItemCaseSensitive(v, "dtype")->valuestring, shape);
    cJSON_free(shape);
  }
}

void print_package(const cJSON *doc, bool tensors) {
  for (const char *k : {"path", "architecture", "task", "target", "package_bytes", "constant_bytes", "has_tokenizer"})
    print_value(k, cJSON_GetObjectItemCaseSensitive(doc, k));
  std::printf("specializations:\n");
  const cJSON *s = nullptr;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(doc, "specializations")) {
    char *symbols = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(s, "symbols"));
    std::printf("  %-10s %s  arena %.0f bytes, %.0f steps\n", cJSON_GetObjectItemCaseSensitive(s, "name")->valuestring,
                symbols, cJSON_GetObjectItemCaseSensitive(s, "arena_bytes")->valuedouble,
                cJSON_GetObjectItemCaseSensitive(s, "steps")->valuedouble);
    cJSON_free(symbols);
  }
  if (tensors) {
    print_io("inputs", cJSON_GetObjectItemCaseSensitive(doc, "inputs"));
    print_io("outputs", cJSON_GetObjectItemCaseSensitive(doc, "outputs"));
  }
}

Spec inspect_spec() {
  Spec s("inspect", "qeff inspect (--model DIR | --package DIR) [--json] [--tensors]",
         "Summarize a model directory (architecture, task, parameters, sizes, tokenizer) or a\n"
         "program package (task, target, specializations, sizes).");
  s.section("Source")
      .value("--model", "DIR", "HuggingFace model directory")
      .value("--package", "DIR", "program package (qeff compile --output)")
      .flag("--json", "print one JSON object")
      .flag("--tensors", "list the weight tensors (packages: the inputs and outputs)");
  add_common_flags(s);
  s.epilog("Examples:\n  qeff inspect --model tests/fixtures/models/llama-tiny --tensors\n"
           "  qeff inspect --package /tmp/llama-pkg --json");
  return s;
}

int inspect_run(const Args &a) {
  a.one_of({"--model", "--package"}, true);
  Options options = make_options(a);
  Json doc;
  if (a.has("--model")) {
    Model m = load_model(*a.str("--model"), options.get());
    doc = model_json(m.get(), a.has("--tensors"));
  } else {
    Program p = load_package(*a.str("--package"), options.get());
    doc = package_json(p.get(), *a.str("--package"));
  }
  if (a.has("--json")) json_print(doc.get());
  else if (a.has("--model")) print_model(doc.get());
  else print_package(doc.get(), a.has("--tensors"));
  return 0;
}

}  // namespace

const Command &inspect_command() {
  static const Command c{"inspect", "summarize a model directory or a program package", inspect_spec, inspect_run};
  return c;
}

}  // namespace qcli
