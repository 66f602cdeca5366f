#!/usr/bin/env node
// llama.cpp worker of the causal-LM benchmark (driven by run_lm.py and make_gguf.py --check).
//
//   node llama_cpp_worker.mjs NODE_LLAMA_DIR GGUF THREADS PROMPT_LEN CTX_LEN NEW_TOKENS REPS IDS_FILE [LOGITS_OUT]
//
// Runs llama.cpp through the node-llama-cpp npm package installed under
// NODE_LLAMA_DIR (npm install --prefix NODE_LLAMA_DIR; its prebuilt CPU
// binaries): getLlama (gpu false, never builds), loadModel(GGUF), one context
// of CTX_LEN tokens with batchSize PROMPT_LEN (the prompt is one llama_decode),
// one sequence, THREADS threads (threads {ideal, min} and maxThreads: the
// count is fixed, not a hint), performanceTracking on. Reads PROMPT_LEN int32
// token ids (batch 1). One warm-up and REPS measured greedy generations, each:
// clear the sequence, then sequence.evaluate(prompt, {temperature: 0,
// yieldEogToken: true}): the first step evaluates the prompt and samples the
// first token (prefill), each of the NEW_TOKENS next steps evaluates one token
// and samples the next (decode), EOS ignored.
// Figures: llama.cpp's own (llama_perf_context, printed by printTimings after
// each generation): "prompt eval time" = the prompt's llama_decode, "eval time"
// = the one-token llama_decode calls; prefill tok/s = PROMPT_LEN / prompt eval
// time, decode tok/s = NEW_TOKENS / eval time. Also recorded: the wall times
// around the node-llama-cpp calls (sampling and node overhead included).
// With LOGITS_OUT, first writes the logits of the last prompt position (float32
// x vocab) to it (make_gguf.py --check).
// Prints one JSON line {"load_s", "context_s", "prefill_ms": [...],
// "prefill_tok_s": [...], "decode_ms": [...], "decode_tok_s": [...],
// "wall_prefill_ms": [...], "wall_decode_ms": [...], "tokens": [...],
// "threads", "flash_attention", "batch_size", "context_size", "versions"};
// llama.cpp's log on stderr.
// With LM_BANDWIDTH_PROBE set in the environment (a command line, run_lm.py
// --bandwidth-per-call), runs it (through the shell) before each measured
// generation and after the last and adds "bandwidth_gbs": [the "median" of
// each one's JSON line], REPS + 1 of them, as lm_qeff_worker.c does.
import {execSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';

const [dir, gguf, threadsS, promptS, ctxS, newS, repsS, idsFile, logitsOut] = process.argv.slice(2);
if (!idsFile) {
  console.error('usage: llama_cpp_worker.mjs NODE_LLAMA_DIR GGUF THREADS PROMPT_LEN CTX_LEN NEW_TOKENS REPS IDS_FILE ' +
                '[LOGITS_OUT]');
  process.exit(2);
}
const [threads, promptLen, ctxLen, newTokens, reps] = [threadsS, promptS, ctxS, newS, repsS].map(Number);
const pkg = path.join(path.resolve(dir), 'node_modules', 'node-llama-cpp');
const {getLlama, LlamaLogLevel} = await import(pathToFileURL(path.join(pkg, 'dist', 'index.js')).href);

const perfLines = [];
const llama = await getLlama({
  gpu: false, build: 'never', maxThreads: threads, logLevel: LlamaLogLevel.info,
  logger(level, message) {
    if (message.includes('llama_perf_context_print')) perfLines.push(message);
    else process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  },
});
const raw = fs.readFileSync(idsFile);
const prompt = Array.from(new Int32Array(raw.buffer, raw.byteOffset, promptLen));
const now = () => Number(process.hrtime.bigint()) / 1e6;

let t0 = now();
const model = await llama.loadModel({modelPath: gguf, gpuLayers: 0});
const loadS = (now() - t0) / 1e3;
t0 = now();
const context = await model.createContext({
  contextSize: ctxLen, batchSize: promptLen, sequences: 1, threads: {ideal: threads, min: threads},
  performanceTracking: true,
});
const contextS = (now() - t0) / 1e3;
const sequence = context.getSequence();

// llama.cpp's perf counters since the last call (printTimings prints and resets them).
async function perf() {
  perfLines.length = 0;
  await context.printTimings();
  for (let i = 0; i < 100 && !perfLines.some((l) => l.includes('total time')); ++i)
    await new Promise((r) => setTimeout(r, 10));
  const get = (what) => {
    const m = perfLines.map((l) => new RegExp(`:\\s+${what} time =\\s*([\\d.]+) ms /\\s*(\\d+)`).exec(l)).find(Boolean);
    return m ? {ms: Number(m[1]), n: Number(m[2])} : {ms: NaN, n: 0};
  };
  return {prompt: get('prompt eval'), decode: get('eval')};
}

async function generate(n) {
  await sequence.clearHistory();
  await perf();
  const it = sequence.evaluate(prompt, {temperature: 0, yieldEogToken: true});
  const a = now();
  const tokens = [(await it.next()).value];
  const b = now();
  for (let i = 0; i < n; ++i) tokens.push((await it.next()).value);
  const c = now();
  await it.return();
  const p = await perf();
  if (p.prompt.n !== promptLen || p.decode.n !== n)
    throw new Error(`llama_perf_context: ${p.prompt.n} prompt tokens, ${p.decode.n} eval runs; expected ` +
                    `${promptLen} and ${n}:\n${perfLines.join('')}`);
  return {prefill: p.prompt.ms, decode: p.decode.ms, wallPrefill: b - a, wallDecode: c - b, tokens};
}

if (logitsOut) {
  await sequence.clearHistory();
  const input = prompt.map((t, i) => (i < promptLen - 1 ? t : [t, {generateNext: {logits: true}}]));
  const map = (await sequence.controlledEvaluate(input))[promptLen - 1].next.logits;
  const logits = new Float32Array(Math.max(...map.keys()) + 1);
  for (const [tok, v] of map) logits[tok] = v;
  fs.writeFileSync(logitsOut, Buffer.from(logits.buffer));
}

// The LM_BANDWIDTH_PROBE command's median GB/s.
function probeBandwidth(cmd) {
  const out = execSync(cmd, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim().split('\n');
  const gbs = JSON.parse(out[out.length - 1]).median;
  if (!(gbs > 0)) throw new Error(`LM_BANDWIDTH_PROBE (${cmd}) printed no median: ${out[out.length - 1]}`);
  return gbs;
}
const probe = process.env.LM_BANDWIDTH_PROBE || '';

t0 = now();
await generate(1);
console.error(`llama_cpp_worker: warm-up ${((now() - t0) / 1e3).toFixed(2)} s`);
const res = {load_s: loadS, context_s: contextS, prefill_ms: [], prefill_tok_s: [], decode_ms: [], decode_tok_s: [],
             wall_prefill_ms: [], wall_decode_ms: []};
if (probe) res.bandwidth_gbs = [];
for (let r = 0; r < reps; ++r) {
  if (probe) res.bandwidth_gbs.push(probeBandwidth(probe));
  const g = await generate(newTokens);
  res.prefill_ms.push(g.prefill);
  res.prefill_tok_s.push(promptLen * 1e3 / g.prefill);
  res.decode_ms.push(g.decode);
  res.decode_tok_s.push(newTokens * 1e3 / g.decode);
  res.wall_prefill_ms.push(g.wallPrefill);
  res.wall_decode_ms.push(g.wallDecode);
  res.tokens = g.tokens;
  console.error(`llama_cpp_worker: call ${r + 1}: prefill ${g.prefill.toFixed(1)} ms (wall ${g.wallPrefill.toFixed(1)}), ` +
                `decode ${g.decode.toFixed(1)} ms (wall ${g.wallDecode.toFixed(1)}), ` +
                `${(newTokens * 1e3 / g.decode).toFixed(2)} tok/s`);
}
if (probe) res.bandwidth_gbs.push(probeBandwidth(probe));
const version = (p) => JSON.parse(fs.readFileSync(path.join(p, 'package.json'))).version;
Object.assign(res, {
  threads: context.currentThreads, flash_attention: context.flashAttention, batch_size: context.batchSize,
  context_size: context.contextSize,
  versions: {'node-llama-cpp': version(pkg), 'llama.cpp': llama.llamaCppRelease.release, node: process.version},
});
process.stdout.write(JSON.stringify(res) + '\n');
await context.dispose();
await model.dispose();
await llama.dispose();
