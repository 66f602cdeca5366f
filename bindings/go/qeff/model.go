package qeff

import (
	"context"
	"fmt"

	capi "qeff.dev/qeff/internal/capi"
)

type cModel = capi.SwigcptrStruct_SS_qeff_model

// Task is what a model is for (qeff_task).
type Task int

// Tasks.
const (
	TaskUnknown                Task = 0
	TaskEmbedding              Task = 1
	TaskCausalLM               Task = 2
	TaskSequenceClassification Task = 3
)

// String returns "embedding", "causal-lm", "sequence-classification" or "unknown".
func (t Task) String() string { return capi.Qeff_task_name(capi.Enum_SS_qeff_task(t)) }

// DType is a tensor element type (qeff_dtype; values pinned by the ABI).
type DType int

// Common element types (the others keep their C numbers: see qeff.h).
const (
	DTypeUnknown DType = 0
	DTypeF32     DType = 1
	DTypeF16     DType = 2
	DTypeBF16    DType = 3
	DTypeF64     DType = 4
	DTypeI64     DType = 5
	DTypeI32     DType = 6
	DTypeI16     DType = 7
	DTypeI8      DType = 8
	DTypeU8      DType = 9
	DTypeBool    DType = 10
	DTypeU4      DType = 21 // packed 4-bit values (an int4 checkpoint's WeightDType)
)

// String returns the safetensors name ("F32", "BF16", ...), "UNKNOWN" otherwise.
func (d DType) String() string { return capi.Qeff_dtype_name(capi.Enum_SS_qeff_dtype(d)) }

// TensorInfo describes one weight tensor of a model.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int64
}

// Model is a loaded HuggingFace model directory (config, memory-mapped
// weights, side files). Immutable: safe for concurrent use. Close frees it;
// programs compiled from it and its tokenizers stay valid.
type Model struct {
	h handle[cModel]
}

// Load loads a model directory (save_pretrained layout, an HF cache snapshot
// or cache entry). Options read: "load.*" and "limits.*". LoadContext is the
// cancellable form.
func Load(path string, opts ...Option) (*Model, error) {
	return LoadContext(context.Background(), path, opts...)
}

// Close frees the model. Safe to call twice.
func (m *Model) Close() error { m.h.close(); return nil }

func (m *Model) str(op string, f func(cModel, *string) capi.Status) (string, error) {
	var s string
	err := m.h.use(op, func(p cModel) error { return check(op, f(p, &s)) })
	return s, err
}

func (m *Model) i64(op string, f func(capi.Struct_SS_qeff_model, *int64) capi.Status) (int64, error) {
	var v int64
	err := m.h.use(op, func(p cModel) error { return check(op, f(p, &v)) })
	return v, err
}

// Path is the absolute, canonical directory the model was read from.
func (m *Model) Path() (string, error) {
	return m.str("Model.Path", func(p cModel, s *string) capi.Status { return capi.Qeff_model_path(p, s) })
}

// Architecture is config.architectures[0], e.g. "LlamaForCausalLM".
func (m *Model) Architecture() (string, error) {
	return m.str("Model.Architecture", func(p cModel, s *string) capi.Status { return capi.Qeff_model_architecture(p, s) })
}

// Type is config.json's model_type, e.g. "llama".
func (m *Model) Type() (string, error) {
	return m.str("Model.Type", func(p cModel, s *string) capi.Status { return capi.Qeff_model_type(p, s) })
}

// Config returns a config.json field as JSON text; key is a dot path
// ("rope_scaling.factor", "architectures.0"), "" for the whole document.
func (m *Model) Config(key string) (string, error) {
	if err := cString("Model.Config", "key", key); err != nil {
		return "", err
	}
	return m.str("Model.Config", func(p cModel, s *string) capi.Status { return capi.Qeff_model_config_get(p, key, s) })
}

// Task is the task the model's architecture serves.
func (m *Model) Task() (Task, error) {
	var t int32
	err := m.h.use("Model.Task", func(p cModel) error { return check("Model.Task", capi.Qeff_model_task(p, &t)) })
	return Task(t), err
}

// NumLayers is the number of transformer layers.
func (m *Model) NumLayers() (int64, error) {
	return m.i64("Model.NumLayers", capi.Qeff_model_num_layers)
}

// HiddenSize is the model's hidden size.
func (m *Model) HiddenSize() (int64, error) {
	return m.i64("Model.HiddenSize", capi.Qeff_model_hidden_size)
}

// VocabSize is config.json's vocabulary size.
func (m *Model) VocabSize() (int64, error) {
	return m.i64("Model.VocabSize", capi.Qeff_model_vocab_size)
}

// NumParameters is the number of weight elements (tied weights once).
func (m *Model) NumParameters() (int64, error) {
	return m.i64("Model.NumParameters", capi.Qeff_model_num_parameters)
}

// WeightDType is the dtype holding most weight elements.
func (m *Model) WeightDType() (DType, error) {
	var d int32
	err := m.h.use("Model.WeightDType", func(p cModel) error {
		return check("Model.WeightDType", capi.Qeff_model_weight_dtype(p, &d))
	})
	return DType(d), err
}

// NumTensors is the number of weight tensors.
func (m *Model) NumTensors() (int, error) {
	var n int
	err := m.h.use("Model.NumTensors", func(p cModel) error {
		return check("Model.NumTensors", capi.Qeff_model_num_tensors(p, &n))
	})
	return n, err
}

// Tensor describes weight tensor i (0 <= i < NumTensors; sorted by name).
func (m *Model) Tensor(i int) (TensorInfo, error) {
	var info TensorInfo
	err := m.h.use("Model.Tensor", func(p cModel) error {
		var name string // a separate variable (see Tensors.Get)
		var dtype int32
		var rank int
		dims := make([]int64, 64) // "limits.tensor_rank" is at most 64
		if err := check("Model.Tensor", capi.Qeff_model_tensor_info(p, int64(i), &name, &dtype, &rank, dims)); err != nil {
			return err
		}
		info = TensorInfo{Name: name, DType: DType(dtype), Shape: dims[:min(rank, len(dims))]}
		return nil
	})
	return info, err
}

// FindTensor returns the index of the tensor named name (NotFound when absent).
func (m *Model) FindTensor(name string) (int, error) {
	if err := cString("Model.FindTensor", "name", name); err != nil {
		return 0, err
	}
	var i int
	err := m.h.use("Model.FindTensor", func(p cModel) error {
		return check("Model.FindTensor", capi.Qeff_model_find_tensor(p, name, &i))
	})
	return i, err
}

// Tokenizer returns the tokenizer of the model's directory (it stays valid
// after the model is closed).
func (m *Model) Tokenizer() (*Tokenizer, error) {
	var t cTokenizer
	err := m.h.use("Model.Tokenizer", func(p cModel) error {
		return check("Model.Tokenizer", capi.Qeff_model_tokenizer(p, &t))
	})
	if err != nil {
		return nil, err
	}
	return newTokenizer(t), nil
}

// Compile builds, specializes and packs the model for the CPU target.
// Options: WithBatchSize, WithSeqLen (encoders), WithPrefillSeqLen and
// WithCtxLen (causal LMs), WithWeightDType, WithPooling, WithNormalize,
// WithCache and any "compile.*", "model.*", "cache.*" key via WithOption.
// The model may be closed before the program. CompileContext is the
// cancellable form.
func (m *Model) Compile(opts ...Option) (*Program, error) {
	return m.CompileContext(context.Background(), opts...)
}

// Export writes the model's graph as ONNX (dir/model.onnx plus
// model.onnx.data); "export.overwrite" replaces an existing file.
// ExportContext is the cancellable form.
func (m *Model) Export(dir string, opts ...Option) error {
	return m.ExportContext(context.Background(), dir, opts...)
}

// String describes the model, e.g. "qeff.Model(LlamaForCausalLM, causal-lm)".
func (m *Model) String() string {
	arch, err := m.Architecture()
	if err != nil {
		return "qeff.Model(closed)"
	}
	task, _ := m.Task()
	return fmt.Sprintf("qeff.Model(%s, %s)", arch, task)
}
