package ai.qeff;

import static ai.qeff.Fixtures.at;
import static ai.qeff.Fixtures.floats;
import static ai.qeff.Fixtures.ints;
import static ai.qeff.Fixtures.model;
import static ai.qeff.Fixtures.num;
import static ai.qeff.Fixtures.str;
import static ai.qeff.Fixtures.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * tests/conformance/SCENARIO.md, steps 1 to 8, through the idiomatic API,
 * against tests/conformance/vectors.json.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConformanceTest {
  private Map<String, Object> v;
  private Model encoder;
  private Model lm;
  private Program encoderProgram;
  private Program lmProgram;
  private GenerationResult greedy;

  @BeforeAll
  void vectors() {
    v = Fixtures.vectors();
  }

  @AfterAll
  void close() {
    for (AutoCloseable c : new AutoCloseable[] {encoderProgram, lmProgram, encoder, lm}) {
      assertDoesNotThrow(() -> {
        if (c != null) {
          c.close();
        }
      });
    }
  }

  private Options lmCompileOptions(String section) {
    return new Options()
        .batchSize(num(v, section, "compile", "batch_size"))
        .prefillSeqLen(num(v, section, "compile", "prefill_seq_len"))
        .ctxLen(num(v, section, "compile", "ctx_len"));
  }

  private Options greedyOptions() {
    return new Options().maxNewTokens(num(v, "lm", "max_new_tokens"));
  }

  @Test
  @Order(1)
  void step1Load() {
    encoder = Model.load(model(str(v, "encoder", "model")));
    lm = Model.load(model(str(v, "lm", "model")));
    assertEquals(Task.EMBEDDING, encoder.task());
    assertEquals(Task.CAUSAL_LM, lm.task());
  }

  @Test
  @Order(2)
  void step2Compile() {
    int[] seqLen = ints(at(v, "encoder", "compile", "seq_len"));
    try (Options o = new Options().batchSize(num(v, "encoder", "compile", "batch_size")).seqLen(seqLen)) {
      encoderProgram = encoder.compile(o);
    }
    try (Options o = lmCompileOptions("lm")) {
      lmProgram = lm.compile(o);
    }
  }

  @Test
  @Order(3)
  void step3EmbedBatch() {
    List<String> texts = strings(at(v, "encoder", "texts"));
    List<?> expected = (List<?>) at(v, "encoder", "embeddings");
    double atol = (Double) at(v, "encoder", "atol");
    float[][] e = encoderProgram.embed(texts);
    assertEquals(3, e.length);
    for (int r = 0; r < e.length; r++) {
      float[] want = floats(expected.get(r));
      assertEquals(32, e[r].length);
      for (int k = 0; k < want.length; k++) {
        assertEquals(want[k], e[r][k], atol, "row " + r + " dim " + k);
      }
    }
  }

  @Test
  @Order(4)
  void step4GenerateGreedily() {
    try (Options o = greedyOptions()) {
      greedy = lmProgram.generate(str(v, "lm", "prompt"), o);
    }
    assertArrayEquals(ints(at(v, "lm", "new_token_ids")), greedy.tokens().get(0));
    assertEquals(FinishReason.LENGTH, greedy.finishReasons().get(0));
    assertEquals(ints(at(v, "lm", "prompt_ids")).length, greedy.promptTokens()[0]);
    assertTrue(greedy.ttftMs() > 0, "ttft_ms " + greedy.ttftMs());
  }

  @Test
  @Order(5)
  void step5Stream() {
    StringBuilder text = new StringBuilder();
    List<Integer> tokens = new ArrayList<>();
    StreamEvent last = null;
    try (Options o = greedyOptions(); TextStream s = lmProgram.stream(str(v, "lm", "prompt"), o)) {
      for (StreamEvent e : s.events()) {
        text.append(e.text());
        if (e.token() >= 0) {
          tokens.add(e.token());
        }
        last = e;
      }
    }
    assertEquals(greedy.text(), text.toString());
    assertArrayEquals(ints(at(v, "lm", "new_token_ids")), tokens.stream().mapToInt(Integer::intValue).toArray());
    assertTrue(last != null && last.rowFinished());
  }

  private static void assertError(Object spec, Runnable call) {
    QeffException e = assertThrows(QeffException.class, call::run);
    assertEquals(str(spec, "status"), e.status().cName());
    assertEquals(num(spec, "code"), e.code());
    assertEquals(num(spec, "code"), e.status().code());
    assertTrue(e.nativeMessage().contains(str(spec, "message_contains")), e.getMessage());
    assertTrue(e.getMessage().contains(str(spec, "status")), e.getMessage());
  }

  private void assertLmStillWorks() {
    try (Options o = greedyOptions()) {
      assertArrayEquals(ints(at(v, "lm", "new_token_ids")),
          lmProgram.generate(str(v, "lm", "prompt"), o).tokens().get(0));
    }
  }

  @Test
  @Order(6)
  void step6Errors() {
    Object errors = at(v, "errors");
    assertError(at(errors, "missing_dir"), () -> Model.load(model(str(errors, "missing_dir", "model"))));
    assertLmStillWorks();

    Object bad = at(errors, "bad_option");
    assertError(bad, () -> {
      try (Options o = lmCompileOptions("lm")) {
        o.set(str(bad, "key"), (long) num(bad, "value"));
        lm.compile(o).close();
      }
    });
    assertLmStillWorks();

    Object tooLong = at(errors, "too_long_prompt");
    try (Options o = new Options()
            .batchSize(num(tooLong, "compile", "batch_size"))
            .prefillSeqLen(num(tooLong, "compile", "prefill_seq_len"))
            .ctxLen(num(tooLong, "compile", "ctx_len"));
        Program small = lm.compile(o)) {
      assertError(tooLong, () -> small.generate(str(tooLong, "prompt"), null));
    }
    assertLmStillWorks();
  }

  @Test
  @Order(7)
  void step7FreeInAnyOrder() {
    Model m = Model.load(model(str(v, "lm", "model")));
    Tokenizer t = m.tokenizer();
    Program p;
    try (Options o = lmCompileOptions("lm")) {
      p = m.compile(o);
    }
    Result r;
    TextStream s;
    try (Options o = greedyOptions(); Request q = Request.ofTexts(List.of(str(v, "lm", "prompt")))) {
      r = p.run(q, o);
      s = p.stream(q, o);
    }
    assertTrue(s.hasNext());
    String first = s.next();

    m.close();
    p.close();
    assertArrayEquals(ints(at(v, "lm", "prompt_ids")), t.encode(str(v, "lm", "prompt")));
    t.close();
    StringBuilder rest = new StringBuilder(first);
    s.forEachRemaining(rest::append);
    assertEquals(FinishReason.LENGTH, s.result().finishReasons().get(0));
    s.close();
    assertEquals(r.text(0), rest.toString());
    assertArrayEquals(ints(at(v, "lm", "new_token_ids")), r.tokens(0));
    r.close();

    // Closing again is harmless; using a closed handle is a Java error, not a crash.
    for (NativeHandle h : new NativeHandle[] {m, t, p, s, r}) {
      assertDoesNotThrow(h::close);
      assertTrue(h.isClosed());
    }
    assertThrows(IllegalStateException.class, m::architecture);
    assertThrows(IllegalStateException.class, () -> t.encode("x"));
    assertThrows(IllegalStateException.class, () -> r.text(0));
    assertThrows(IllegalStateException.class, s::result);
  }

  @Test
  @Order(8)
  void step8Utf8RoundTrip() {
    String text = str(v, "utf8", "text");
    assertTrue(text.contains("\0") && text.codePoints().anyMatch(c -> c > 0xFFFF), "the vector holds NUL and a 4-byte emoji");
    try (Model m = Model.load(model(str(v, "utf8", "model"))); Tokenizer t = m.tokenizer()) {
      String back = t.decode(t.encode(text), true);
      assertEquals(text, back);
      assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), back.getBytes(StandardCharsets.UTF_8));
    }
  }
}
