"""Regenerates the small torch.onnx.export models that tests/unit/test_onnx_import.cpp
imports (offline; needs torch + transformers, e.g. /work/refenv/bin/python):

    python tests/onnx/torch_exports/generate.py tests/onnx/torch_exports

- bert_layer.onnx: a tiny transformers BertLayer (hidden 32, 4 heads), weights inline.
- llama_block.onnx (+ llama_block.onnx.data): a tiny LlamaDecoderLayer with its
  rotary embedding and a causal mask built inside the graph; weights moved to one
  external-data file by the onnx Python library.

Both: opset 17, do_constant_folding=True, eval mode, fixed seed; then ONNX shape
inference writes value_info into the files (onnx.checker full_check, in place),
so the importer also sees intermediate types.
"""
import os
import sys

import torch
from transformers import BertConfig, LlamaConfig
from transformers.models.bert.modeling_bert import BertLayer
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaRotaryEmbedding


class Bert(torch.nn.Module):
    def __init__(self):
        super().__init__()
        cfg = BertConfig(hidden_size=32, num_attention_heads=4, intermediate_size=64,
                         hidden_act="gelu", attn_implementation="eager")
        self.layer = BertLayer(cfg)

    def forward(self, hidden_states, attention_mask):
        # attention_mask [b, s] of 1/0 -> additive [b, 1, 1, s]
        ext = (1.0 - attention_mask[:, None, None, :].to(hidden_states.dtype)) * -10000.0
        return self.layer(hidden_states, attention_mask=ext)[0]


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        cfg = LlamaConfig(hidden_size=32, num_attention_heads=4, num_key_value_heads=2,
                          intermediate_size=64, max_position_embeddings=64,
                          attn_implementation="eager")
        self.layer = LlamaDecoderLayer(cfg, layer_idx=0)
        self.rotary = LlamaRotaryEmbedding(config=cfg)

    def forward(self, hidden_states, position_ids):
        s = hidden_states.shape[1]
        causal = torch.triu(torch.full((s, s), float("-inf")), diagonal=1)[None, None]
        cos, sin = self.rotary(hidden_states, position_ids)
        return self.layer(hidden_states, attention_mask=causal, position_ids=position_ids,
                          position_embeddings=(cos, sin))[0]


def main(out_dir):
    torch.manual_seed(0)
    os.makedirs(out_dir, exist_ok=True)
    bert = Bert().eval()
    torch.onnx.export(bert, (torch.randn(2, 5, 32), torch.ones(2, 5, dtype=torch.int64)),
                      os.path.join(out_dir, "bert_layer.onnx"), opset_version=17,
                      do_constant_folding=True, input_names=["hidden_states", "attention_mask"],
                      output_names=["output"],
                      dynamic_axes={"hidden_states": {0: "batch", 1: "seq"},
                                    "attention_mask": {0: "batch", 1: "seq"},
                                    "output": {0: "batch", 1: "seq"}})

    llama = Llama().eval()
    path = os.path.join(out_dir, "llama_block.onnx")
    torch.onnx.export(llama, (torch.randn(1, 6, 32), torch.arange(6)[None]), path,
                      opset_version=17, do_constant_folding=True,
                      input_names=["hidden_states", "position_ids"], output_names=["output"],
                      dynamic_axes={"hidden_states": {0: "batch", 1: "seq"},
                                    "position_ids": {0: "batch", 1: "seq"},
                                    "output": {0: "batch", 1: "seq"}})
    import onnx
    model = onnx.load(path)
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="llama_block.onnx.data", size_threshold=1024)
    for name in ("bert_layer.onnx", "llama_block.onnx"):
        # With a path and full_check, ONNX 1.12 checks the model and writes the
        # shape-inferred model back to the same path.
        onnx.checker.check_model(os.path.join(out_dir, name), full_check=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
