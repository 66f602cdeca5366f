#!/usr/bin/env node
// ONNX Runtime worker of the encoder benchmark (driven by run_encoders.py).
//
//   node ort_worker.js ONNX_PATH IDS_FILE BATCH SEQ THREADS EMB_OUT
//
// Runs the model.onnx qeff_export wrote with the onnxruntime-node package (CPU
// execution provider, intraOpNumThreads THREADS, interOpNumThreads 1,
// graphOptimizationLevel 'all', sequential execution). Inputs: input_ids from
// IDS_FILE (BATCH x SEQ int32, widened to int64) and an all-ones attention_mask.
// Warms up (2 runs), writes the first output (float32 [BATCH, dim]) to EMB_OUT,
// prints {"ort_version": ...} and "ready", then answers each stdin line "run K"
// with {"times_ms": [...]}: K timed session.run calls, until "quit".
// The package is found through NODE_PATH (run_encoders.py sets it).
'use strict';
const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

async function main() {
  const [onnxPath, idsFile, batchS, seqS, threadsS, embOut] = process.argv.slice(2);
  const batch = Number(batchS), seq = Number(seqS), threads = Number(threadsS);
  const session = await ort.InferenceSession.create(onnxPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const raw = fs.readFileSync(idsFile);
  const ids32 = new Int32Array(raw.buffer, raw.byteOffset, batch * seq);
  const ids = BigInt64Array.from(ids32, (v) => BigInt(v));
  const mask = new BigInt64Array(batch * seq).fill(1n);
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [batch, seq]),
    attention_mask: new ort.Tensor('int64', mask, [batch, seq]),
  };
  const outName = session.outputNames[0];
  for (let w = 0; w < 2; ++w) {
    const out = await session.run(feeds);
    if (w === 0) {
      const t = out[outName];
      fs.writeFileSync(embOut, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  }
  const version = require('onnxruntime-node/package.json').version;
  process.stdout.write(JSON.stringify({ort_version: version, output: outName}) + '\nready\n');

  const rl = readline.createInterface({input: process.stdin});
  for await (const line of rl) {
    const m = /^run (\d+)/.exec(line);
    if (!m) break;
    const times = [];
    for (let i = 0; i < Number(m[1]); ++i) {
      const a = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - a) / 1e6);
    }
    process.stdout.write(JSON.stringify({times_ms: times}) + '\n');
  }
  rl.close();
  await session.release();
}

main().catch((e) => {
  console.error('ort_worker:', e);
  process.exit(1);
});
