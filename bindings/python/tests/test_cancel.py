"""Cancellation tokens from Python: qeff.CancelToken and the cancel= keyword
of every long call (load, compile, export, package save/load, generate,
stream). A requested token stops a call at once with qeff.CancelledError and
writes nothing; a token requested from another thread stops a running call
(or the call completes first); the handles stay usable; reset() re-arms."""

import hashlib
import pathlib
import threading

import pytest

import qeff
from conftest import model_dir, reference

LLAMA = model_dir("llama-tiny")
BERT = model_dir("bert-tiny")
SINGLE = reference("llama-tiny")["generate_single"]
LONG = dict(max_new_tokens=200, ignore_eos=True)


def snapshot(root: pathlib.Path) -> dict:
    """Every file under root with the digest of its bytes (directories as None)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None
            for p in sorted(root.rglob("*"))}


def expect_cancelled(call, *args, **kwargs):
    with pytest.raises(qeff.CancelledError) as info:
        call(*args, **kwargs)
    err = info.value
    assert isinstance(err, qeff.QeffError)
    assert err.code == 13 and err.status == "QEFF_E_CANCELLED" and err.message
    return err


@pytest.fixture
def requested():
    """A token already requested."""
    with qeff.CancelToken() as token:
        token.cancel()
        yield token


@pytest.fixture(scope="module")
def model():
    with qeff.Model.load(LLAMA) as m:
        yield m


@pytest.fixture(scope="module")
def program(model):
    """llama-tiny with room for 200 new tokens."""
    with model.compile(prefill_seq_len=8, ctx_len=256, num_cores=1) as p:
        yield p


@pytest.fixture(scope="module")
def encoder():
    with qeff.AutoModel.from_pretrained(BERT) as m:
        m.compile(seq_len=[16, 32])
        yield m


def test_token_lifecycle():
    with qeff.CancelToken() as token:
        assert not token.requested
        token.cancel()
        token.cancel()  # idempotent
        assert token.requested
        token.reset()
        assert not token.requested
        token.request()  # the C name
        assert token.requested and "requested=True" in repr(token)
    assert token.closed and "closed" in repr(token)
    token.cancel()  # a no-op once closed (a late Timer must not raise)
    with pytest.raises(qeff.InvalidHandleError):
        token.reset()
    with pytest.raises(qeff.InvalidHandleError):
        token.requested  # noqa: B018


def test_cancel_keyword_takes_only_tokens(model):
    with pytest.raises(TypeError):
        qeff.Model.load(LLAMA, cancel=threading.Event())
    with pytest.raises(TypeError):
        model.compile(cancel=True)


def test_options_set_cancel(requested):
    with qeff.Options(cancel=requested) as options, options._use() as opts:
        with pytest.raises(qeff.CancelledError):
            qeff.capi.qeff_model_load(LLAMA, opts)
    with qeff.Options() as options:
        options.set_cancel(requested)
        options.set_cancel(None)  # detached: the load runs
        with options._use() as opts:
            qeff.capi.qeff_model_free(qeff.capi.qeff_model_load(LLAMA, opts))


def test_requested_token_cancels_loads(requested):
    expect_cancelled(qeff.Model.load, LLAMA, cancel=requested)
    expect_cancelled(qeff.AutoModelForCausalLM.from_pretrained, LLAMA, cancel=requested)
    expect_cancelled(qeff.AutoModel.from_pretrained, BERT, pooling="cls", cancel=requested)
    expect_cancelled(qeff.Tokenizer.from_pretrained, LLAMA, cancel=requested)
    requested.reset()  # the same token serves the next calls
    with qeff.Model.load(LLAMA, cancel=requested) as m, qeff.Tokenizer.from_pretrained(LLAMA, cancel=requested) as t:
        assert m.architecture == "LlamaForCausalLM" and t.vocab_size > 0


def test_requested_token_writes_nothing(tmp_path, requested, model, program):
    expect_cancelled(model.compile, prefill_seq_len=8, ctx_len=64, cache=False, cancel=requested)
    expect_cancelled(model.export, tmp_path / "onnx", cancel=requested)
    expect_cancelled(program.save, tmp_path / "package", cancel=requested)
    assert snapshot(tmp_path) == {}

    # Over earlier outputs: they are kept byte for byte.
    onnx = model.export(tmp_path / "onnx")
    program.save(tmp_path / "package")
    before = snapshot(tmp_path)
    assert "onnx/model.onnx" in before and len(before) > 3
    expect_cancelled(model.export, tmp_path / "onnx", overwrite=True, cancel=requested)
    expect_cancelled(program.save, tmp_path / "package", overwrite=True, cancel=requested)
    expect_cancelled(qeff.Program.compile_onnx, onnx, prefill_seq_len=8, ctx_len=64, cancel=requested)
    expect_cancelled(qeff.Program.load, tmp_path / "package", cancel=requested)
    expect_cancelled(qeff.AutoModelForCausalLM.load, tmp_path / "package", cancel=requested)
    assert snapshot(tmp_path) == before

    # Everything stays usable, with the same token once reset.
    requested.reset()
    with qeff.Program.load(tmp_path / "package", cancel=requested) as loaded:
        assert loaded.generate(SINGLE["prompt"], max_new_tokens=4, cancel=requested).generated_ids == \
            [SINGLE["new_token_ids"][:4]]
    program.save(tmp_path / "package", overwrite=True, cancel=requested)
    with model.compile(prefill_seq_len=8, ctx_len=64, cancel=requested) as p:
        assert p.info["specializations"]


def test_requested_token_cancels_generation(requested, program, encoder):
    expect_cancelled(program.generate, SINGLE["prompt"], max_new_tokens=4, cancel=requested)
    expect_cancelled(program.stream, SINGLE["prompt"], max_new_tokens=4, cancel=requested)
    expect_cancelled(encoder.generate, ["Hello world!"], cancel=requested)
    expect_cancelled(encoder.embed, ["Hello world!"], cancel=requested)
    # The program and the encoder are unchanged.
    assert program.generate(SINGLE["prompt"], max_new_tokens=SINGLE["max_new_tokens"]).generated_ids == \
        [SINGLE["new_token_ids"]]
    assert encoder.generate(["Hello world!"]).shape[0] == 1


def test_auto_model_compile_cancel_keeps_the_program(requested):
    with qeff.AutoModelForCausalLM.from_pretrained(LLAMA) as lm:
        expect_cancelled(lm.generate, SINGLE["prompt"], max_new_tokens=4, cancel=requested)  # implicit compile
        assert lm.program is None
        lm.compile(prefill_seq_len=8, ctx_len=64)
        before = lm.program
        expect_cancelled(lm.compile, prefill_seq_len=16, ctx_len=128, cache=False, cancel=requested)
        assert lm.program is before and not before.closed
        expect_cancelled(lm.stream, SINGLE["prompt"], cancel=requested)
        requested.reset()
        assert lm.generate(SINGLE["prompt"], max_new_tokens=4, cancel=requested).generated_ids == \
            [SINGLE["new_token_ids"][:4]]


def test_cancel_from_another_thread_during_generation(program):
    """A 200-token generation cancelled by a timer: it either completes or
    raises CancelledError; the program gives the same output afterwards."""
    expected = program.generate(SINGLE["prompt"], max_new_tokens=8).generated_ids
    with qeff.CancelToken() as token:
        for delay in (0.0, 0.002, 0.02):
            token.reset()
            timer = threading.Timer(delay, token.cancel)
            timer.start()
            try:
                result = program.generate(SINGLE["prompt"], cancel=token, **LONG)
            except qeff.CancelledError as err:
                assert "cancel" in err.message
            else:
                assert len(result.generated_ids[0]) == 200
            finally:
                timer.join()
            assert token.requested
        token.reset()
        assert program.generate(SINGLE["prompt"], max_new_tokens=8, cancel=token).generated_ids == expected


def test_cancel_a_compile_loop_from_another_thread(model):
    """Compiles run back to back until another thread requests the token:
    the compile running then (or the next one, at once) raises."""
    started = threading.Event()
    with qeff.CancelToken() as token:
        canceller = threading.Thread(target=lambda: (started.wait(), token.cancel()))
        canceller.start()
        compiled = 0
        try:
            with pytest.raises(qeff.CancelledError):
                while True:
                    started.set()
                    with model.compile(prefill_seq_len=8, ctx_len=64, cache=False, cancel=token):
                        compiled += 1
        finally:
            canceller.join()
        token.reset()
        with model.compile(prefill_seq_len=8, ctx_len=64, cache=False, cancel=token) as p:
            assert p.generate(SINGLE["prompt"], max_new_tokens=4).generated_ids == [SINGLE["new_token_ids"][:4]]


def test_one_token_cancels_concurrent_calls(program):
    outcomes = []
    with qeff.CancelToken() as token:
        def work():
            try:
                outcomes.append(len(program.generate(SINGLE["prompt"], cancel=token, **LONG).generated_ids[0]))
            except qeff.CancelledError:
                outcomes.append("cancelled")
        workers = [threading.Thread(target=work) for _ in range(3)]
        for w in workers:
            w.start()
        token.cancel()
        for w in workers:
            w.join()
    assert len(outcomes) == 3 and all(o in ("cancelled", 200) for o in outcomes)


def test_token_ends_a_stream(program):
    with qeff.CancelToken() as token, program.stream(SINGLE["prompt"], cancel=token, **LONG) as stream:
        tokens = 0
        with pytest.raises(qeff.CancelledError):
            for event in stream:
                tokens += event.token >= 0
                if tokens == 3:
                    token.cancel()  # from the iterating thread: the next step stops
        assert stream.ended and not stream.cancelled
        assert list(stream) == []
        result = stream.result
        assert result.finish_reasons == [qeff.FinishReason.CANCELLED]
        assert 3 <= len(result.generated_ids[0]) < 200


def test_token_ends_a_stream_from_another_thread(program):
    with qeff.CancelToken() as token, program.stream(SINGLE["prompt"], cancel=token, **LONG) as stream:
        events = []
        timer = threading.Timer(0.005, token.cancel)
        timer.start()
        try:
            for event in stream:
                events.append(event)
        except qeff.CancelledError:
            assert stream.result.finish_reasons == [qeff.FinishReason.CANCELLED]
        else:
            assert stream.result.finish_reasons == [qeff.FinishReason.LENGTH]
            assert "".join(e.text for e in events) == stream.result.generated_texts[0]
        finally:
            timer.join()
        assert stream.ended and len(stream.result.generated_ids[0]) <= 200
