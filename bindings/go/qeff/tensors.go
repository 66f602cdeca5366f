package qeff

import (
	capi "qeff.dev/qeff/internal/capi"
)

type (
	cTensors = capi.SwigcptrStruct_SS_qeff_tensors
	cSession = capi.SwigcptrStruct_SS_qeff_session
)

// Tensors is an ordered set of named tensors (owned copies of their bytes),
// the inputs and outputs of Session.Run. Advanced API: run a program's graph
// directly. One goroutine at a time may modify it.
type Tensors struct {
	h handle[cTensors]
}

func newTensors(p cTensors) *Tensors {
	t := &Tensors{}
	t.h.set(p, func(p cTensors) { capi.Qeff_tensors_free(p) }, "Tensors")
	return safetyNet(t)
}

// NewTensors creates an empty set.
func NewTensors() (*Tensors, error) {
	var p cTensors
	if err := check("NewTensors", capi.Qeff_tensors_create(&p)); err != nil {
		return nil, err
	}
	return newTensors(p), nil
}

// Close frees the set. Safe to call twice.
func (t *Tensors) Close() error { t.h.close(); return nil }

// Set adds or replaces tensor name: dtype, shape and row-major bytes (their
// size must match; copied).
func (t *Tensors) Set(name string, dtype DType, shape []int64, data []byte) error {
	if err := cString("Tensors.Set", "name", name); err != nil {
		return err
	}
	return t.h.use("Tensors.Set", func(p cTensors) error {
		return check("Tensors.Set", capi.Qeff_tensors_set(p, name, capi.Enum_SS_qeff_dtype(dtype), shape, data))
	})
}

// Len is the number of tensors.
func (t *Tensors) Len() (int, error) {
	var n int
	err := t.h.use("Tensors.Len", func(p cTensors) error { return check("Tensors.Len", capi.Qeff_tensors_count(p, &n)) })
	return n, err
}

// Find returns the index of tensor name (NotFound when absent).
func (t *Tensors) Find(name string) (int, error) {
	if err := cString("Tensors.Find", "name", name); err != nil {
		return 0, err
	}
	var i int
	err := t.h.use("Tensors.Find", func(p cTensors) error { return check("Tensors.Find", capi.Qeff_tensors_find(p, name, &i)) })
	return i, err
}

// Tensor is tensor i: its name, dtype, shape and a copy of its bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int64
	Data  []byte
}

// Get returns a copy of tensor i.
func (t *Tensors) Get(i int) (Tensor, error) {
	var out Tensor
	err := t.h.use("Tensors.Get", func(p cTensors) error {
		// Out-parameters are separate variables: cgo refuses a pointer into
		// Go memory that already holds Go pointers.
		var name string
		var data []byte
		var dtype int32
		var rank int
		if err := check("Tensors.Get", capi.Qeff_tensors_info(p, int64(i), &name, &dtype, &rank)); err != nil {
			return err
		}
		shape := make([]int64, rank)
		if err := check("Tensors.Get", capi.Qeff_tensors_shape(p, int64(i), shape)); err != nil {
			return err
		}
		if err := check("Tensors.Get", capi.Qeff_tensors_data(p, int64(i), &data)); err != nil {
			return err
		}
		out = Tensor{Name: name, DType: DType(dtype), Shape: shape, Data: data}
		return nil
	})
	return out, err
}

// Session is per-request state over a program (the memory of each
// specialization and retained state such as KV caches). One call at a time
// (another concurrent call gets ErrBusy); sessions over one program run
// concurrently. A session keeps its program alive.
type Session struct {
	h handle[cSession]
}

// NewSession creates a session; option read: "runtime.threads".
func (pr *Program) NewSession(opts ...Option) (*Session, error) {
	var s cSession
	err := pr.h.use("NewSession", func(p cProgram) error {
		return withCOptions("NewSession", opts, func(o cOptions) error {
			return check("NewSession", capi.Qeff_session_create(p, o, &s))
		})
	})
	if err != nil {
		return nil, err
	}
	ss := &Session{}
	ss.h.set(s, func(p cSession) { capi.Qeff_session_free(p) }, "Session")
	return safetyNet(ss), nil
}

// Close frees the session. Safe to call twice.
func (s *Session) Close() error { s.h.close(); return nil }

// Run runs the specialization the inputs' shapes select and returns the
// program outputs (the caller closes them).
func (s *Session) Run(inputs *Tensors) (*Tensors, error) {
	var out cTensors
	err := s.h.use("Session.Run", func(p cSession) error {
		return inputs.h.use("Session.Run", func(in cTensors) error {
			return check("Session.Run", capi.Qeff_session_run(p, in, &out))
		})
	})
	if err != nil {
		return nil, err
	}
	return newTensors(out), nil
}

// Reset zeroes the retained state (start a new sequence).
func (s *Session) Reset() error {
	return s.h.use("Session.Reset", func(p cSession) error { return check("Session.Reset", capi.Qeff_session_reset(p)) })
}

// ReadState returns a copy of retained state name (e.g. "past_key.0").
func (s *Session) ReadState(name string) (*Tensors, error) {
	if err := cString("Session.ReadState", "name", name); err != nil {
		return nil, err
	}
	var out cTensors
	err := s.h.use("Session.ReadState", func(p cSession) error {
		return check("Session.ReadState", capi.Qeff_session_read_state(p, name, &out))
	})
	if err != nil {
		return nil, err
	}
	return newTensors(out), nil
}
