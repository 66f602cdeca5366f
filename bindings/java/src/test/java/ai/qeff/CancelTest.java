package ai.qeff;

import static ai.qeff.Fixtures.at;
import static ai.qeff.Fixtures.ints;
import static ai.qeff.Fixtures.model;
import static ai.qeff.Fixtures.str;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancellation tokens: a token requested before a call stops it at once
 * (load, compile, export, package save/load, generate, stream) with
 * CANCELLED and nothing written; a token requested from another thread
 * stops a running call or the call completes first; the handles stay
 * usable; reset() re-arms the token.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CancelTest {
  private Model llama;
  private Program lm; // room for 200 new tokens
  private String prompt;
  private int[] expected; // greedy new token ids of the reference

  @BeforeAll
  void compile() {
    Map<String, Object> single = Fixtures.obj(Fixtures.reference("llama-tiny"), "generate_single");
    prompt = str(single, "prompt");
    expected = ints(at(single, "new_token_ids"));
    llama = Model.load(model("llama-tiny"));
    try (Options o = new Options().prefillSeqLen(8).ctxLen(256).threads(1)) {
      lm = llama.compile(o);
    }
  }

  @AfterAll
  void close() {
    lm.close();
    llama.close();
  }

  private static QeffException cancelled(Executable call) {
    QeffException e = assertThrows(QeffException.class, call);
    assertEquals(Status.CANCELLED, e.status(), e::getMessage);
    assertEquals(13, e.code());
    assertTrue(e.getMessage().startsWith("QEFF_E_CANCELLED (13): "), e.getMessage());
    assertFalse(e.nativeMessage().isEmpty());
    return e;
  }

  private static CancelToken requested() {
    CancelToken token = new CancelToken();
    token.cancel();
    return token;
  }

  private static Options longGeneration(CancelToken token) {
    return new Options().maxNewTokens(200).set("generate.ignore_eos", true).setCancel(token);
  }

  private int[] greedy(int n, CancelToken token) {
    try (Options o = new Options().maxNewTokens(n).setCancel(token)) {
      return lm.generate(prompt, o).tokens().get(0);
    }
  }

  /** Every file under root with its SHA-256 (directories map to ""). */
  private static Map<String, String> snapshot(Path root) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Path p : (Iterable<Path>) files::iterator) {
        if (!p.equals(root)) {
          out.put(root.relativize(p).toString(),
              Files.isDirectory(p) ? "" : HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  @Test
  void tokenLifecycle() {
    CancelToken token = new CancelToken();
    assertFalse(token.isRequested());
    token.cancel();
    token.cancel(); // idempotent
    assertTrue(token.isRequested());
    assertEquals("CancelToken[requested=true]", token.toString());
    token.reset();
    assertFalse(token.isRequested());
    token.close();
    token.close();
    assertTrue(token.isClosed());
    assertEquals("CancelToken[closed]", token.toString());
    token.cancel(); // a no-op once closed
    assertThrows(IllegalStateException.class, token::reset);
    assertThrows(IllegalStateException.class, token::isRequested);
  }

  @Test
  void requestedTokenCancelsLoads() {
    try (CancelToken token = requested(); Options o = new Options().setCancel(token)) {
      cancelled(() -> Model.load(model("llama-tiny"), o).close());
      cancelled(() -> Tokenizer.load(model("bert-tiny"), o).close());
      o.setCancel(null); // detached: the same options load
      try (Model m = Model.load(model("llama-tiny"), o)) {
        assertEquals("LlamaForCausalLM", m.architecture());
      }
      o.setCancel(token);
      token.reset(); // re-armed: the same token serves the next calls
      try (Model m = Model.load(model("llama-tiny"), o); Tokenizer t = Tokenizer.load(model("bert-tiny"), o)) {
        assertEquals("LlamaForCausalLM", m.architecture());
        assertTrue(t.vocabSize() > 0);
      }
    }
  }

  @Test
  void optionsKeepTheirOwnReference() {
    Options o = new Options();
    try (CancelToken token = requested()) {
      o.setCancel(token);
    } // the Java token is closed; the options still hold the C token
    try (o) {
      cancelled(() -> Model.load(model("llama-tiny"), o).close());
    }
  }

  @Test
  void requestedTokenWritesNothing(@TempDir Path tmp) {
    Path onnx = tmp.resolve("onnx");
    Path pkg = tmp.resolve("package");
    try (CancelToken token = requested();
        Options o = new Options().prefillSeqLen(8).ctxLen(64).cache(false).setCancel(token)
            .set("export.overwrite", true).set("package.overwrite", true)) {
      cancelled(() -> llama.compile(o).close());
      cancelled(() -> llama.export(onnx, o));
      cancelled(() -> lm.save(pkg, o));
      assertEquals(Map.of(), snapshot(tmp));

      // Over earlier outputs: kept byte for byte.
      llama.export(onnx, null);
      lm.save(pkg, null);
      Map<String, String> before = snapshot(tmp);
      assertTrue(before.containsKey("onnx/model.onnx") && before.size() > 3, before::toString);
      cancelled(() -> llama.export(onnx, o));
      cancelled(() -> lm.save(pkg, o));
      cancelled(() -> Program.compileOnnx(onnx.resolve("model.onnx"), o).close());
      cancelled(() -> Program.load(pkg, o).close());
      assertEquals(before, snapshot(tmp));

      // Everything stays usable, with the same token once reset.
      token.reset();
      try (Program loaded = Program.load(pkg, o)) {
        assertArrayEquals(Arrays.copyOf(expected, 4), loaded.generate(prompt, o.maxNewTokens(4)).tokens().get(0));
      }
      lm.save(pkg, o);
      try (Program p = llama.compile(o)) {
        assertTrue(p.info().contains("Decode"));
      }
    }
  }

  @Test
  void requestedTokenCancelsGeneration() {
    try (CancelToken token = requested();
        Options o = new Options().maxNewTokens(4).setCancel(token);
        Model bert = Model.load(model("bert-tiny"));
        Program encoder = bert.compile(new Options().seqLen(16))) {
      cancelled(() -> lm.generate(prompt, o));
      cancelled(() -> lm.generate(List.of(prompt, prompt), o));
      cancelled(() -> lm.stream(prompt, o).close());
      cancelled(() -> encoder.embed(List.of("Hello world!"), o));
      try (Request r = Request.ofTexts(List.of("Hello world!"))) {
        cancelled(() -> encoder.run(r, o).close());
      }
      // Unchanged afterwards.
      assertArrayEquals(expected, greedy(expected.length, null));
      assertEquals(1, encoder.embed(List.of("Hello world!")).length);
    }
  }

  @Test
  void cancelFromAnotherThreadDuringGeneration() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (CancelToken token = new CancelToken(); Options o = longGeneration(token)) {
      for (long delayMicros : new long[] {0, 2000, 20000}) {
        token.reset();
        ScheduledFuture<?> cancel = timer.schedule(token::cancel, delayMicros, TimeUnit.MICROSECONDS);
        try {
          GenerationResult r = lm.generate(prompt, o);
          assertEquals(200, r.tokens().get(0).length); // it completed first
        } catch (QeffException e) {
          assertEquals(Status.CANCELLED, e.status(), e::getMessage);
        }
        cancel.get();
        assertTrue(token.isRequested());
      }
      token.reset();
      assertArrayEquals(Arrays.copyOf(expected, 8), greedy(8, token));
    } finally {
      timer.shutdownNow();
    }
  }

  @Test
  void compileLoopCancelledFromAnotherThread() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    try (CancelToken token = new CancelToken();
        Options o = new Options().prefillSeqLen(8).ctxLen(64).cache(false).setCancel(token)) {
      Thread canceller = new Thread(() -> {
        try {
          started.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        token.cancel();
      });
      canceller.start();
      // The compile running when the token is requested stops, or the next one, at once.
      cancelled(() -> {
        while (true) {
          started.countDown();
          llama.compile(o).close();
        }
      });
      canceller.join();
      token.reset();
      try (Program p = llama.compile(o); Options g = new Options().maxNewTokens(4)) {
        assertArrayEquals(Arrays.copyOf(expected, 4), p.generate(prompt, g).tokens().get(0));
      }
    }
  }

  @Test
  void oneTokenCancelsConcurrentCalls() throws Exception {
    var pool = Executors.newFixedThreadPool(3);
    try (CancelToken token = new CancelToken(); Options o = longGeneration(token)) {
      List<Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        calls.add(pool.submit(() -> {
          try {
            return "done " + lm.generate(prompt, o).tokens().get(0).length;
          } catch (QeffException e) {
            return e.status().name();
          }
        }));
      }
      token.cancel();
      for (Future<String> f : calls) {
        String outcome = f.get();
        assertTrue(outcome.equals("CANCELLED") || outcome.equals("done 200"), outcome);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void tokenEndsAStream() {
    try (CancelToken token = new CancelToken();
        Options o = longGeneration(token);
        TextStream s = lm.stream(prompt, o)) {
      int tokens = 0;
      for (StreamEvent e : s.events()) {
        if (e.token() >= 0 && ++tokens == 3) {
          token.cancel(); // the next step stops; the iteration ends quietly
        }
      }
      assertTrue(s.isCancelled());
      assertFalse(s.hasNext());
      GenerationResult r = s.result();
      assertEquals(List.of(FinishReason.CANCELLED), r.finishReasons());
      int n = r.tokens().get(0).length;
      assertTrue(n >= 3 && n < 200, "tokens: " + n);
    }
  }

  @Test
  void tokenEndsAStreamFromAnotherThread() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (CancelToken token = new CancelToken();
        Options o = longGeneration(token);
        TextStream s = lm.stream(prompt, o)) {
      ScheduledFuture<?> cancel = timer.schedule(token::cancel, 5, TimeUnit.MILLISECONDS);
      StringBuilder text = new StringBuilder();
      for (String piece : s) {
        text.append(piece);
      }
      cancel.get();
      GenerationResult r = s.result();
      FinishReason why = r.finishReasons().get(0);
      assertTrue(why == FinishReason.CANCELLED || why == FinishReason.LENGTH, why::toString);
      if (why == FinishReason.LENGTH) {
        assertEquals(r.text(), text.toString());
      }
    } finally {
      timer.shutdownNow();
    }
  }
}
