package qeff

import (
	"runtime"
	"sync"
)

// handle owns one C object (a SWIG Swigcptr value, a uintptr). Calls run
// under a read lock, so they may overlap each other; close takes the write
// lock, so it waits for calls in flight and frees the object exactly once.
// After close every call fails with InvalidHandle instead of touching freed
// memory.
type handle[P ~uintptr] struct {
	mu   sync.RWMutex
	p    P
	free func(P)
	what string
}

func (h *handle[P]) set(p P, free func(P), what string) {
	h.p, h.free, h.what = p, free, what
}

// use runs fn with the live C pointer.
func (h *handle[P]) use(op string, fn func(P) error) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.p == 0 {
		return newError(op, InvalidHandle, h.what+" is closed")
	}
	return fn(h.p)
}

// close frees the C object once; later calls are no-ops.
func (h *handle[P]) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p != 0 {
		h.free(h.p)
		h.p = 0
	}
}

// closer is implemented by every handle type; the finalizer is a safety net
// for handles dropped without Close.
type closer interface{ Close() error }

func safetyNet[T closer](obj T) T {
	runtime.SetFinalizer(obj, func(o T) { _ = o.Close() })
	return obj
}
