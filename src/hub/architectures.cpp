#include "hub/architectures.hpp"

namespace qeff::hub {
namespace {

ArchitectureInfo decoder(const char *name, const char *family, bool tie_default = false) {
  return {name, family, QEFF_TASK_CAUSAL_LM, tie_default, "model.embed_tokens.weight", "model.layers.",
          "lm_head.weight", {""}};
}

ArchitectureInfo decoder_embedder(const char *name, const char *family) {
  return {name, family, QEFF_TASK_EMBEDDING, false, "embed_tokens.weight", "layers.", "",
          {"", "model."}};
}

ArchitectureInfo encoder(const char *name, const char *family, qeff_task task, const char *prefix,
                         const char *layers = "encoder.layer.") {
  return {name, family, task, true, "embeddings.word_embeddings.weight", layers, "", {"", prefix}};
}

const std::vector<ArchitectureInfo> &registry() {
  static const std::vector<ArchitectureInfo> r = {
      // Encoders for embeddings and reranking (issue: encoder models end to end).
      encoder("BertModel", "bert", QEFF_TASK_EMBEDDING, "bert."),
      encoder("BertForSequenceClassification", "bert", QEFF_TASK_SEQUENCE_CLASSIFICATION, "bert."),
      encoder("RobertaModel", "bert", QEFF_TASK_EMBEDDING, "roberta."),
      encoder("RobertaForSequenceClassification", "bert", QEFF_TASK_SEQUENCE_CLASSIFICATION,
              "roberta."),
      encoder("XLMRobertaModel", "bert", QEFF_TASK_EMBEDDING, "roberta."),
      encoder("XLMRobertaForSequenceClassification", "bert", QEFF_TASK_SEQUENCE_CLASSIFICATION,
              "roberta."),
      encoder("MPNetModel", "mpnet", QEFF_TASK_EMBEDDING, "mpnet."),
      encoder("MPNetForSequenceClassification", "mpnet", QEFF_TASK_SEQUENCE_CLASSIFICATION,
              "mpnet."),
      encoder("DistilBertModel", "distilbert", QEFF_TASK_EMBEDDING, "distilbert.",
              "transformer.layer."),
      encoder("DistilBertForSequenceClassification", "distilbert",
              QEFF_TASK_SEQUENCE_CLASSIFICATION, "distilbert.", "transformer.layer."),
      encoder("NomicBertModel", "nomic_bert", QEFF_TASK_EMBEDDING, "bert.", "encoder.layers."),
      // Decoder-based embedders (last-token pooling).
      decoder_embedder("LlamaModel", "llama"),
      decoder_embedder("MistralModel", "llama"),
      decoder_embedder("Qwen2Model", "llama"),
      // Causal LMs (issue: causal LMs end to end).
      decoder("LlamaForCausalLM", "llama"),
      decoder("MistralForCausalLM", "llama"),
      decoder("Qwen2ForCausalLM", "llama"),
      decoder("Qwen3ForCausalLM", "llama"),
      decoder("GemmaForCausalLM", "gemma", true),
      decoder("Gemma2ForCausalLM", "gemma", true),
      decoder("Phi3ForCausalLM", "phi3"),
      decoder("GraniteForCausalLM", "llama"),
      decoder("Olmo2ForCausalLM", "llama"),
      decoder("Starcoder2ForCausalLM", "starcoder2", true),
      {"GPT2LMHeadModel", "gpt2", QEFF_TASK_CAUSAL_LM, true, "transformer.wte.weight",
       "transformer.h.", "lm_head.weight", {""}},
  };
  return r;
}

}  // namespace

const std::vector<ArchitectureInfo> &architectures() { return registry(); }

const ArchitectureInfo *find_architecture(const std::string &name) {
  for (const auto &a : registry())
    if (name == a.name) return &a;
  return nullptr;
}

std::string supported_architectures_text() {
  std::string s;
  for (const auto &a : registry()) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

}  // namespace qeff::hub
