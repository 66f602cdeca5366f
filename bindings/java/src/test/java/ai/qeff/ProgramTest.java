package ai.qeff;

import static ai.qeff.Fixtures.at;
import static ai.qeff.Fixtures.floats;
import static ai.qeff.Fixtures.ints;
import static ai.qeff.Fixtures.model;
import static ai.qeff.Fixtures.str;
import static ai.qeff.Fixtures.strings;
import static ai.qeff.ModelTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.qeff.internal.QeffNative;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Running programs: embeddings, scores, generation, streams, threads. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgramTest {
  private Map<String, Object> bert;
  private Map<String, Object> llama;
  private Program encoder;
  private Program lm;

  @BeforeAll
  void compile() {
    bert = Fixtures.reference("bert-tiny");
    llama = Fixtures.reference("llama-tiny");
    try (Model e = Model.load(model("bert-tiny"));
        Model l = Model.load(model("llama-tiny"));
        Options eo = new Options().batchSize(2).seqLen(16, 32);
        Options lo = new Options().batchSize(2).prefillSeqLen(8).ctxLen(64)) {
      encoder = e.compile(eo);
      lm = l.compile(lo);
    }
  }

  @AfterAll
  void close() {
    encoder.close();
    lm.close();
  }

  private static float[][] matrix(Object tensor, int rows, int cols, int stride, int offset) {
    float[] data = floats(at(tensor, "data"));
    float[][] out = new float[rows][cols];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(data, offset + r * stride, out[r], 0, cols);
    }
    return out;
  }

  @Test
  void embeddingsFromTextsAndTokensWithStats() {
    List<String> texts = strings(at(bert, "batch", "texts"));
    float[][] expected = matrix(at(bert, "batch", "sentence_embedding"), 3, 32, 32, 0);
    assertClose(expected, encoder.embed(texts), 1e-4);
    int[] hello = ints(((List<?>) at(bert, "prompts")).get(0) instanceof Map<?, ?> p ? p.get("ids") : null);
    try (Request r = new Request().addTokens(hello).addTokens(hello)) {
      assertEquals(2, r.numRows());
      try (Result res = encoder.run(r, null)) {
        assertEquals(2, res.numRows());
        assertEquals(hello.length, res.numTokens(0));
        assertClose(new float[][] {expected[0], expected[0]}, res.embeddings(), 1e-4);
        assertEquals(2.0, res.stat("rows"));
        assertEquals(1.0, res.stat("batches"));
        assertTrue(res.stats().containsKey("total_ms"));
        assertTrue(res.statsJson().contains("padded_tokens"));
        assertEquals(Status.NOT_FOUND, assertThrows(QeffException.class, () -> res.stat("nope")).status());
        assertEquals(Status.NOT_FOUND, assertThrows(QeffException.class, res::scores).status());
        assertEquals(Status.NOT_FOUND, assertThrows(QeffException.class, () -> res.text(0)).status());
      }
    }
    try (Request r = new Request()) {
      r.addText("text");
      assertEquals(Status.INVALID_ARGUMENT, assertThrows(QeffException.class, () -> r.addTokens(1, 2)).status());
    }
  }

  @Test
  void compressedKvCachesReportTheirStorage() {
    try (Model m = Model.load(model("llama-tiny"))) {
      for (String[] kv : new String[][] {{"f16", "F16", "F16"}, {"mxint8", "U8", "MXINT8"}}) {
        try (Options o = new Options().prefillSeqLen(4).ctxLen(16).kvCacheDtype(kv[0]).cache(false);
            Program p = m.compile(o);
            Options g = new Options().maxNewTokens(3).set("generate.ignore_eos", true)) {
          String info = p.info();
          assertTrue(info.contains("\"output\": \"past_key.0_RetainedState\", \"dtype\": \"" + kv[1] + "\""), info);
          assertTrue(info.contains("\"qeff.kv_cache_dtype\": \"" + kv[2] + "\""), info);
          assertEquals(3, p.generate("Hello", g).tokens().get(0).length);
        }
      }
    }
  }

  @Test
  void int4CheckpointsRunAsInt4OrDequantized() {
    for (String name : new String[] {"llama-tiny-awq", "llama-tiny-gptq", "qwen2-tiny-ct"}) {
      try (Model m = Model.load(model(name))) {
        assertEquals(DType.U4, m.weightDtype(), name);
        // GPTQ's groups of 64 span K = 64: those weights are stored in groups of 128.
        String kept = name.equals("llama-tiny-gptq")
            ? "\"weight_formats\": {\"f32.panel16\": 1, \"q4.strip128x128h\": 12, \"q4.strip128x32h\": 2}"
            : "\"weight_formats\": {\"f32.panel16\": 1, \"q4.strip128x32h\": 14}";
        for (String[] mode : new String[][] {
                {"keep", kept},
                {"dequantize", "\"weight_formats\": {\"f32.panel16\": 15}"}}) {
          try (Options o = new Options().prefillSeqLen(4).ctxLen(16).cache(false)
                  .set("compile.quantized_checkpoint", mode[0]);
              Program p = m.compile(o);
              Options g = new Options().maxNewTokens(3).set("generate.ignore_eos", true)) {
            assertTrue(p.info().contains(mode[1]), name + " " + mode[0] + ": " + p.info());
            assertEquals(3, p.generate("Hello", g).tokens().get(0).length);
          }
        }
        try (Options bad = new Options().set("compile.quantized_checkpoint", "requantize").cache(false)) {
          assertEquals(Status.INVALID_ARGUMENT, assertThrows(QeffException.class, () -> m.compile(bad)).status());
        }
      }
    }
  }

  @Test
  void tokenEmbeddingsWithPoolingNone() {
    Object hidden = at(bert, "batch", "last_hidden_state");
    float[][] expected = matrix(hidden, 5, 32, 32, 0); // row 0: [CLS] hello world ! [SEP], then padding
    try (Model m = Model.load(model("bert-tiny"));
        Options o = new Options().pooling("none").seqLen(16);
        Program p = m.compile(o);
        Request r = Request.ofTexts(List.of("Hello world!"));
        Result res = p.run(r, null)) {
      assertClose(expected, res.tokenEmbeddings(0), 1e-4);
      assertEquals(Status.NOT_FOUND, assertThrows(QeffException.class, res::embeddings).status());
    }
  }

  @Test
  void rerankerScoresPairs() {
    Map<String, Object> ref = Fixtures.reference("bert-reranker-tiny");
    List<?> pairs = (List<?>) at(ref, "encoder", "pairs");
    float[] logits = floats(at(ref, "encoder", "logits", "data"));
    try (Model m = Model.load(model("bert-reranker-tiny")); Program p = m.compile(); Request r = new Request()) {
      for (Object pair : pairs) {
        r.addTextPair((String) ((List<?>) pair).get(0), (String) ((List<?>) pair).get(1));
      }
      try (Result res = p.run(r, null)) {
        float[][] scores = res.scores();
        assertEquals(pairs.size(), scores.length);
        for (int i = 0; i < scores.length; i++) {
          assertEquals(logits[i], scores[i][0], 1e-4);
        }
      }
      List<?> first = (List<?>) pairs.get(0);
      float[][] one = p.scores((String) first.get(0), List.of((String) first.get(1)), null);
      assertEquals(logits[0], one[0][0], 1e-4);
    }
  }

  private static int[] untilEos(int[] ids) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == 2) {
        return Arrays.copyOf(ids, i + 1);
      }
    }
    return ids;
  }

  @Test
  void generateABatchAndTheSingleText() {
    List<String> prompts = strings(at(llama, "generate_batch", "prompts"));
    List<?> expected = (List<?>) at(llama, "generate_batch", "new_token_ids");
    try (Options o = new Options().maxNewTokens(32)) {
      GenerationResult r = lm.generate(prompts, o);
      assertEquals(2, r.tokens().size());
      for (int row = 0; row < 2; row++) {
        int[] want = untilEos(ints(expected.get(row)));
        assertArrayEquals(want, r.tokens().get(row), "row " + row);
        assertEquals(want.length == 32 ? FinishReason.LENGTH : FinishReason.EOS, r.finishReasons().get(row));
      }
      assertEquals(2.0, r.stats().get("rows"));
      assertTrue(r.decodeTokensPerSecond() > 0);

      GenerationResult single = lm.generate(str(llama, "generate_single", "prompt"), o);
      assertEquals(str(llama, "generate_single", "new_text"), single.text(), "text with a NUL survives");
    }
  }

  /**
   * A prompt with NUL inside (RELIABILITY B8.67) generates as its token ids
   * do, through generate and stream: the text is never cut at the NUL.
   */
  @Test
  void nulInsideAPromptGeneratesAsItsTokens() {
    String prompt = str(llama, "generate_single", "prompt").replaceFirst(" ", "\0").replaceFirst(" ", "\0") + "\0";
    try (Tokenizer t = lm.tokenizer(); Options o = new Options().maxNewTokens(8)) {
      int[] ids = t.encode(prompt);
      int nul = t.tokenToId("<0x00>");
      assertEquals(3, Arrays.stream(ids).filter(id -> id == nul).count(), Arrays.toString(ids));
      int[] want;
      try (Request r = new Request().addTokens(ids); Result res = lm.run(r, o)) {
        want = res.toGenerationResult().tokens().get(0);
      }
      GenerationResult byText = lm.generate(prompt, o);
      assertArrayEquals(want, byText.tokens().get(0));
      assertEquals(ids.length, byText.promptTokens()[0]);
      try (TextStream s = lm.stream(prompt, o)) {
        List<Integer> streamed = new ArrayList<>();
        for (StreamEvent e : s.events()) {
          if (e.token() >= 0) {
            streamed.add(e.token());
          }
        }
        assertArrayEquals(want, streamed.stream().mapToInt(Integer::intValue).toArray());
      }
    }
  }

  @Test
  void stopStringsAndSeededSampling() {
    String prompt = str(llama, "generate_single", "prompt");
    try (Options o = new Options().maxNewTokens(32)) {
      String text = lm.generate(prompt, o).text();
      String stop = " pro";
      assertTrue(text.contains(stop), text);
      o.stop(List.of(stop));
      GenerationResult r = lm.generate(prompt, o);
      assertEquals(FinishReason.STOP, r.finishReasons().get(0));
      assertEquals(text.substring(0, text.indexOf(stop)), r.text());
    }
    try (Options o = new Options().maxNewTokens(16).doSample(true).seed(7).temperature(0.8).topK(50).topP(0.95)) {
      int[] a = lm.generate(prompt, o).tokens().get(0);
      assertArrayEquals(a, lm.generate(prompt, o).tokens().get(0), "the same seed gives the same tokens");
    }
  }

  @Test
  void streamsIterateEveryRowAndCancelFromAnotherThread() throws Exception {
    String prompt = str(llama, "generate_single", "prompt");
    try (Options o = new Options().maxNewTokens(8); TextStream s = lm.stream(List.of(prompt, "Hello world"), o)) {
      boolean[] finished = new boolean[2];
      for (StreamEvent e : s.events()) {
        if (e.rowFinished()) {
          finished[e.row()] = true;
        }
      }
      assertTrue(finished[0] && finished[1]);
      assertNull(s.nextEvent());
      assertFalse(s.hasNext());
      assertEquals(2, s.result().texts().size());
    }

    try (Options o = new Options().maxNewTokens(50); TextStream s = lm.stream(prompt, o)) {
      assertEquals(Status.STATE, assertThrows(QeffException.class, s::result).status());
      assertTrue(s.hasNext());
      s.next();
      CountDownLatch done = new CountDownLatch(1);
      Thread t = new Thread(() -> {
        s.cancel();
        done.countDown();
      });
      t.start();
      done.await();
      List<String> rest = new ArrayList<>();
      s.forEachRemaining(rest::add);
      assertTrue(s.isCancelled());
      GenerationResult r = s.result();
      assertEquals(FinishReason.CANCELLED, r.finishReasons().get(0));
      assertTrue(r.tokens().get(0).length < 50);
      s.cancel(); // harmless after the end
      t.join();
    }

    // close() from another thread while the stream is running waits for the
    // step in progress; the consumer's iteration then ends quietly.
    try (Options o = new Options().maxNewTokens(50)) {
      TextStream s = lm.stream(prompt, o);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread t = new Thread(() -> s.forEachRemaining(piece -> { }));
      t.setUncaughtExceptionHandler((th, ex) -> failure.set(ex));
      t.start();
      s.close();
      t.join();
      assertTrue(s.isClosed());
      assertNull(failure.get());
      assertFalse(s.hasNext());
      assertThrows(IllegalStateException.class, s::result);
    }
  }

  /** Raw little-endian bytes of int64 values. */
  private static byte[] int64s(long... values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) {
      b.putLong(v);
    }
    return b.array();
  }

  @Test
  void sessionsRunTheGraphThroughTheGeneratedLayer() {
    float[][] expected = encoder.embed(List.of("Hello world!", "Hello world!"));
    long[] ids = new long[32];
    long[] mask = new long[32];
    int[] hello = {2, 179, 151, 5, 3};
    for (int row = 0; row < 2; row++) {
      for (int k = 0; k < hello.length; k++) {
        ids[row * 16 + k] = hello[k];
        mask[row * 16 + k] = 1;
      }
    }
    long[] h = new long[1];
    long session = encoder.with(p -> {
      QeffNative.qeff_session_create(p, 0, h);
      return h[0];
    });
    long inputs = 0;
    long outputs = 0;
    try {
      QeffNative.qeff_tensors_create(h);
      inputs = h[0];
      QeffNative.qeff_tensors_set(inputs, Utf8.cString("name", "input_ids"), DType.I64.code(), new long[] {2, 16},
          int64s(ids));
      QeffNative.qeff_tensors_set(inputs, Utf8.cString("name", "attention_mask"), DType.I64.code(), new long[] {2, 16},
          int64s(mask));
      QeffNative.qeff_session_run(session, inputs, h);
      outputs = h[0];
      long[] index = new long[1];
      QeffNative.qeff_tensors_find(outputs, Utf8.cString("name", "output"), index);
      long[] shape = new long[2];
      QeffNative.qeff_tensors_shape(outputs, index[0], shape);
      assertArrayEquals(new long[] {2, 32}, shape);
      byte[][] data = new byte[1][];
      QeffNative.qeff_tensors_data(outputs, index[0], data);
      FloatBuffer f = ByteBuffer.wrap(data[0]).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      float[][] got = new float[2][32];
      f.get(got[0]).get(got[1]);
      assertClose(expected, got, 1e-5);
      QeffNative.qeff_session_reset(session);
      QeffException e = assertThrows(QeffException.class,
          () -> QeffNative.qeff_session_read_state(session, Utf8.cString("name", "past_key.0"), h));
      assertEquals(Status.NOT_FOUND, e.status());
      long bad = inputs;
      QeffNative.qeff_tensors_set(bad, Utf8.cString("name", "input_ids"), DType.I64.code(), new long[] {1, 3},
          int64s(1, 2, 3));
      e = assertThrows(QeffException.class, () -> QeffNative.qeff_session_run(session, bad, h));
      assertEquals(Status.MISMATCH, e.status());
    } finally {
      QeffNative.qeff_tensors_free(outputs);
      QeffNative.qeff_tensors_free(inputs);
      QeffNative.qeff_session_free(session);
    }
  }

  @Test
  void concurrentCallsOnOneProgram() throws Exception {
    List<String> texts = strings(at(bert, "batch", "texts"));
    float[][] expected = encoder.embed(texts);
    int[] tokens = ints(at(llama, "generate_single", "new_token_ids"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (Options o = new Options().maxNewTokens(32)) {
      List<Future<?>> jobs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        jobs.add(pool.submit(() -> assertClose(expected, encoder.embed(texts), 0)));
        jobs.add(pool.submit(() -> assertArrayEquals(tokens,
            lm.generate(str(llama, "generate_single", "prompt"), o).tokens().get(0))));
      }
      for (Future<?> f : jobs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }
}
