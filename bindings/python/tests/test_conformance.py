"""The conformance scenario (tests/conformance/SCENARIO.md) in Python.

Every step uses the idiomatic API; expected values come from vectors.json.
"""

import numpy as np
import pytest

import qeff
from conftest import model_dir


def test_1_load(vectors):
    with qeff.Model.load(model_dir(vectors["encoder"]["model"])) as encoder, \
            qeff.Model.load(model_dir(vectors["lm"]["model"])) as lm:
        assert encoder.task == qeff.Task.EMBEDDING
        assert str(encoder.task) == "embedding"
        assert lm.task == qeff.Task.CAUSAL_LM
        assert str(lm.task) == "causal-lm"


def test_2_compile(encoder, lm, vectors):
    enc_info, lm_info = encoder.program.info, lm.program.info
    assert isinstance(enc_info, dict) and isinstance(lm_info, dict)
    # The compiled shapes are the requested ones.
    text = str(enc_info)
    for seq_len in vectors["encoder"]["compile"]["seq_len"]:
        assert str(seq_len) in text
    assert str(vectors["lm"]["compile"]["ctx_len"]) in str(lm_info)


def test_3_embed_batch(encoder, vectors):
    v = vectors["encoder"]
    out = encoder.embed(v["texts"])
    got = out.embeddings
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    assert got.shape == (3, 32)
    np.testing.assert_allclose(got, np.array(v["embeddings"], dtype=np.float32), rtol=0, atol=v["atol"])
    assert out.stats["batches"] == 2  # 3 rows at batch size 2
    # generate() is the same numbers as a bare array.
    np.testing.assert_array_equal(encoder.generate(v["texts"]), got)


def _greedy(lm, vectors):
    v = vectors["lm"]
    return lm.generate(v["prompt"], max_new_tokens=v["max_new_tokens"])


def test_4_generate_greedy(lm, vectors):
    v = vectors["lm"]
    result = _greedy(lm, vectors)
    assert result.generated_ids == [v["new_token_ids"]]
    assert result.finish_reasons == [qeff.FinishReason.LENGTH]
    assert result.prompt_lengths == [len(v["prompt_ids"])]
    assert result.perf_metrics.ttft_ms > 0
    assert result.stats["ttft_ms"] > 0


def test_5_stream(lm, vectors):
    v = vectors["lm"]
    expected = _greedy(lm, vectors).generated_texts[0]
    texts, tokens, events = [], [], []
    with lm.stream(v["prompt"], max_new_tokens=v["max_new_tokens"]) as stream:
        for event in stream:
            events.append(event)
            texts.append(event.text)
            if event.token >= 0:
                tokens.append(event.token)
        assert stream.result.generated_ids == [v["new_token_ids"]]
    assert "".join(texts) == expected
    assert tokens == v["new_token_ids"]
    assert events[-1].finished and all(not e.finished for e in events[:-1])


def _check_error(info, excinfo, cls):
    err = excinfo.value
    assert isinstance(err, qeff.QeffError) and isinstance(err, cls)
    assert err.code == info["code"]
    assert err.status == info["status"]
    assert qeff.status_name(err.code) == info["status"]
    assert info["message_contains"] in err.message
    assert info["status"] in str(err)


def test_6_errors(lm, vectors):
    errors = vectors["errors"]
    info = errors["missing_dir"]
    with pytest.raises(qeff.NotFoundError) as excinfo:
        qeff.AutoModelForCausalLM.from_pretrained(model_dir(info["model"]))
    _check_error(info, excinfo, qeff.NotFoundError)
    assert _greedy(lm, vectors).generated_ids == [vectors["lm"]["new_token_ids"]]

    info = errors["bad_option"]
    assert info["key"] == "compile.batch_size"
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir(vectors["lm"]["model"])) as other:
        with pytest.raises(qeff.InvalidArgumentError) as excinfo:
            other.compile(batch_size=info["value"])
        _check_error(info, excinfo, qeff.InvalidArgumentError)
    assert _greedy(lm, vectors).generated_ids == [vectors["lm"]["new_token_ids"]]

    info = errors["too_long_prompt"]
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir(vectors["lm"]["model"])) as short:
        short.compile(**info["compile"])
        with pytest.raises(qeff.ContextOverflowError) as excinfo:
            short.generate(info["prompt"])
        _check_error(info, excinfo, qeff.ContextOverflowError)
        # The failed program still works.
        assert short.generate("Hello", max_new_tokens=2).finish_reasons == [qeff.FinishReason.LENGTH]
    assert _greedy(lm, vectors).generated_ids == [vectors["lm"]["new_token_ids"]]


def test_7_free_in_any_order(vectors):
    v = vectors["lm"]
    model = qeff.Model.load(model_dir(v["model"]))
    tokenizer = model.tokenizer()
    program = model.compile(**v["compile"])
    result = program.generate(v["prompt"], max_new_tokens=4)
    stream = program.stream(v["prompt"], max_new_tokens=v["max_new_tokens"])
    first = next(stream)
    assert first.token == v["new_token_ids"][0]

    model.close()
    program.close()
    assert tokenizer.encode(v["prompt"]).ids == v["prompt_ids"]
    tokenizer.close()
    tokens = [first.token] + [e.token for e in stream if e.token >= 0]
    assert tokens == v["new_token_ids"]
    stream.close()
    assert result.generated_ids[0] == v["new_token_ids"][:4]  # results are copied out

    # Closing twice is harmless; a closed handle raises, it does not crash.
    for handle in (model, program, tokenizer, stream):
        handle.close()
        assert handle.closed
    with pytest.raises(qeff.InvalidHandleError):
        tokenizer.encode("x")
    with pytest.raises(qeff.InvalidHandleError):
        program.generate("x")
    with pytest.raises(qeff.InvalidHandleError):
        model.tokenizer()


def test_8_utf8_round_trip(vectors):
    text = vectors["utf8"]["text"]
    assert "\0" in text and "\U0001F44B" in text
    with qeff.Tokenizer.from_pretrained(model_dir(vectors["utf8"]["model"])) as tokenizer:
        ids = tokenizer.encode(text).ids
        decoded = tokenizer.decode(ids, skip_special_tokens=True)
        assert decoded == text
        assert decoded.encode("utf-8") == text.encode("utf-8")
        # bytes in, same ids.
        assert tokenizer.encode(text.encode("utf-8")).ids == ids
