#!/usr/bin/env python3
"""Generate the NULL-argument test of the C ABI from include/qeff/qeff.h.

Usage: gen_null_tests.py QEFF_H OUTPUT_C
       gen_null_tests.py --self-test QEFF_H   (the refusals below, as a test)

Every QEFF_API prototype of the header is parsed. For each function the
generated C test makes one call with valid values everywhere (it must return
QEFF_OK: this proves the values are valid, so a failure below is caused by
the NULL), then one call per pointer parameter with NULL there:

  - a handle parameter gives QEFF_E_INVALID_HANDLE, any other pointer
    QEFF_E_INVALID_ARGUMENT; qeff_last_error_code() equals it and
    qeff_last_error_message() names the function; every other
    pointer-to-pointer out parameter is NULL afterwards;
  - a parameter in NULL_OK (NULL documented as valid) gives QEFF_OK;
  - `void qeff_*_free(NULL)` is a no-op (the thread's last error is kept).

Valid values come from null_args_fixtures.h (one live handle of every type)
and the tables below. The generator fails, naming the function and parameter,
on a parameter type it does not know, a handle type without a fixture, or an
input parameter without a valid value, so a new API function cannot be
skipped silently: extend the tables (and the fixtures) instead.

Only the Python standard library is used.
"""
import re
import sys

# Scalars passed by value (or through `T *` outs and `const T *` arrays).
SCALARS = {"size_t", "int", "int32_t", "int64_t", "uint32_t", "uint64_t", "float", "double"}

# The fixture (a `struct handles *h` field) used for a handle parameter, by
# (type, const): mutating functions get scratch objects so that the fixtures
# the other calls read stay as built.
HANDLES = {
    ("qeff_options", True): "h->options",
    ("qeff_options", False): "h->scratch_options",
    ("qeff_cancel", True): "h->cancel",
    ("qeff_cancel", False): "h->cancel",
    ("qeff_model", True): "h->model",
    ("qeff_program", True): "h->lm_program",
    ("qeff_request", True): "h->request",
    ("qeff_request", False): "h->text_request",
    ("qeff_result", True): "h->lm_result",
    ("qeff_tokenizer", True): "h->tokenizer",
    ("qeff_encoding", True): "h->encoding",
    ("qeff_decoder", False): "h->decoder",
    ("qeff_tensors", True): "h->tensors",
    ("qeff_tensors", False): "h->tensors",
    ("qeff_session", False): "h->session",
    ("qeff_stream", False): "h->stream",
    ("qeff_stream", True): "h->ended_stream",
}

# Enum parameters: a valid value per type.
ENUMS = {
    "qeff_status": "QEFF_E_FORMAT",
    "qeff_log_level": "QEFF_LOG_ERROR",
    "qeff_dtype": "QEFF_DTYPE_F32",
    "qeff_task": "QEFF_TASK_CAUSAL_LM",
    "qeff_special_token": "QEFF_SPECIAL_EOS",
    "qeff_option_type": "QEFF_OPTION_INT",
    "qeff_finish_reason": "QEFF_FINISH_EOS",
}

# Valid values of input parameters: "function.parameter" first, then
# "parameter". Overrides of HANDLES and ENUMS go here too.
VALUES = {
    # generic
    "index": "0", "row": "0", "id": "1", "count": "2", "skip_special_tokens": "1",
    "capacity": "8", "dims_capacity": "8", "payload": "h",
    "text": '"hello"', "length": "5",
    "ids": "h->ids", "values": "h->int_values", "texts": "h->texts", "lengths": "h->lengths",
    # options
    "qeff_options_set_bool.key": '"load.check_tensors"', "qeff_options_set_bool.value": "1",
    "qeff_options_set_int.key": '"limits.json_depth"', "qeff_options_set_int.value": "32",
    "qeff_options_set_float.key": '"generate.temperature"', "qeff_options_set_float.value": "0.5",
    "qeff_options_set_string.key": '"load.allowed_root"', "qeff_options_set_string.value": '""',
    "qeff_options_set_int_list.key": '"compile.seq_len"',
    "qeff_options_set.key": '"limits.json_depth"', "qeff_options_set.value": '"32"',
    "qeff_options_get.key": '"limits.json_depth"',
    # logging and streaming callbacks
    "qeff_set_log_callback.fn": "log_cb", "qeff_generate_stream.fn": "stream_cb",
    # models and tokenizers
    "qeff_model_load.path": "h->llama_dir", "qeff_tokenizer_load.dir": "h->llama_dir",
    "qeff_model_find_tensor.name": '"model.embed_tokens.weight"',
    "qeff_model_config_get.key": '"rope_theta"',
    "qeff_tokenizer_encode.text": '"hello world"', "qeff_tokenizer_encode.length": "11",
    "qeff_tokenizer_token_to_id.token": '"</s>"',
    # programs, tensors, sessions
    "qeff_compile_onnx.onnx_path": "h->gemm_onnx",
    "qeff_export.output_dir": 'fresh_dir(h, "export")',
    "qeff_program_save.package_dir": 'fresh_dir(h, "package")',
    "qeff_program_load.package_dir": "h->package_dir",
    "qeff_session_create.program": "h->kv_program",
    "qeff_session_read_state.session": "h->state_session",
    "qeff_session_read_state.name": '"cache"',
    "qeff_tensors_set.name": '"position"', "qeff_tensors_set.dtype": "QEFF_DTYPE_I64",
    "qeff_tensors_set.shape": "h->pos_shape", "qeff_tensors_set.rank": "2",
    "qeff_tensors_set.data": "&h->pos", "qeff_tensors_set.nbytes": "sizeof h->pos",
    "qeff_tensors_find.name": '"position"',
    # requests, results, streams
    "qeff_request_add_tokens.request": "h->token_request",
    "qeff_request_add_text_pair.first": '"a query"', "qeff_request_add_text_pair.first_length": "7",
    "qeff_request_add_text_pair.second": '"a document"', "qeff_request_add_text_pair.second_length": "10",
    "qeff_result_embeddings.result": "h->embed_result",
    "qeff_result_scores.result": "h->rerank_result",
    "qeff_result_token_embeddings.result": "h->token_result",
    "qeff_result_stat.name": '"total_ms"',
    "qeff_stream_cancel.stream": "h->cancel_stream",
}

# Parameters for which the header documents NULL as valid: the call succeeds.
NULL_OK = {
    "qeff_set_log_callback.fn",         # NULL disables logging
    "qeff_set_log_callback.payload",    # passed back unchanged
    "qeff_generate_stream.payload",
    "qeff_options_key_info.name", "qeff_options_key_info.type",
    "qeff_options_key_info.description",  # "any out pointer may be NULL"
    "qeff_options_set_cancel.cancel",   # NULL detaches
    "qeff_model_tensor_info.name", "qeff_model_tensor_info.dtype", "qeff_model_tensor_info.rank",
    "qeff_tokenizer_encode_batch.lengths",  # NUL-terminated texts
    "qeff_encoding_row.ids", "qeff_encoding_row.attention_mask", "qeff_encoding_row.length",
    "qeff_encoding_offsets.offsets", "qeff_encoding_offsets.length",
    # The header's conventions: a size or count out parameter next to a pointer.
    "qeff_tokenizer_decode.out_length", "qeff_tokenizer_id_to_token.length",
    "qeff_decoder_step.length", "qeff_decoder_finish.length",
    "qeff_tensors_info.name", "qeff_tensors_info.dtype", "qeff_tensors_info.rank",
    "qeff_tensors_data.data", "qeff_tensors_data.nbytes",  # "either out pointer may be NULL"
    "qeff_result_text.length", "qeff_result_tokens.count",
    "qeff_result_embeddings.rows", "qeff_result_embeddings.dim",
    "qeff_result_scores.rows", "qeff_result_scores.num_labels",
    "qeff_result_token_embeddings.tokens", "qeff_result_token_embeddings.dim",
}
# ... and every `const qeff_options *options` of a function that is not an
# options accessor ("`options` may be NULL: every key at its default").
OPTIONS_MAY_BE_NULL = ("qeff_options", True)


class GenError(Exception):
    pass


def strip_source(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"\\\n", " ", text)  # preprocessor continuation lines
    return "\n".join("" if line.lstrip().startswith("#") else line for line in text.split("\n"))


class Header:
    def __init__(self, text):
        src = strip_source(text)
        self.handles = set(re.findall(r"typedef\s+struct\s+(\w+)\s+\1\s*;", src))
        self.enums = set(re.findall(r"typedef\s+enum\s+(\w+)\s*\{[^}]*\}\s*\1\s*;", src))
        self.structs = set(re.findall(r"typedef\s+struct\s+(\w+)\s*\{[^}]*\}\s*\1\s*;", src))
        self.fnptrs = set(re.findall(r"typedef\s+[\w\s\*]+\(\s*\*\s*(\w+)\s*\)\s*\([^)]*\)\s*;", src))
        proto = re.compile(r"QEFF_API\s+([^;{}()]*?)\b(qeff_\w+)\s*\(([^()]*)\)\s*;")
        self.functions = [(ret.strip(), name, self.params(name, args)) for ret, name, args in proto.findall(src)]
        declared = len(re.findall(r"\bQEFF_API\b", src))
        if declared != len(self.functions):
            parsed = {f[1] for f in self.functions}
            missed = [m for m in re.findall(r"QEFF_API[^;]*?\b(qeff_\w+)\s*\(", src) if m not in parsed]
            raise GenError(f"{declared} QEFF_API declarations but {len(self.functions)} parsed; "
                           f"not understood: {missed or 'see the header'}")
        for handle in self.handles:
            if (handle, True) not in HANDLES and (handle, False) not in HANDLES:
                raise GenError(f"handle type {handle} has no fixture: add it to HANDLES and null_args_fixtures.h")

    @staticmethod
    def params(fn, args):
        args = args.strip()
        if args in ("", "void"):
            return []
        out = []
        for arg in args.split(","):
            tokens = re.findall(r"\w+|\*|\[|\]", arg)
            if len(tokens) < 2 or not re.fullmatch(r"[A-Za-z_]\w*", tokens[-1]) or tokens[-1] == "const":
                raise GenError(f"{fn}: cannot parse parameter '{arg.strip()}' (a name is required)")
            out.append((tokens[:-1], tokens[-1]))
        return out


class Param:
    """A parameter, classified by its type."""

    def __init__(self, header, fn, tokens, name):
        self.fn, self.name, self.ctype = fn, name, " ".join(tokens)
        idents = [t for t in tokens if t not in ("const", "*")]
        if len(idents) != 1 or "[" in tokens:
            raise GenError(f"{fn}: unknown parameter type '{self.ctype}' of {name}")
        base = self.base = idents[0]
        stars = tokens.count("*")
        first_star = tokens.index("*") if stars else len(tokens)
        base_const = "const" in tokens[:first_star]
        # const after each '*': e.g. const char *const * -> [True, False]
        ptr_const = [i + 1 < len(tokens) and tokens[i + 1] == "const" for i, t in enumerate(tokens) if t == "*"]
        self.const = base_const
        kind = None
        if stars == 0:
            if base in header.enums: kind = "enum"
            elif base in header.fnptrs: kind = "fn"
            elif base in SCALARS: kind = "scalar"
        elif stars == 1 and not ptr_const[0]:
            if base in header.handles: kind = "handle"
            elif base == "char" and base_const: kind = "string"
            elif base == "void": kind = "array" if base_const else "payload"
            elif base in SCALARS and base_const: kind = "array"
            elif not base_const and (base in SCALARS or base in header.enums or base in header.structs):
                kind = "value_out"
        elif stars == 2 and not ptr_const[1]:
            if not base_const and not ptr_const[0] and base in header.handles: kind = "handle_out"
            elif not base_const and not ptr_const[0] and base == "char": kind = "owned_out"
            elif base_const and not ptr_const[0] and (base in SCALARS or base in ("char", "void")):
                kind = "borrowed_out"
            elif base_const and ptr_const[0] and base == "char": kind = "array"
        if kind is None:
            raise GenError(f"{fn}: unknown parameter type '{self.ctype}' of {name}: teach gen_null_tests.py "
                           "how to pass it and what NULL there must give")
        self.kind = kind
        self.pointer = kind not in ("enum", "scalar")
        self.out = kind.endswith("_out")

    def value(self):
        """A valid C expression for an input parameter."""
        for key in (f"{self.fn}.{self.name}", self.name if self.kind not in ("handle", "enum") else None):
            if key in VALUES:
                return VALUES[key]
        if self.kind == "handle" and (self.base, self.const) in HANDLES:
            return HANDLES[(self.base, self.const)]
        if self.kind == "enum" and self.base in ENUMS:
            return ENUMS[self.base]
        raise GenError(f"{self.fn}: no valid value for parameter {self.name} ({self.ctype}): add "
                       f"'{self.fn}.{self.name}' to VALUES")

    def null_ok(self):
        return f"{self.fn}.{self.name}" in NULL_OK or (
            self.kind == "handle" and (self.base, self.const) == OPTIONS_MAY_BE_NULL and
            not self.fn.startswith("qeff_options_"))

    def local(self, i):
        return f"o{i}_{self.name}"

    def declare(self, i):
        """Declaration of the local an out parameter points to."""
        v = self.local(i)
        pointee = self.ctype.rsplit("*", 1)[0].strip()
        if self.kind == "value_out":  # room for capacity-sized outputs (dims, shapes)
            return f"{pointee} {v}[8]; memset({v}, 0, sizeof {v});"
        return f"{pointee} {v} = SENTINEL;"

    def argument(self, i):
        if self.out:
            return self.local(i) if self.kind == "value_out" else f"&{self.local(i)}"
        return self.value()


def free_call(header_fns, p, var):
    free = f"{p.base}_free" if p.kind == "handle_out" else "qeff_string_free"
    if free not in header_fns:
        raise GenError(f"{p.fn}: out parameter {p.name} ({p.ctype}) has no {free} to release it")
    return f"{free}({var});"


def emit_call(lines, header_fns, fn, params, null_index):
    """One call: all valid (null_index None) or NULL at params[null_index]."""
    lines.append("  {")
    for i, p in enumerate(params):
        if p.out and i != null_index:
            lines.append(f"    {p.declare(i)}")
    args = ["NULL" if i == null_index else p.argument(i) for i, p in enumerate(params)]
    lines.append(f"    qeff_status st = {fn}({', '.join(args)});")
    nulled = params[null_index] if null_index is not None else None
    if nulled is None or nulled.null_ok():
        what = "all arguments valid" if nulled is None else f"{nulled.name} = NULL, documented as valid"
        lines.append(f'    expect_ok("{fn}", "{what}", st);')
        if nulled is not None:
            lines.append("    ++cases_null_ok;")
        for i, p in enumerate(params):
            if p.kind in ("handle_out", "owned_out") and i != null_index:
                lines.append(f"    if (st == QEFF_OK) {free_call(header_fns, p, p.local(i))}")
    else:
        want = "QEFF_E_INVALID_HANDLE" if nulled.kind == "handle" else "QEFF_E_INVALID_ARGUMENT"
        lines.append(f'    expect_null_failure("{fn}", "{nulled.name}", st, {want});')
        for i, p in enumerate(params):
            if p.kind in ("handle_out", "owned_out", "borrowed_out") and i != null_index:
                lines.append(f'    expect_null_out("{fn}", "{nulled.name}", "{p.name}", {p.local(i)});')
            if p.kind in ("handle_out", "owned_out") and i != null_index:
                lines.append(f"    if (st == QEFF_OK) {free_call(header_fns, p, p.local(i))}")
    lines.append("  }")


def emit_function(header, ret, fn, raw_params):
    lines = [f"static void test_{fn}(struct handles *h) {{", "  (void)h;"]
    if ret == "void" and fn.endswith("_free"):
        # qeff_<type>_free(qeff_<type> *) or qeff_string_free(char *): NULL is a no-op.
        if len(raw_params) != 1 or raw_params[0][0].count("*") != 1:
            raise GenError(f"{fn}: a free function takes one pointer")
        lines += ["  arm_last_error();", f"  {fn}(NULL);", f'  expect_last_error_kept("{fn}");', "}"]
        return lines, 1
    params = [Param(header, fn, tokens, name) for tokens, name in raw_params]
    header_fns = {f[1] for f in header.functions}
    pointers = [i for i, p in enumerate(params) if p.pointer]
    if ret == "qeff_status" and pointers:
        emit_call(lines, header_fns, fn, params, None)
        for i in pointers:
            emit_call(lines, header_fns, fn, params, i)
    elif not pointers:
        # Queries without pointers (version, names, the last error): called once.
        args = ", ".join(p.value() for p in params)
        lines.append(f"  (void){fn}({args});" if ret != "void" else f"  {fn}({args});")
    else:
        raise GenError(f"{fn}: returns '{ret}' and takes pointers: no rule for what NULL must give")
    lines.append("}")
    return lines, len(pointers)


def generate(header_text):
    header = Header(header_text)
    out = ["/* Generated by tests/abi/gen_null_tests.py from include/qeff/qeff.h: do not edit. */",
           '#include "null_args_fixtures.h"', ""]
    names, total_pointers = [], 0
    for ret, fn, raw in header.functions:
        body, n = emit_function(header, ret, fn, raw)
        out += body + [""]
        names.append(fn)
        total_pointers += n
    out += ["int main(int argc, char **argv) {",
            "  struct handles h;",
            "  if (!handles_build(&h, argc, argv)) {",
            '    fprintf(stderr, "fixtures could not be built\\n");',
            "    handles_free(&h);",
            "    return 1;",
            "  }"]
    out += [f"  test_{fn}(&h);" for fn in names]
    out += ["  handles_free(&h);",
            f'  printf("null-args: {len(names)} functions, {total_pointers} pointer parameters: "',
            '         "%d valid calls, %d NULL rejected, %d NULL accepted as documented, %d free(NULL)\\n",',
            "         cases_ok - cases_null_ok, cases_null, cases_null_ok, cases_free);",
            "  if (failures > 0) {",
            '    fprintf(stderr, "%d check(s) failed\\n", failures);',
            "    return 1;",
            "  }",
            "  return 0;",
            "}", ""]
    return "\n".join(out)


# Declarations the generator must refuse, each with what its error names.
SELF_TEST_CASES = [
    ("QEFF_API qeff_status qeff_new_fn(const float *weights);", ["qeff_new_fn", "weights", "no valid value"]),
    ("QEFF_API qeff_status qeff_new_fn(qeff_model ***models);", ["qeff_new_fn", "unknown parameter type"]),
    ("QEFF_API qeff_status qeff_new_fn(struct qeff_thing *t);", ["qeff_new_fn", "unknown parameter type"]),
    ("typedef struct qeff_widget qeff_widget;", ["qeff_widget", "no fixture"]),
    ("QEFF_API qeff_status qeff_new_fn(const qeff_model *model, size_t frobs);", ["qeff_new_fn", "frobs"]),
    ("QEFF_API qeff_status qeff_new_fn(void (*cb)(void));", ["not understood", "qeff_new_fn"]),
    ("QEFF_API int qeff_new_fn(const qeff_model *model);", ["qeff_new_fn", "returns 'int'"]),
    ("QEFF_API void qeff_new_fn(qeff_model *model);", ["qeff_new_fn", "returns 'void'"]),
]


def self_test(text):
    """The header generates; each SELF_TEST_CASES addition makes it fail loudly."""
    generate(text)
    bad = 0
    for decl, words in SELF_TEST_CASES:
        try:
            generate(text + "\n" + decl + "\n")
            message = "(no error)"
        except GenError as e:
            message = str(e)
        if not all(w in message for w in words):
            sys.stderr.write(f"self-test: {decl!r} gave {message!r}, expected an error naming {words}\n")
            bad += 1
    print(f"gen_null_tests.py self-test: {len(SELF_TEST_CASES) - bad} of {len(SELF_TEST_CASES)} refused as expected")
    return 1 if bad else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        with open(argv[2], encoding="utf-8") as f:
            return self_test(f.read())
    if len(argv) != 3:
        sys.stderr.write("usage: gen_null_tests.py QEFF_H OUTPUT_C | --self-test QEFF_H\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        c = generate(text)
    except GenError as e:
        sys.stderr.write(f"gen_null_tests.py: {argv[1]}: {e}\n")
        return 1
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write(c)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
