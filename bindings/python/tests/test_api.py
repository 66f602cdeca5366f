"""The Python binding's API beyond the conformance scenario: version, errors,
options, models, tokenizers, programs (compile, export, ONNX, packages),
requests, encoder outputs and the tensors/session layer. Expected values come
from the fixture references (transformers outputs), never from the binding."""

import gc
import os
import pathlib
import re

import numpy as np
import pytest

import qeff
from qeff import capi
from conftest import model_dir, reference

BERT = reference("bert-tiny")
LLAMA = reference("llama-tiny")
RERANKER = reference("bert-reranker-tiny")


def ref_array(block):
    return np.array(block["data"], dtype=np.float32).reshape(block["shape"])


# -- version, status codes, errors ---------------------------------------------------


def test_version():
    version = qeff.version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    major, minor, patch = map(int, version.split("."))
    assert qeff.version_number() == major * 10000 + minor * 100 + patch
    assert qeff.__version__ == version


def test_status_names_match_the_library():
    for code in range(0, 18):
        assert qeff.status_name(code) == capi.qeff_status_name(code)
    assert qeff.status_name(99) == capi.qeff_status_name(99) == "QEFF_E_UNKNOWN"
    classes = {cls.CODE: cls for cls in qeff.QeffError.__subclasses__()}
    assert sorted(classes) == list(range(1, 18))
    for code, cls in classes.items():
        assert cls.STATUS == capi.qeff_status_name(code)
        assert getattr(capi, cls.STATUS) == code


def test_error_is_read_in_the_failing_call():
    with pytest.raises(qeff.NotFoundError) as excinfo:
        capi.qeff_model_load(model_dir("nope"), None)
    err = excinfo.value
    assert (err.code, err.status) == (2, "QEFF_E_NOT_FOUND") and "nope" in err.message
    # The thread-local error is still there for the raw layer, and can be cleared.
    assert capi.qeff_last_error_code() == capi.QEFF_E_NOT_FOUND
    assert "nope" in capi.qeff_last_error_message()
    capi.qeff_clear_error()
    assert capi.qeff_last_error_code() == capi.QEFF_OK and capi.qeff_last_error_message() == ""
    import pickle
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is qeff.NotFoundError and again.message == err.message


# -- options ----------------------------------------------------------------------------


def test_option_keys_cover_the_documented_ones():
    docs = os.path.join(os.path.dirname(os.environ["QEFF_CONFORMANCE"]), "..", "..", "docs", "options.md")
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_.]+)` \|", open(docs, encoding="utf-8").read(), re.M))
    keys = {k.name: k for k in qeff.option_keys()}
    assert documented and documented <= set(keys)
    assert len(keys) == capi.qeff_options_key_count()
    assert keys["compile.seq_len"].type is qeff.OptionType.INT_LIST
    assert keys["generate.temperature"].type is qeff.OptionType.FLOAT
    assert keys["compile.fuse"].type is qeff.OptionType.BOOL
    assert keys["compile.weight_dtype"].type is qeff.OptionType.STRING
    assert keys["compile.batch_size"].type is qeff.OptionType.INT
    assert all(k.description for k in keys.values())
    with pytest.raises(qeff.InvalidArgumentError):
        capi.qeff_options_key_info(len(keys))


def test_options_set_and_get_each_type():
    with qeff.Options() as o:
        assert o["compile.batch_size"] == "1"  # default
        o["compile.fuse"] = False
        o["compile.batch_size"] = 4
        o["generate.temperature"] = 0.5
        o["generate.top_p"] = 1  # an int for a FLOAT key
        o["compile.weight_dtype"] = "bf16"
        o["compile.seq_len"] = [16, 32]
        o["generate.stop"] = ["\n\n", "END"]
        o.set_text("generate.max_new_tokens", "7")
        assert o.get("compile.fuse") == "false"
        assert o.get("compile.batch_size") == "4"
        assert float(o.get("generate.temperature")) == 0.5
        assert float(o.get("generate.top_p")) == 1.0
        assert o.get("compile.weight_dtype") == "bf16"
        assert o.get("compile.seq_len") == "16,32"
        assert o.get("generate.max_new_tokens") == "7"
        assert "END" in o.get("generate.stop")
        assert dict(o.items())["compile.seq_len"] == "16,32"
        # Raw typed setters of the generated layer.
        with o._use() as raw:
            capi.qeff_options_set_bool(raw, "cache.enabled", 0)
            capi.qeff_options_set_int(raw, "runtime.threads", 2)
            capi.qeff_options_set_float(raw, "generate.min_p", 0.25)
            capi.qeff_options_set_string(raw, "tokenize.padding", "longest")
            capi.qeff_options_set_int_list(raw, "generate.eos_token_ids", [2, 3])
            capi.qeff_options_set(raw, "compile.ctx_len", "256")
            assert [capi.qeff_options_get(raw, k) for k in (
                "cache.enabled", "runtime.threads", "tokenize.padding", "generate.eos_token_ids",
                "compile.ctx_len")] == ["false", "2", "longest", "2,3", "256"]


@pytest.mark.parametrize("key, value, fragment", [
    ("compile.nope", 1, "compile.nope"),          # unknown key
    ("compile.batch_size", 0, "compile.batch_size"),  # out of range
    ("compile.batch_size", "many", "compile.batch_size"),  # wrong type
    ("compile.fuse", 3, "compile.fuse"),
    ("generate.top_p", 2.5, "generate.top_p"),
])
def test_options_reject_bad_values(key, value, fragment):
    with qeff.Options() as o:
        before = o.get("compile.batch_size")
        with pytest.raises(qeff.InvalidArgumentError) as excinfo:
            o[key] = value
        assert fragment in excinfo.value.message
        assert o.get("compile.batch_size") == before  # unchanged on failure


def test_keyword_typos_are_errors():
    with qeff.AutoModel.from_pretrained(model_dir("bert-tiny")) as m:
        with pytest.raises(qeff.InvalidArgumentError, match="compile.seq_lenn"):
            m.compile(seq_lenn=[16])


# -- models --------------------------------------------------------------------------------


def test_model_introspection():
    summary = BERT["config_summary"]
    with qeff.Model.load(model_dir("bert-tiny")) as m:
        assert m.architecture == BERT["architecture"]
        assert m.model_type == summary["model_type"]
        assert m.task is qeff.Task.EMBEDDING
        assert m.num_layers == summary["num_hidden_layers"]
        assert m.hidden_size == summary["hidden_size"]
        assert m.vocab_size == summary["vocab_size"]
        assert m.num_parameters == BERT["parameters"]["hf_num_parameters"]
        assert m.weight_dtype == "F32"
        assert os.path.samefile(m.path, model_dir("bert-tiny"))
        tensors = m.tensors
        assert len(tensors) == BERT["parameters"]["num_tensors"]
        assert [t.name for t in tensors] == sorted(t.name for t in tensors)
        expected = BERT["safetensors"]["tensors"]
        assert [(t.name, t.dtype, list(t.shape)) for t in tensors] == \
            [(e["name"], e["dtype"], e["shape"]) for e in sorted(expected, key=lambda e: e["name"])]
        info = m.tensor(expected[2]["name"])
        assert info is not None and list(info.shape) == expected[2]["shape"]
        assert m.tensor("no.such.tensor") is None
        assert m.config("hidden_size") == summary["hidden_size"]
        assert m.config("architectures.0") == BERT["architecture"]
        assert m.config("no.such.field", "dflt") == "dflt"
        assert m.config()["model_type"] == summary["model_type"]
        assert m.config_json("hidden_size") == str(summary["hidden_size"])


def test_auto_classes_check_the_task():
    with pytest.raises(qeff.UnsupportedError, match="causal-lm"):
        qeff.AutoModel.from_pretrained(model_dir("llama-tiny"))
    with pytest.raises(qeff.UnsupportedError, match="embedding"):
        qeff.AutoModelForCausalLM.from_pretrained(model_dir("bert-tiny"))


# -- tokenizers ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bert-tiny", "llama-tiny"])
def test_tokenizer_matches_transformers(name):
    ref = reference(name)
    with qeff.Tokenizer.from_pretrained(model_dir(name)) as tok:
        assert tok.vocab_size == len(tok) == ref["tokenizer"]["len"]
        for prompt in ref["prompts"]:
            enc = tok.encode(prompt["text"], add_special_tokens=prompt["add_special_tokens"])
            assert enc.ids == prompt["ids"]
            assert enc.attention_mask == [1] * len(enc.ids)
            assert [tok.id_to_token(i) for i in enc.ids] == prompt["tokens"]
            assert [tok.token_to_id(t) for t in prompt["tokens"]] == prompt["ids"]
            if "decoded" in prompt:
                assert tok.decode(enc.ids) == prompt["decoded"]
            if "decoded_skip_special" in prompt:
                assert tok.decode(enc.ids, skip_special_tokens=True) == prompt["decoded_skip_special"]
        assert tok.token_to_id("no-such-token-\u2603") is None
        assert tok.id_to_token(10 ** 6) is None


def test_special_ids_and_offsets():
    ids = BERT["special_token_ids"]
    with qeff.Tokenizer.from_pretrained(model_dir("bert-tiny")) as tok:
        assert tok.pad_token_id == ids["pad"] and tok.unk_token_id == ids["unk"]
        text = "Hello world!"
        enc = tok.encode(text)
        assert enc.offsets[0] == (0, 0) and enc.offsets[-1] == (0, 0)  # [CLS], [SEP]
        assert [text.encode()[b:e].decode().lower() for b, e in enc.offsets[1:-1]] == ["hello", "world", "!"]
    llama = LLAMA["special_token_ids"]
    with qeff.Tokenizer.from_pretrained(model_dir("llama-tiny")) as tok:
        assert tok.bos_token_id == llama["tokenizer_bos"]
        assert tok.eos_token_id == llama["tokenizer_eos"]


def test_encode_batch_with_padding_and_truncation():
    texts = [p["text"] for p in BERT["prompts"][:3]]
    expected = [p["ids"] for p in BERT["prompts"][:3]]
    with qeff.Tokenizer.from_pretrained(model_dir("bert-tiny")) as tok:
        rows = tok.encode_batch(texts, padding="longest")
        width = max(map(len, expected))
        for row, ids in zip(rows, expected):
            assert len(row) == width
            assert row.ids[:len(ids)] == ids and row.attention_mask == [1] * len(ids) + [0] * (width - len(ids))
            assert row.ids[len(ids):] == [BERT["special_token_ids"]["pad"]] * (width - len(ids))
        short = tok.encode(texts[1], max_length=4)
        assert short.ids == expected[1][:3] + [BERT["special_token_ids"]["sep"]]
        # The raw layer takes any iterable of str/bytes (here freshly made objects).
        with tok._use() as raw:
            enc = capi.qeff_tokenizer_encode_batch(raw, (t.encode() if i else "" + t for i, t in enumerate(texts)), None)
            try:
                assert capi.qeff_encoding_num_rows(enc) == 3
                assert capi.qeff_encoding_row(enc, 1)[0] == expected[1]
            finally:
                capi.qeff_encoding_free(enc)
            with pytest.raises(TypeError):
                capi.qeff_tokenizer_encode_batch(raw, ["ok", 3], None)
        batch = tok([texts[0], texts[1]])
        assert batch["input_ids"] == expected[:2]
        assert tok.encode_batch([]) == []


def test_streaming_decoder_concatenates_to_decode():
    text = "h\u00e9llo \U0001F44B w\u00f6rld \u2713 \u65e5\u672c"
    with qeff.Tokenizer.from_pretrained(model_dir("llama-tiny")) as tok:
        ids = tok.encode(text).ids
        with tok.decoder(skip_special_tokens=True) as dec:
            pieces = [dec.step(i) for i in ids] + [dec.finish()]
        assert "".join(pieces) == tok.decode(ids, skip_special_tokens=True) == text
        with pytest.raises(qeff.InvalidArgumentError):
            tok.decode([10 ** 6])


# RELIABILITY B8.67 / B14.128: text goes down as (pointer, length), so a NUL is
# an ordinary character (llama-tiny's byte token <0x00>), never a C-string cut;
# a str holding a lone surrogate has no UTF-8 form: UnicodeEncodeError from the
# binding, before any C call, and the handles stay usable.
NUL_TEXT = "a\0b\0\0c \U0001F44B\0"
LONE_SURROGATES = ["\ud800", "ok \udfff", "emoji half \ud83d", "\udc80\udcff"]


def test_nul_inside_text_is_a_character():
    nbytes = len(NUL_TEXT.encode("utf-8"))
    with qeff.Tokenizer.from_pretrained(model_dir("llama-tiny")) as tok:
        nul = tok.token_to_id("<0x00>")
        enc = tok.encode(NUL_TEXT)
        assert enc.ids.count(nul) == NUL_TEXT.count("\0") == 4
        assert enc.offsets[-1] == (nbytes - 1, nbytes)  # the last NUL, at the end of the bytes
        assert tok.encode(NUL_TEXT.encode("utf-8")).ids == enc.ids
        assert tok.decode(enc.ids, skip_special_tokens=True) == NUL_TEXT
        with tok.decoder(skip_special_tokens=True) as dec:
            assert "".join([dec.step(i) for i in enc.ids] + [dec.finish()]) == NUL_TEXT
        rows = tok.encode_batch([NUL_TEXT, "x", NUL_TEXT.encode("utf-8")])
        assert rows[0].ids == rows[2].ids == enc.ids
        assert tok(["\0", "x\0"])["input_ids"] == [tok.encode("\0").ids, tok.encode("x\0").ids]
        assert tok.encode("\0").ids[-1] == nul
    with qeff.Request([NUL_TEXT, NUL_TEXT.encode("utf-8")]) as r:
        r.add_pair("q\0", "\0d")
        assert len(r) == 3


@pytest.mark.parametrize("call, argument", [
    ("tokenizer path", "dir"), ("model path", "path"), ("token", "token"),
    ("option value", "the value of option 'tokenize.padding'"), ("option key", "key"),
    ("raw option value", "the value of option 'model.pooling'"), ("config key", "key"),
])
def test_c_string_arguments_are_not_cut_at_nul(call, argument):
    """Paths, token strings, option keys and values are C strings at the C API
    (no length): a NUL inside raises ValueError naming the argument, before any
    C call, instead of C reading up to it ("dir\0junk" would load dir). The
    Java binding refuses them too. Text passed with its length keeps NUL."""
    llama = model_dir("llama-tiny")
    with qeff.Tokenizer.from_pretrained(llama) as tok, qeff.Model.load(llama) as model, qeff.Options() as opts:
        calls = {
            "tokenizer path": lambda: qeff.Tokenizer.from_pretrained(llama + "\0junk"),
            "model path": lambda: qeff.Model.load(pathlib.Path(llama + "\0junk")),
            "token": lambda: tok.token_to_id("<s>\0junk"),
            "option value": lambda: tok.encode("x", padding="longest\0junk"),
            "option key": lambda: opts.set_text("tokenize.padding\0junk", "longest"),
            "raw option value": lambda: qeff.capi.qeff_options_set_string(opts._owner.ptr, "model.pooling", b"mean\0x"),
            "config key": lambda: model.config_json("model_type\0junk"),
        }
        with pytest.raises(ValueError, match=f"^embedded null character in {re.escape(argument)}$"):
            calls[call]()
        # Nothing was cut or changed, and the handles still work.
        assert tok.token_to_id("<s>") == 1 and tok.encode("a\0b").ids == tok.encode(b"a\0b").ids
        assert opts.get("tokenize.padding") == "none" and opts.get("model.pooling") == ""
        assert model.config("model_type") == "llama"


@pytest.mark.parametrize("text", LONE_SURROGATES)
def test_lone_surrogates_are_unicode_encode_errors(text):
    with qeff.Tokenizer.from_pretrained(model_dir("llama-tiny")) as tok:
        with pytest.raises(UnicodeEncodeError):
            tok.encode(text)
        with pytest.raises(UnicodeEncodeError):
            tok.encode_batch(["fine", text])
        with pytest.raises(UnicodeEncodeError):
            tok(["fine", text])
        with pytest.raises(UnicodeEncodeError):
            qeff.Request([text])
        with qeff.Request(["fine"]) as r:
            with pytest.raises(UnicodeEncodeError):
                r.add_text(text)
            with pytest.raises(UnicodeEncodeError):
                r.add_pair("fine", text)
            assert len(r) == 1
        # The same text as bytes (surrogateescape-style) is invalid UTF-8: the library's error.
        raw = text.encode("utf-8", "surrogatepass")
        with pytest.raises(qeff.InvalidArgumentError, match="UTF-8"):
            tok.encode(raw)
        assert tok.encode("still fine").ids == tok.encode(b"still fine").ids


# -- programs: compile, export, ONNX, packages --------------------------------------------------


def test_export_compile_onnx_and_packages(tmp_path):
    rows = BERT["encoder"]["ids_unpadded"]
    expected = ref_array(BERT["encoder"]["normalized"]["mean"])
    with qeff.AutoModel.from_pretrained(model_dir("bert-tiny"), pooling="mean", normalize=True) as m:
        onnx = m.export(tmp_path / "onnx")
        assert os.path.isfile(onnx) and os.path.isfile(onnx + ".data")
        with pytest.raises(qeff.IOError):
            m.export(tmp_path / "onnx")  # exists
        m.export(tmp_path / "onnx", overwrite=True)
        m.compile(seq_len=[32], batch_size=2, num_cores=2, cache=False)
        np.testing.assert_allclose(m.generate(rows), expected, atol=1e-4)
        package = m.save(tmp_path / "pkg")
        with pytest.raises(qeff.QeffError):
            m.save(tmp_path / "pkg")  # a non-empty directory
        m.save(tmp_path / "pkg", overwrite=True)

    with qeff.Program.compile_onnx(onnx, seq_len=[32], batch_size=2) as program:
        assert program.tokenizer() is None
        np.testing.assert_allclose(program.embed(rows).embeddings, expected, atol=1e-4)
        with pytest.raises(qeff.InvalidArgumentError):
            program.embed(["text needs a tokenizer"])

    with qeff.AutoModel.load(package) as loaded:
        assert loaded.model is None
        info = loaded.program.info
        assert [s["symbols"]["seq_len"] for s in info["specializations"]] == [32]
        texts = BERT["encoder"]["texts"]
        np.testing.assert_allclose(loaded.generate(texts), expected, atol=1e-4)
        with loaded.tokenizer as tok:
            assert tok.encode(texts[0]).ids == rows[0]
        with pytest.raises(qeff.StateError):
            loaded.compile(seq_len=[16])
        with pytest.raises(qeff.StateError):
            loaded.export(tmp_path / "again")
    with pytest.raises(qeff.NotFoundError):
        qeff.Program.load(tmp_path / "no-package")


# -- requests and encoder outputs --------------------------------------------------------------------


def test_requests():
    with qeff.Request(["a", "b"]) as r:
        assert len(r) == 2
        r.add_pair("q", "d")
        assert len(r) == 3
        with pytest.raises(qeff.InvalidArgumentError):
            r.add_tokens([1, 2])  # text and token rows do not mix
    with qeff.Request([[1, 2, 3], np.array([4, 5])]) as r:
        assert len(r) == 2
    with qeff.Request([7, 8, 9]) as r:  # a flat list of ids is one row
        assert len(r) == 1
    with qeff.Request(np.array([[1, 2], [3, 4], [5, 6]], dtype=np.int64)) as r:
        assert len(r) == 3
    with pytest.raises(qeff.InvalidArgumentError):
        qeff.Request([[1, -2]])
    with pytest.raises(qeff.InvalidArgumentError):
        qeff.Request([b"\xff\xfe"])  # invalid UTF-8
    with pytest.raises(TypeError):
        qeff.Request([3.5])


def test_embeddings_tokens_and_truncation(encoder):
    texts = BERT["encoder"]["texts"]
    out = encoder.embed(texts)
    np.testing.assert_allclose(out.embeddings, ref_array(BERT["encoder"]["normalized"]["mean"]), atol=1e-4)
    assert out.num_tokens == BERT["encoder"]["lengths"]
    assert out.scores is None and out.token_embeddings is None
    # Token rows give the same numbers as the texts.
    np.testing.assert_allclose(encoder.generate(BERT["encoder"]["ids_unpadded"]), out.embeddings, atol=1e-6)
    long = " ".join(["word"] * 80)
    with pytest.raises(qeff.ContextOverflowError, match="32"):
        encoder.generate([long])
    assert encoder.generate([long], truncate=True).shape == (1, 32)
    with pytest.raises(qeff.InvalidArgumentError):
        encoder.generate([])


def test_kv_cache_dtype_and_weight_dtypes():
    """model.kv_cache_dtype as a keyword: the program's caches are F16 and it
    generates; every weight storage compiles and reports its dtype."""
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir("llama-tiny")) as lm:
        lm.compile(prefill_seq_len=4, ctx_len=32, kv_cache_dtype="f16", weight_dtype="mxfp6", cache=False)
        info = lm.program.info
        assert {r["dtype"] for r in info["retained_state"]} == {"F16"}
        assert info["weight_dtype"] == "F6_E2M3"
        assert len(lm.generate([[1, 2, 3]], max_new_tokens=3, ignore_eos=True).generated_ids[0]) == 3
    with qeff.Model.load(model_dir("llama-tiny")) as m:
        for name, dtype in (("f16", "F16"), ("int4", "U4"), ("bf16", "BF16")):
            with m.compile(**{"compile.weight_dtype": name, "compile.prefill_seq_len": 4, "compile.ctx_len": 16,
                              "cache.enabled": False}) as p:
                assert p.info["weight_dtype"] == dtype
        # int4 in groups of 128 (compile.int4_block_size): the layout and the info key
        with m.compile(**{"compile.weight_dtype": "int4", "compile.int4_block_size": 128,
                          "compile.prefill_seq_len": 4, "compile.ctx_len": 16, "cache.enabled": False}) as p:
            assert p.info["int4_block_size"] == 128
            assert set(p.info["weight_formats"]) == {"q4.strip128x128h"}
        with pytest.raises(qeff.InvalidArgumentError, match="int4_block_size = 64"):
            m.compile(**{"compile.weight_dtype": "int4", "compile.int4_block_size": 64})
        with pytest.raises(qeff.InvalidArgumentError, match="kv_cache_dtype"):
            m.compile(**{"model.kv_cache_dtype": "int8"})
    # An MXINT8 cache: U8 rows (head_dim 16 -> 16 + 1 bytes), named by the metadata.
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir("llama-tiny")) as lm:
        lm.compile(prefill_seq_len=4, ctx_len=32, kv_cache_dtype="mxint8", cache=False)
        info = lm.program.info
        assert {r["dtype"] for r in info["retained_state"]} == {"U8"}
        assert info["metadata"]["qeff.kv_cache_dtype"] == "MXINT8"
        assert len(lm.generate([[1, 2, 3]], max_new_tokens=3, ignore_eos=True).generated_ids[0]) == 3


@pytest.mark.parametrize("name", ["llama-tiny-awq", "llama-tiny-gptq", "qwen2-tiny-ct"])
def test_int4_checkpoints(name):
    """Pre-quantized AWQ / GPTQ / compressed-tensors checkpoints: the packed
    4-bit values are most of the weights (U4); kept, every layer Linear is a
    q4 weight; dequantized (quantized_checkpoint="dequantize") greedy tokens
    equal transformers' on the exactly dequantized model."""
    single = reference(name)["generate_single"]
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir(name)) as lm:
        assert lm.model.weight_dtype == "U4"
        lm.compile(prefill_seq_len=8, ctx_len=64, cache=False)
        # GPTQ's groups of 64 span K = 64 but for down_proj: stored in groups of 128
        kept = ({"f32.panel16": 1, "q4.strip128x128h": 12, "q4.strip128x32h": 2} if name == "llama-tiny-gptq"
                else {"f32.panel16": 1, "q4.strip128x32h": 14})
        assert lm.program.info["weight_formats"] == kept
        assert len(lm.generate([single["input_ids"]], max_new_tokens=4, ignore_eos=True).generated_ids[0]) == 4
        lm.compile(prefill_seq_len=8, ctx_len=64, quantized_checkpoint="dequantize", cache=False)
        assert lm.program.info["weight_formats"] == {"f32.panel16": 15}
        got = lm.generate([single["input_ids"]], max_new_tokens=single["max_new_tokens"]).generated_ids[0]
        eos = reference(name)["special_token_ids"]["eos_token_id"]
        want = single["new_token_ids"]
        if eos in want:
            want = want[:want.index(eos) + 1]
        assert got == want
    with qeff.Model.load(model_dir(name)) as m:
        with pytest.raises(qeff.InvalidArgumentError, match="quantized_checkpoint"):
            m.compile(**{"compile.quantized_checkpoint": "requantize", "cache.enabled": False})


def test_pooling_none_gives_token_states():
    enc = BERT["encoder"]
    states = ref_array(enc["last_hidden_state"])
    with qeff.AutoModel.from_pretrained(model_dir("bert-tiny"), pooling="none") as m:
        m.compile(seq_len=[32], batch_size=2)
        rows = m.generate(enc["texts"])
    assert isinstance(rows, list) and len(rows) == len(enc["texts"])
    for i, (row, length) in enumerate(zip(rows, enc["lengths"])):
        assert row.shape == (length, 32)
        np.testing.assert_allclose(row, states[i, :length], atol=1e-4)


def test_reranker_scores_from_text_pairs():
    enc = RERANKER["encoder"]
    with qeff.AutoModel.from_pretrained(model_dir("bert-reranker-tiny")) as m:
        assert m.model.task is qeff.Task.SEQUENCE_CLASSIFICATION
        m.compile(seq_len=[64], batch_size=2)
        scores = m.generate([tuple(p) for p in enc["pairs"]])
        assert scores.shape == tuple(enc["logits"]["shape"])
        np.testing.assert_allclose(scores, ref_array(enc["logits"]), atol=1e-4)


# -- tensors and sessions ------------------------------------------------------------------------------


def test_tensors_round_trip():
    arrays = {
        "f": np.arange(6, dtype=np.float32).reshape(2, 3),
        "i": np.array([[1, -2]], dtype=np.int64),
        "b": np.array([True, False]),
        "s": np.float64(2.5),
    }
    with qeff.Tensors(arrays) as t:
        assert len(t) == 4 and list(t) == ["f", "i", "b", "s"]
        for name, a in arrays.items():
            np.testing.assert_array_equal(t[name], a)
            assert t[name].dtype == np.asarray(a).dtype
        assert t.dtype("f") == "F32" and "f" in t and "zz" not in t
        with pytest.raises(qeff.NotFoundError):
            t["zz"]
        with pytest.raises(qeff.InvalidArgumentError):
            t.set("bad", np.zeros(2, dtype=np.float32), dtype=capi.QEFF_DTYPE_F64)


def test_session_runs_the_graph():
    ids = BERT["encoder"]["ids_unpadded"][0]
    expected = ref_array(BERT["encoder"]["normalized"]["mean"])[0]
    with qeff.Model.load(model_dir("bert-tiny")) as model, model.compile(seq_len=[8]) as program:
        with program.session(num_cores=1) as session:
            padded = np.zeros((1, 8), dtype=np.int64)
            padded[0, :len(ids)] = ids
            mask = (padded != 0).astype(np.int64)
            out = session.run({"input_ids": padded, "attention_mask": mask})
            np.testing.assert_allclose(out["output"][0], expected, atol=1e-4)
            session.reset()
            with pytest.raises(qeff.MismatchError):
                session.run({"input_ids": padded[:, :5], "attention_mask": mask[:, :5]})
            with pytest.raises(qeff.NotFoundError):
                session.read_state("past_key.0")


# -- ownership ------------------------------------------------------------------------------------------


def test_handles_are_freed_by_gc_and_close_is_idempotent():
    tok = qeff.Tokenizer.from_pretrained(model_dir("bert-tiny"))
    tok.close()
    tok.close()
    assert tok.closed and "closed" in repr(tok)
    for _ in range(50):
        qeff.Tokenizer.from_pretrained(model_dir("bert-tiny")).encode("x")  # never closed
    gc.collect()
    with pytest.raises(qeff.InvalidHandleError):
        tok.vocab_size
