"""ctypes bindings over libqeff.so (include/qeff/qeff.h) shared by the ONNX
Runtime parity scripts (check_models_ort.py, check_runtime.py,
check_lm_ort.py): the C ABI signatures they call, status checking with the
library's last error message, and small helpers (load a model, export it,
compile an ONNX file into a session, run it with named numpy tensors).

numpy is imported only by the tensor helpers, so the scripts can check for
it (and exit 77) before importing this module.
"""
import ctypes
import json


class Qeff:
    def __init__(self, path):
        lib = ctypes.CDLL(path)
        vp, cp, i64p = ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int64)
        sz = ctypes.c_size_t
        sigs = {
            "qeff_last_error_message": ([], cp),
            "qeff_options_create": ([ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_options_set": ([vp, cp, cp], ctypes.c_int),
            "qeff_options_free": ([vp], None),
            "qeff_model_load": ([cp, vp, ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_model_free": ([vp], None),
            "qeff_export": ([vp, cp, vp], ctypes.c_int),
            "qeff_compile_onnx": ([cp, vp, ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_program_free": ([vp], None),
            "qeff_program_info": ([vp, ctypes.POINTER(cp)], ctypes.c_int),
            "qeff_session_create": ([vp, vp, ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_session_free": ([vp], None),
            "qeff_session_run": ([vp, vp, ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_session_read_state": ([vp, cp, ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_tensors_create": ([ctypes.POINTER(vp)], ctypes.c_int),
            "qeff_tensors_free": ([vp], None),
            "qeff_tensors_set": ([vp, cp, ctypes.c_int, i64p, sz, vp, sz], ctypes.c_int),
            "qeff_tensors_count": ([vp, ctypes.POINTER(sz)], ctypes.c_int),
            "qeff_tensors_info": ([vp, sz, ctypes.POINTER(cp), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(sz)],
                                  ctypes.c_int),
            "qeff_tensors_shape": ([vp, sz, i64p, sz], ctypes.c_int),
            "qeff_tensors_data": ([vp, sz, ctypes.POINTER(vp), ctypes.POINTER(sz)], ctypes.c_int),
        }
        for name, (args, res) in sigs.items():
            f = getattr(lib, name)
            f.argtypes, f.restype = args, res
        self.lib = lib

    def check(self, status, what):
        if status != 0:
            raise RuntimeError("%s: status %d: %s" % (what, status, self.lib.qeff_last_error_message().decode()))

    # --- models and export ---------------------------------------------------

    def load(self, path):
        model = ctypes.c_void_p()
        self.check(self.lib.qeff_model_load(path.encode(), None, ctypes.byref(model)), "load " + path)
        return model

    def export(self, model, out_dir, options):
        opts = ctypes.c_void_p()
        self.check(self.lib.qeff_options_create(ctypes.byref(opts)), "options")
        try:
            for key, value in options.items():
                self.check(self.lib.qeff_options_set(opts, key.encode(), value.encode()), "set " + key)
            self.check(self.lib.qeff_export(model, out_dir.encode(), opts), "export " + out_dir)
        finally:
            self.lib.qeff_options_free(opts)

    # --- ONNX files compiled by the runtime, sessions, named tensors ---------

    def compile(self, path, specs):
        """qeff_compile_onnx with the given specializations (2 threads, no
        program cache) and a session on it; the caller frees the session."""
        opts = ctypes.c_void_p()
        self.check(self.lib.qeff_options_create(ctypes.byref(opts)), "options")
        self.check(self.lib.qeff_options_set(opts, b"compile.specializations", json.dumps(specs).encode()), "set")
        self.check(self.lib.qeff_options_set(opts, b"runtime.threads", b"2"), "set")
        self.check(self.lib.qeff_options_set(opts, b"cache.enabled", b"false"), "set")
        prog = ctypes.c_void_p()
        try:
            self.check(self.lib.qeff_compile_onnx(path.encode(), opts, ctypes.byref(prog)), "compile " + path)
            sess = ctypes.c_void_p()
            self.check(self.lib.qeff_session_create(prog, opts, ctypes.byref(sess)), "session")
        finally:
            self.lib.qeff_options_free(opts)
            self.lib.qeff_program_free(prog)  # the session keeps it alive
        return sess

    def tensors_out(self, t):
        import numpy as np
        np_of_code = {1: np.float32, 5: np.int64, 9: np.uint8, 10: np.bool_}
        n = ctypes.c_size_t()
        self.check(self.lib.qeff_tensors_count(t, ctypes.byref(n)), "count")
        out = {}
        for i in range(n.value):
            name, code, rank = ctypes.c_char_p(), ctypes.c_int(), ctypes.c_size_t()
            self.check(self.lib.qeff_tensors_info(t, i, ctypes.byref(name), ctypes.byref(code), ctypes.byref(rank)), "info")
            shape = (ctypes.c_int64 * max(rank.value, 1))()
            self.check(self.lib.qeff_tensors_shape(t, i, shape, rank.value), "shape")
            data, nbytes = ctypes.c_void_p(), ctypes.c_size_t()
            self.check(self.lib.qeff_tensors_data(t, i, ctypes.byref(data), ctypes.byref(nbytes)), "data")
            raw = ctypes.string_at(data, nbytes.value) if nbytes.value else b""
            out[name.value.decode()] = np.frombuffer(raw, dtype=np_of_code[code.value]).reshape(
                list(shape[:rank.value])).copy()
        return out

    def run(self, sess, feeds):
        import numpy as np
        t = ctypes.c_void_p()
        self.check(self.lib.qeff_tensors_create(ctypes.byref(t)), "tensors")
        try:
            for name, arr in feeds.items():
                arr = np.ascontiguousarray(arr)
                code = {np.dtype(np.float32): 1, np.dtype(np.int64): 5, np.dtype(np.uint8): 9,
                        np.dtype(np.bool_): 10}[arr.dtype]
                shape = (ctypes.c_int64 * max(arr.ndim, 1))(*arr.shape)
                self.check(self.lib.qeff_tensors_set(t, name.encode(), code, shape, arr.ndim,
                                                     arr.ctypes.data_as(ctypes.c_void_p), arr.nbytes), "set " + name)
            out = ctypes.c_void_p()
            self.check(self.lib.qeff_session_run(sess, t, ctypes.byref(out)), "run")
            try:
                return self.tensors_out(out)
            finally:
                self.lib.qeff_tensors_free(out)
        finally:
            self.lib.qeff_tensors_free(t)

    def state(self, sess, name):
        out = ctypes.c_void_p()
        self.check(self.lib.qeff_session_read_state(sess, name.encode(), ctypes.byref(out)), "state")
        try:
            return self.tensors_out(out)[name]
        finally:
            self.lib.qeff_tensors_free(out)
