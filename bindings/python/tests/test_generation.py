"""Text generation from Python: batches, sampling, stop strings, streams,
cancellation from another thread, the GIL released during long calls, and
concurrent use of one program."""

import threading
import time

import pytest

import qeff
from conftest import model_dir, reference

LLAMA = reference("llama-tiny")
SINGLE = LLAMA["generate_single"]
BATCH = LLAMA["generate_batch"]


@pytest.fixture(scope="module")
def lm2():
    """llama-tiny with two batch slots and room for long generations."""
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir("llama-tiny")) as model:
        model.compile(prefill_seq_len=8, ctx_len=128, batch_size=2, num_cores=1)
        yield model


def test_batch_matches_transformers(lm2):
    result = lm2.generate(BATCH["prompts"], max_new_tokens=BATCH["max_new_tokens"])
    assert len(result) == 2
    assert result.generated_ids == BATCH["new_token_ids"]
    assert result.finish_reasons == [qeff.FinishReason.LENGTH] * 2
    assert str(result.finish_reasons[0]) == "length"
    with lm2.tokenizer as tok:
        assert result.prompt_lengths == [len(tok.encode(p).ids) for p in BATCH["prompts"]]
        for text, ids in zip(result.generated_texts, result.generated_ids):
            assert text == tok.decode(ids, skip_special_tokens=True)
    m = result.perf_metrics
    assert m.ttft_ms > 0 and m.decode_tokens_per_s > 0 and m.prefill_tokens_per_s > 0
    assert m.generated_tokens == 2 * BATCH["max_new_tokens"] and m.total_ms >= m.ttft_ms
    assert result.stats["rows"] == 2


def test_token_prompts(lm2):
    result = lm2.generate([SINGLE["input_ids"]], max_new_tokens=SINGLE["max_new_tokens"])
    assert result.generated_ids == [SINGLE["new_token_ids"]]


def test_sampling_is_seeded(lm2):
    kw = dict(max_new_tokens=16, do_sample=True, temperature=0.9, top_k=40, top_p=0.95, min_p=0.0,
              repetition_penalty=1.1)
    a = lm2.generate(SINGLE["prompt"], seed=7, **kw)
    b = lm2.generate(SINGLE["prompt"], seed=7, **kw)
    c = lm2.generate(SINGLE["prompt"], seed=8, **kw)
    assert a.generated_ids == b.generated_ids
    assert a.generated_ids != c.generated_ids
    assert a.generated_ids != [SINGLE["new_token_ids"][:16]]


def test_stop_strings_and_raw_keys(lm2):
    full = lm2.generate(SINGLE["prompt"], max_new_tokens=32).generated_texts[0]
    stop = " W c"
    assert stop in full
    result = lm2.generate(SINGLE["prompt"], max_new_tokens=32, stop=[stop, "never-there"])
    assert result.finish_reasons == [qeff.FinishReason.STOP]
    assert result.generated_texts[0] == full[:full.index(stop)]
    single = lm2.generate(SINGLE["prompt"], max_new_tokens=32, stop=stop)  # one string
    assert single.generated_texts == result.generated_texts
    # eos ids as an HF-style keyword and a raw key.
    eos = lm2.generate(SINGLE["prompt"], max_new_tokens=32, eos_token_id=SINGLE["new_token_ids"][3])
    assert eos.finish_reasons == [qeff.FinishReason.EOS] and eos.generated_ids[0] == SINGLE["new_token_ids"][:4]
    raw = lm2.generate(SINGLE["prompt"], **{"generate.max_new_tokens": 3})
    assert raw.generated_ids == [SINGLE["new_token_ids"][:3]]


def test_truncate_and_context(lm2):
    long = "the river was cold " * 60
    with pytest.raises(qeff.ContextOverflowError):
        lm2.generate(long, max_new_tokens=4)
    result = lm2.generate(long, max_new_tokens=4, truncate=True)
    assert result.finish_reasons == [qeff.FinishReason.LENGTH] and result.stats["truncated_rows"] == 1
    full = lm2.generate(SINGLE["prompt"], max_new_tokens=1000, ignore_eos=True)
    assert full.finish_reasons == [qeff.FinishReason.CONTEXT]
    assert full.prompt_lengths[0] + len(full.generated_ids[0]) == 128


def test_stream_rows_and_texts(lm2):
    with lm2.stream(BATCH["prompts"], max_new_tokens=BATCH["max_new_tokens"]) as stream:
        with pytest.raises(qeff.StateError):
            stream.result  # not ended yet
        texts = {0: [], 1: []}
        tokens = {0: [], 1: []}
        finished = set()
        for event in stream:
            assert event.row not in finished
            texts[event.row].append(event.text)
            if event.token >= 0:
                tokens[event.row].append(event.token)
            if event.finished:
                finished.add(event.row)
        assert stream.ended and not stream.cancelled
        result = stream.result
    assert finished == {0, 1}
    assert [tokens[0], tokens[1]] == BATCH["new_token_ids"]
    assert ["".join(texts[0]), "".join(texts[1])] == result.generated_texts
    with lm2.stream(SINGLE["prompt"], max_new_tokens=8) as stream:
        assert "".join(stream.texts()) == stream.result.generated_texts[0]
    assert lm2.stream(SINGLE["prompt"], max_new_tokens=8).run().generated_ids == [SINGLE["new_token_ids"][:8]]


def test_stream_cancel_from_another_thread(lm2):
    with lm2.stream(SINGLE["prompt"], max_new_tokens=1000, ignore_eos=True) as stream:
        first = next(stream)
        seen = [first]
        canceller = threading.Thread(target=stream.cancel)
        canceller.start()
        canceller.join()
        for event in stream:  # ends quietly: the cancel was asked for
            seen.append(event)
        assert stream.cancelled and stream.ended
        result = stream.result
    assert result.finish_reasons == [qeff.FinishReason.CANCELLED]
    assert len(result.generated_ids[0]) < 100
    assert result.generated_ids[0][0] == SINGLE["new_token_ids"][0]


def test_cancel_while_the_iterating_thread_runs(lm2):
    """A cancel issued while another thread is inside qeff_stream_next."""
    stream = lm2.stream([SINGLE["prompt"]] * 2, max_new_tokens=1000, ignore_eos=True)
    events = []
    consumer = threading.Thread(target=lambda: events.extend(stream))
    consumer.start()
    while not events:
        time.sleep(0.001)
    stream.cancel()
    consumer.join(timeout=60)
    assert not consumer.is_alive()
    assert stream.result.finish_reasons == [qeff.FinishReason.CANCELLED] * 2
    stream.close()
    stream.cancel()  # a no-op once closed


def test_an_unrequested_cancel_error_propagates(lm2):
    stream = lm2.stream(SINGLE["prompt"], max_new_tokens=100)
    next(stream)
    stream._call(qeff.capi.qeff_stream_cancel)  # the raw call: the wrapper did not ask
    with pytest.raises(qeff.CancelledError):
        list(stream)
    stream.close()


def test_gil_is_released_during_generate(lm2):
    """A second Python thread keeps running while generate is inside C.

    The main thread counts loop turns while the worker is inside generate.
    With the GIL held during qeff_generate it could only run when the worker
    executes Python code (switch interval 5 ms): a handful of turns. With the
    GIL released it runs during the whole call: thousands of turns (a turn
    takes microseconds), robust against preemption by other processes."""
    done = threading.Event()
    windows = []

    def work():
        for _ in range(3):  # one C call of 8 groups of 2 rows each time
            start = time.perf_counter()
            lm2.generate([SINGLE["prompt"]] * 16, max_new_tokens=1000, ignore_eos=True)
            windows.append((start, time.perf_counter()))
        done.set()

    ticks = []
    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0)
    worker.join()
    assert len(windows) == 3
    inside = [sum(1 for t in ticks if start <= t <= end) for start, end in windows]
    assert min(inside) > 100, (inside, windows)


def test_concurrent_generations_on_one_program(lm2):
    results = [None] * 4
    errors = []

    def work(i):
        try:
            results[i] = lm2.generate(SINGLE["prompt"], max_new_tokens=SINGLE["max_new_tokens"]).generated_ids
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [[SINGLE["new_token_ids"]]] * 4


def test_close_while_another_thread_generates(lm2):
    """close() from another thread waits for the running call; nothing crashes."""
    with qeff.AutoModelForCausalLM.from_pretrained(model_dir("llama-tiny")) as lm:
        lm.compile(prefill_seq_len=8, ctx_len=128)
        out = {}
        worker = threading.Thread(target=lambda: out.update(
            r=lm.generate(SINGLE["prompt"], max_new_tokens=1000, ignore_eos=True)))
        worker.start()
        time.sleep(0.01)
        lm.close()
        worker.join()
        assert out["r"].finish_reasons == [qeff.FinishReason.CONTEXT]
        with pytest.raises(qeff.InvalidHandleError):
            lm.generate("x")
