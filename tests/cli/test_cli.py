#!/usr/bin/env python3
"""Tests of the qeff command line (docs/cli.md): every subcommand on the
fixtures, the scripting contract (--json documents, .npy output, exit codes,
one-line errors, quiet pipes).

    test_cli.py QEFF_EXE WORK_DIR [unittest arguments, e.g. a TestCase name]

Stdlib only; numpy is used to read the .npy back when the interpreter has it.
QEFF_FIXTURES names tests/fixtures. Every qeff run uses a compile cache under
WORK_DIR (QEFF_HOME), so `qeff cache clear` never touches another test's.
"""
import json
import math
import os
import pty
import shutil
import struct
import subprocess
import sys
import unittest

QEFF = None
WORK = None
FIXTURES = os.environ.get("QEFF_FIXTURES", os.path.join(os.path.dirname(__file__), "..", "fixtures"))
MODELS = os.path.join(FIXTURES, "models")
LLAMA = os.path.join(MODELS, "llama-tiny")
BERT = os.path.join(MODELS, "bert-tiny")
RERANKER = os.path.join(MODELS, "bert-reranker-tiny")
COMMANDS = ["infer", "embed", "export", "compile", "execute", "inspect", "bench", "cache"]


def reference(name):
    with open(os.path.join(FIXTURES, "reference", name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def run(*args, input=None, env=None):
    """Run qeff; returns (returncode, stdout text, stderr text)."""
    p = subprocess.run([QEFF, *[str(a) for a in args]], input=input, capture_output=True, timeout=300,
                       env=env or os.environ)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def scratch(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def matrix(ref):
    rows, cols = ref["shape"]
    return [ref["data"][r * cols:(r + 1) * cols] for r in range(rows)]


def unpadded(ids, mask):
    return [[i for i, m in zip(row, mrow) if m] for row, mrow in zip(ids, mask)]


class CliTest(unittest.TestCase):
    def ok(self, *args, **kw):
        """Run qeff expecting success and a quiet stderr (pipes get no progress)."""
        rc, out, err = run(*args, **kw)
        self.assertEqual(rc, 0, f"qeff {' '.join(map(str, args))} failed ({rc}): {err}")
        self.assertEqual(err, "", "stderr must be empty in a pipe")
        return out

    def json_ok(self, *args, **kw):
        out = self.ok(*args, "--json", **kw)
        self.assertEqual(len(out.splitlines()), 1, "--json prints one line")
        return json.loads(out)

    def usage_error(self, command, *args):
        rc, out, err = run(*args)
        self.assertEqual(rc, 2, f"{args}: expected exit 2, got {rc}: {err}")
        self.assertEqual(out, "")
        lines = err.splitlines()
        self.assertTrue(lines and lines[0].startswith(f"qeff {command}: error: "), err)
        self.assertTrue(len(lines) > 1 and lines[1].startswith(f"usage: qeff {command}"), err)
        return lines[0]

    def runtime_error(self, status, *args):
        rc, out, err = run(*args)
        self.assertEqual(rc, 1, f"{args}: expected exit 1, got {rc}: {err}")
        self.assertEqual(len(err.splitlines()), 1, f"one line on stderr: {err!r}")
        self.assertTrue(err.startswith(f"qeff: error: {status}: "), err)
        return err.strip()

    def assertClose(self, got, want, atol=1e-4):
        self.assertEqual(len(got), len(want))
        for r, (g, w) in enumerate(zip(got, want)):
            self.assertEqual(len(g), len(w), f"row {r}")
            worst = max(abs(a - b) for a, b in zip(g, w))
            self.assertLessEqual(worst, atol, f"row {r}: max abs diff {worst}")


class UsageTest(CliTest):
    def test_version_and_help(self):
        self.assertTrue(self.ok("--version").startswith("qeff 0."))
        out = self.ok("--help")
        for c in COMMANDS:
            self.assertIn(f"  {c} ", out)
        for c in COMMANDS:
            self.assertTrue(self.ok(c, "--help").startswith(f"usage: qeff {c}"), c)
            self.assertTrue(self.ok("help", c).startswith(f"usage: qeff {c}"), c)

    def test_no_or_unknown_command(self):
        rc, out, err = run()
        self.assertEqual((rc, out), (2, ""))
        self.assertIn("usage: qeff", err)
        rc, out, err = run("frobnicate")
        self.assertEqual((rc, out), (2, ""))
        self.assertTrue(err.startswith("qeff: error: unknown command 'frobnicate'"), err)

    def test_bad_arguments_exit_2(self):
        self.assertIn("unknown option '--bogus'", self.usage_error("infer", "infer", "--model", LLAMA, "--bogus"))
        self.assertIn("did you mean --max-new-tokens",
                      self.usage_error("infer", "infer", "--model", LLAMA, "--prompt", "a", "--max-new-token", "3"))
        self.assertIn("needs a value", self.usage_error("infer", "infer", "--model"))
        self.assertIn("needs a value", self.usage_error("infer", "infer", "--model", "--prompt", "x"))
        self.assertIn("expects an integer, got 'abc'",
                      self.usage_error("infer", "infer", "--model", LLAMA, "--prompt", "a", "--max-new-tokens", "abc"))
        self.assertIn("--max-new-tokens", self.usage_error("infer", "infer", "--model", LLAMA, "--prompt", "a",
                                                           "--max-new-tokens", "-4"))
        self.assertIn("--input-ids", self.usage_error("infer", "infer", "--model", LLAMA, "--input-ids", "1,x,3"))
        self.assertIn("--top-p", self.usage_error("infer", "infer", "--model", LLAMA, "--prompt", "a", "--top-p", "2"))
        self.assertIn("cannot be combined",
                      self.usage_error("infer", "infer", "--model", LLAMA, "--prompt", "a", "--input-ids", "1,2"))
        self.assertIn("--model is required", self.usage_error("infer", "infer", "--prompt", "a"))
        self.assertIn("one of --prompt", self.usage_error("infer", "infer", "--model", LLAMA))
        self.assertIn("--seq-len", self.usage_error("embed", "embed", "--model", BERT, "--text", "a", "--seq-len", "32,,64"))
        self.assertIn("unexpected argument", self.usage_error("embed", "embed", "--model", BERT, "stray"))
        self.assertIn("--option", self.usage_error("embed", "embed", "--model", BERT, "--text", "a", "-o", "nokey"))
        self.assertIn("no.such.key", self.usage_error("embed", "embed", "--model", BERT, "--text", "a",
                                                      "-o", "no.such.key=1"))
        self.usage_error("export", "export", "--model", BERT)
        self.usage_error("compile", "compile", "--model", BERT, "--onnx", "x.onnx", "--output", "y")
        self.usage_error("execute", "execute", "--text", "a")
        self.usage_error("inspect", "inspect")
        self.usage_error("bench", "bench", "--model", BERT, "--runs", "0")
        self.usage_error("cache", "cache")
        self.usage_error("cache", "cache", "purge")

    def test_missing_model_dir_exits_1_with_one_line(self):
        missing = os.path.join(WORK, "no-such-model")
        for args in (["infer", "--model", missing, "--prompt", "hi", "--max-new-tokens", "2"],
                     ["embed", "--model", missing, "--text", "hi"],
                     ["export", "--model", missing, "--output", os.path.join(WORK, "x")],
                     ["compile", "--model", missing, "--output", os.path.join(WORK, "x")],
                     ["inspect", "--model", missing],
                     ["bench", "--model", missing],
                     ["execute", "--package", missing, "--text", "hi"],
                     ["inspect", "--package", missing]):
            line = self.runtime_error("QEFF_E_NOT_FOUND", *args)
            self.assertIn(missing, line, args)

    def test_wrong_task_and_missing_file(self):
        self.assertIn("causal-lm", self.runtime_error("QEFF_E_UNSUPPORTED", "embed", "--model", LLAMA, "--text", "a"))
        self.assertIn("embedding", self.runtime_error("QEFF_E_UNSUPPORTED", "infer", "--model", BERT, "--prompt", "a"))
        missing = os.path.join(WORK, "no-such-prompts.txt")
        self.assertIn(missing, self.runtime_error("QEFF_E_NOT_FOUND", "infer", "--model", LLAMA,
                                                  "--prompts-file", missing))

    def test_progress_only_on_a_tty(self):
        # A pipe: nothing on stderr (checked by every ok()); a terminal: the spinner.
        master, slave = pty.openpty()
        try:
            p = subprocess.run([QEFF, "inspect", "--model", BERT], stdout=subprocess.PIPE, stderr=slave, timeout=120)
            os.close(slave)
            slave = None
            seen = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"loading", seen)
        self.assertIn(b"done in", seen)
        self.assertIn(b"BertModel", p.stdout)


class InferTest(CliTest):
    @classmethod
    def setUpClass(cls):
        cls.ref = reference("llama-tiny")["generate_single"]

    def greedy(self, *extra, **kw):
        return self.json_ok("infer", "--model", LLAMA, "--max-new-tokens", self.ref["max_new_tokens"], *extra, **kw)

    def test_json_greedy_equals_reference(self):
        d = self.greedy("--prompt", self.ref["prompt"])
        self.assertEqual(d["generated_ids"], [self.ref["new_token_ids"]])
        self.assertEqual(d["generated_texts"], [self.ref["new_text"]])
        self.assertEqual(d["finish_reasons"], ["length"])
        self.assertEqual(d["prompt_tokens"], [len(self.ref["input_ids"])])
        for key in ("ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "total_ms"):
            self.assertIsInstance(d["stats"][key], (int, float), key)
            self.assertGreater(d["stats"][key], 0, key)
        self.assertEqual(d["stats"]["generated_tokens"], self.ref["max_new_tokens"])

    def test_input_ids_and_prompts_file(self):
        ids = ",".join(map(str, self.ref["input_ids"]))
        self.assertEqual(self.greedy("--input-ids", ids)["generated_ids"], [self.ref["new_token_ids"]])
        path = scratch("prompts.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.ref["prompt"] + "\n\nOnce upon a time\n")
        d = self.greedy("--prompts-file", path)
        self.assertEqual(len(d["generated_ids"]), 2)
        self.assertEqual(d["generated_ids"][0], self.ref["new_token_ids"])
        d2 = self.greedy("--prompts-file", "-", input=(self.ref["prompt"] + "\n").encode())
        self.assertEqual(d2["generated_ids"], [self.ref["new_token_ids"]])
        # Batched: two rows compiled together give the rows' own greedy tokens.
        d3 = self.greedy("--prompt", self.ref["prompt"], "--prompt", "Once upon a time", "--batch-size", "2")
        self.assertEqual(d3["generated_ids"][0], self.ref["new_token_ids"])

    def test_text_output_has_perf_lines(self):
        out = self.ok("infer", "--model", LLAMA, "--prompt", self.ref["prompt"], "--max-new-tokens", "8")
        self.assertIn("Completion: ", out)
        for label in ("TTFT:", "Prefill:", "Decode:", "tokens/s"):
            self.assertIn(label, out)
        quiet = self.ok("infer", "--model", LLAMA, "--prompt", self.ref["prompt"], "--max-new-tokens", "8", "--no-stats")
        self.assertNotIn("TTFT", quiet)

    def test_stream(self):
        n = self.ref["max_new_tokens"]
        out = self.ok("infer", "--model", LLAMA, "--prompt", self.ref["prompt"], "--max-new-tokens", n, "--stream",
                      "--no-stats")
        self.assertEqual(out, self.ref["new_text"] + "\n")
        lines = self.ok("infer", "--model", LLAMA, "--prompt", self.ref["prompt"], "--max-new-tokens", n, "--stream",
                        "--json").splitlines()
        events = [json.loads(l) for l in lines[:-1]]
        final = json.loads(lines[-1])
        self.assertEqual(final["generated_ids"], [self.ref["new_token_ids"]])
        self.assertEqual("".join(e["text"] for e in events), final["generated_texts"][0])
        self.assertEqual([e["token"] for e in events if e["token"] >= 0], self.ref["new_token_ids"])
        self.assertTrue(events[-1]["finished"])

    def test_stop_string_and_sampling(self):
        text = self.ref["new_text"]
        stop = "shell"
        self.assertIn(stop, text)
        d = self.greedy("--prompt", self.ref["prompt"], "--stop", stop)
        self.assertEqual(d["finish_reasons"], ["stop"])
        self.assertEqual(d["generated_texts"], [text[:text.index(stop)]])
        a = self.greedy("--prompt", self.ref["prompt"], "--temperature", "1.5", "--seed", "7")
        b = self.greedy("--prompt", self.ref["prompt"], "--do-sample", "--temperature", "1.5", "--seed", "7")
        self.assertEqual(a["generated_ids"], b["generated_ids"], "the same seed gives the same tokens")
        self.assertNotEqual(a["generated_ids"], [self.ref["new_token_ids"]], "sampling at T=1.5 left greedy")


class EmbedTest(CliTest):
    @classmethod
    def setUpClass(cls):
        cls.batch = reference("bert-tiny")["batch"]
        cls.want = matrix(cls.batch["sentence_embedding"])

    def texts(self):
        return [a for t in self.batch["texts"] for a in ("--text", t)]

    def test_json_equals_reference(self):
        d = self.json_ok("embed", "--model", BERT, *self.texts())
        self.assertClose(d["embeddings"], self.want)
        self.assertEqual(d["dim"], len(self.want[0]))
        self.assertEqual(d["stats"]["rows"], 3)

    def test_json_lines_by_default_and_texts_file(self):
        out = self.ok("embed", "--model", BERT, *self.texts())
        rows = [json.loads(l) for l in out.splitlines()]
        self.assertEqual([r["index"] for r in rows], [0, 1, 2])
        self.assertEqual([r["text"] for r in rows], self.batch["texts"])
        self.assertClose([r["embedding"] for r in rows], self.want)
        path = scratch("texts.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\r\n".join(self.batch["texts"]) + "\r\n")
        d = self.json_ok("embed", "--model", BERT, "--texts-file", path, "--batch-size", "2", "--seq-len", "16,32")
        self.assertClose(d["embeddings"], self.want)

    def test_input_ids(self):
        ids = unpadded(self.batch["input_ids"], self.batch["attention_mask"])
        d = self.json_ok("embed", "--model", BERT, *[a for row in ids for a in ("--input-ids", ",".join(map(str, row)))])
        self.assertClose(d["embeddings"], self.want)
        self.assertEqual(d["num_tokens"], [len(r) for r in ids])

    def test_npy_output(self):
        path = scratch("emb.npy")
        out = self.ok("embed", "--model", BERT, *self.texts(), "--output", path)
        self.assertEqual(out, "")
        with open(path, "rb") as f:
            blob = f.read()
        self.assertEqual(blob[:8], b"\x93NUMPY\x01\x00")
        header_len = struct.unpack("<H", blob[8:10])[0]
        self.assertEqual((10 + header_len) % 64, 0)
        header = blob[10:10 + header_len].decode("latin1")
        self.assertIn("'descr': '<f4'", header)
        self.assertIn("'fortran_order': False", header)
        self.assertIn("'shape': (3, 32)", header)
        data = struct.unpack("<96f", blob[10 + header_len:])
        self.assertClose([list(data[r * 32:(r + 1) * 32]) for r in range(3)], self.want)
        try:
            import numpy
        except ImportError:
            return
        a = numpy.load(path)
        self.assertEqual((a.shape, str(a.dtype)), ((3, 32), "float32"))
        self.assertClose(a.tolist(), self.want)

    def test_pooling_flags_and_reranker(self):
        d = self.json_ok("embed", "--model", BERT, "--text", "Hello world!", "--pooling", "none")
        self.assertEqual(len(d["token_embeddings"][0]), d["num_tokens"][0])
        d = self.json_ok("embed", "--model", BERT, "--text", "Hello world!", "--pooling", "cls", "--no-normalize")
        norm = math.sqrt(sum(v * v for v in d["embeddings"][0]))
        self.assertGreater(abs(norm - 1.0), 1e-3, "--no-normalize leaves the vector unnormalized")
        enc = reference("bert-reranker-tiny")["encoder"]
        d = self.json_ok("embed", "--model", RERANKER, *[a for p in enc["pairs"] for a in ("--pair", *p)])
        self.assertClose(d["scores"], matrix(enc["logits"]))
        out = self.ok("embed", "--model", RERANKER, "--pair", *enc["pairs"][0])
        self.assertEqual(json.loads(out)["query"], enc["pairs"][0][0])


class PackageTest(CliTest):
    """export -> compile --onnx -> execute; compile --model -> inspect --package / execute."""

    def test_export_compile_onnx_execute_round_trip(self):
        onnx_dir, pkg = scratch("bert-onnx"), scratch("bert-pkg")
        out = self.ok("export", "--model", BERT, "--output", onnx_dir)
        self.assertEqual(out.strip(), os.path.join(onnx_dir, "model.onnx"))
        self.assertTrue(os.path.isfile(os.path.join(onnx_dir, "model.onnx.data")))
        self.runtime_error("QEFF_E_IO", "export", "--model", BERT, "--output", onnx_dir)
        d = self.json_ok("export", "--model", BERT, "--output", onnx_dir, "--overwrite")
        self.assertEqual(d["onnx"], os.path.join(onnx_dir, "model.onnx"))
        d = self.json_ok("compile", "--onnx", os.path.join(onnx_dir, "model.onnx"), "--output", pkg, "--seq-len", "32")
        self.assertEqual((d["package"], d["task"]), (pkg, "embedding"))
        self.assertEqual([s["symbols"]["seq_len"] for s in d["info"]["specializations"]], [32])
        batch = reference("bert-tiny")["batch"]
        ids = unpadded(batch["input_ids"], batch["attention_mask"])
        d = self.json_ok("execute", "--package", pkg, *[a for r in ids for a in ("--input-ids", ",".join(map(str, r)))])
        self.assertClose(d["embeddings"], matrix(batch["sentence_embedding"]))
        # From ONNX: no tokenizer, so texts are refused (a runtime error naming the way out).
        self.assertIn("token ids", self.runtime_error("QEFF_E_INVALID_ARGUMENT", "execute", "--package", pkg,
                                                      "--text", "hi"))
        self.usage_error("execute", "execute", "--package", pkg, "--input-ids", "2,3", "--max-new-tokens", "3")

    def test_compile_model_inspect_and_execute(self):
        ref = reference("llama-tiny")["generate_single"]
        pkg = scratch("llama-pkg")
        self.assertEqual(self.ok("compile", "--model", LLAMA, "--output", pkg, "--ctx-len", "64").strip(), pkg)
        self.runtime_error("QEFF_E_IO", "compile", "--model", LLAMA, "--output", pkg)
        d = self.json_ok("inspect", "--package", pkg)
        self.assertEqual((d["kind"], d["task"], d["architecture"]), ("package", "causal-lm", "LlamaForCausalLM"))
        self.assertEqual(sorted(s["name"] for s in d["specializations"]), ["Decode", "Prefill"])
        self.assertTrue(all(s["symbols"]["ctx_len"] == 64 for s in d["specializations"]))
        self.assertTrue(d["has_tokenizer"])
        self.assertGreater(d["package_bytes"], 0)
        text = self.ok("inspect", "--package", pkg, "--tensors")
        self.assertIn("Prefill", text)
        self.assertIn("input_ids", text)
        d = self.json_ok("execute", "--package", pkg, "--prompt", ref["prompt"], "--max-new-tokens", ref["max_new_tokens"])
        self.assertEqual(d["generated_ids"], [ref["new_token_ids"]])
        self.usage_error("execute", "execute", "--package", pkg, "--text", "hi")
        bpkg = scratch("bert-pkg-model")
        self.ok("compile", "--model", BERT, "--output", bpkg, "--seq-len", "16,32", "--batch-size", "2")
        d = self.json_ok("inspect", "--package", bpkg)
        self.assertEqual(sorted(s["symbols"]["seq_len"] for s in d["specializations"]), [16, 32])
        self.assertTrue(all(s["symbols"]["batch_size"] == 2 for s in d["specializations"]))
        batch = reference("bert-tiny")["batch"]
        d = self.json_ok("execute", "--package", bpkg, *[a for t in batch["texts"] for a in ("--text", t)])
        self.assertClose(d["embeddings"], matrix(batch["sentence_embedding"]))

    def test_inspect_model(self):
        ref = reference("llama-tiny")
        d = self.json_ok("inspect", "--model", LLAMA, "--tensors")
        self.assertEqual((d["kind"], d["architecture"], d["task"], d["model_type"]),
                         ("model", "LlamaForCausalLM", "causal-lm", "llama"))
        self.assertEqual(d["num_parameters"], ref["parameters"]["hf_num_parameters"])
        self.assertEqual(d["num_tensors"], ref["safetensors"]["num_tensors"])
        self.assertEqual(d["weight_bytes"], ref["safetensors"]["safetensors_data_bytes"])
        want = {t["name"]: (t["dtype"], t["shape"]) for t in ref["safetensors"]["tensors"]}
        self.assertEqual({t["name"]: (t["dtype"], t["shape"]) for t in d["tensors"]}, want)
        self.assertEqual(d["tokenizer"]["eos_token_id"], 2)
        out = self.ok("inspect", "--model", BERT)
        self.assertIn("BertModel", out)
        self.assertIn("embedding", out)


class BenchTest(CliTest):
    def check_metrics(self, d, names):
        for n in names:
            m = d["metrics"][n]
            self.assertLessEqual(m["min"], m["median"], n)
            self.assertLessEqual(m["median"], m["max"], n)
            self.assertGreater(m["min"], 0, n)

    def test_encoder(self):
        d = self.json_ok("bench", "--model", BERT, "--runs", "3", "--warmup", "1", "--seq-len", "16",
                         "--batch-size", "2", "--threads", "1")
        self.assertEqual((d["task"], d["config"]["runs"], d["config"]["seq_len"], d["config"]["batch_size"]),
                         ("embedding", 3, 16, 2))
        self.check_metrics(d, ["latency_ms", "rows_per_s", "tokens_per_s"])
        out = self.ok("bench", "--model", BERT, "--runs", "2", "--warmup", "0", "--seq-len", "16")
        self.assertIn("median", out)
        self.assertIn("rows_per_s", out)

    def test_causal_lm(self):
        d = self.json_ok("bench", "--model", LLAMA, "--runs", "2", "--warmup", "1", "--prompt-len", "8",
                         "--max-new-tokens", "4", "--threads", "1")
        self.assertEqual((d["task"], d["config"]["prompt_len"], d["config"]["max_new_tokens"]), ("causal-lm", 8, 4))
        self.check_metrics(d, ["ttft_ms", "prefill_tokens_per_s", "decode_tokens_per_s", "total_ms"])
        self.usage_error("bench", "bench", "--model", LLAMA, "--seq-len", "16")


class CacheTest(CliTest):
    def test_list_and_clear(self):
        root = scratch("cache-root")
        empty = self.json_ok("cache", "list", "--cache-dir", root)
        self.assertEqual((empty["root"], empty["entries"], empty["total_bytes"]), (root, [], 0))
        self.ok("embed", "--model", BERT, "--text", "hi", "--cache-dir", root, "--seq-len", "16")
        self.ok("infer", "--model", LLAMA, "--prompt", "hi", "--max-new-tokens", "2", "--cache-dir", root)
        d = self.json_ok("cache", "list", "--cache-dir", root)
        self.assertEqual(len(d["entries"]), 2)
        for e in d["entries"]:
            self.assertEqual(e["kind"], "program")
            self.assertTrue(e["key"].startswith("program-"))
            self.assertTrue(os.path.isdir(e["path"]))
            self.assertGreater(e["bytes"], 0)
        self.assertEqual(d["total_bytes"], sum(e["bytes"] for e in d["entries"]))
        text = self.ok("cache", "list", "--cache-dir", root)
        self.assertIn(d["entries"][0]["key"], text)
        self.assertIn("2 entries", text)
        absent = "program-" + "0" * 32
        r = self.json_ok("cache", "remove", d["entries"][0]["key"], absent, "--cache-dir", root)
        self.assertEqual((r["removed"], r["missing"]), ([d["entries"][0]["key"]], [absent]))
        self.assertIn("program-0000", self.runtime_error("QEFF_E_INVALID_ARGUMENT", "cache", "remove", "program-0000",
                                                         "--cache-dir", root))
        self.assertEqual(self.json_ok("cache", "clear", "--cache-dir", root)["removed"], 1)
        self.assertEqual(self.json_ok("cache", "list", "--cache-dir", root)["entries"], [])
        # Without --cache-dir: QEFF_HOME.
        self.assertEqual(self.json_ok("cache", "list")["root"], os.environ["QEFF_HOME"])
        self.assertIn("removed 0 entries", self.ok("cache", "clear", "--cache-dir", root))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: test_cli.py QEFF_EXE WORK_DIR [unittest arguments]")
    QEFF = os.path.abspath(sys.argv[1])
    WORK = os.path.abspath(sys.argv[2])
    os.makedirs(WORK, exist_ok=True)
    os.environ["QEFF_HOME"] = os.path.join(WORK, "qeff-home")
    os.environ.pop("QEFF_NO_PROGRESS", None)
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:]])
