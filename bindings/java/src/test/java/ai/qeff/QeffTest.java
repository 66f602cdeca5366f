package ai.qeff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.qeff.internal.QeffNative;
import ai.qeff.internal.QeffNativeConstants;
import ai.qeff.internal.qeff_stream_event;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Library-wide functions, options and the generated layer's conventions. */
class QeffTest {
  @Test
  void versions() {
    assertEquals("0.1.0", Qeff.version());
    assertEquals(Qeff.HEADER_VERSION, Qeff.version());
    assertEquals(100, Qeff.versionNumber());
    assertEquals(QeffNativeConstants.QEFF_VERSION_NUMBER, Qeff.versionNumber());
  }

  @Test
  void statusNamesMatchTheLibrary() {
    for (Status s : Status.values()) {
      if (s != Status.UNKNOWN) {
        assertEquals(s.cName(), Qeff.statusName(s.code()));
        assertEquals(s, Status.of(s.code()));
      }
    }
    assertEquals("QEFF_E_UNKNOWN", Qeff.statusName(999));
    assertEquals(Status.UNKNOWN, Status.of(999));
    assertEquals(11, Status.CONTEXT_OVERFLOW.code());
  }

  @Test
  void enumsMatchTheLibrary() {
    assertEquals("F32", DType.F32.safetensorsName());
    assertEquals("BF16", DType.BF16.safetensorsName());
    assertEquals(DType.C64, DType.of(20));
    assertEquals(DType.U4, DType.of(21));
    assertEquals("U4", DType.U4.safetensorsName());
    assertEquals("causal-lm", Task.CAUSAL_LM.label());
    assertEquals("embedding", Task.EMBEDDING.label());
    assertEquals("sequence-classification", Task.SEQUENCE_CLASSIFICATION.label());
    assertEquals(FinishReason.CANCELLED, FinishReason.of(5));
  }

  @Test
  void optionKeysListTheRegistry() {
    List<OptionKey> keys = Qeff.optionKeys();
    assertEquals(QeffNative.qeff_options_key_count(), keys.size());
    Map<String, OptionKey.Type> types = keys.stream().collect(Collectors.toMap(OptionKey::name, OptionKey::type));
    assertEquals(OptionKey.Type.INT, types.get("compile.batch_size"));
    assertEquals(OptionKey.Type.INT_LIST, types.get("compile.seq_len"));
    assertEquals(OptionKey.Type.FLOAT, types.get("generate.temperature"));
    assertEquals(OptionKey.Type.BOOL, types.get("cache.enabled"));
    assertEquals(OptionKey.Type.STRING, types.get("model.pooling"));
    assertTrue(keys.stream().allMatch(k -> !k.description().isEmpty()));
  }

  @Test
  void optionsOfEveryType() {
    try (Options o = new Options()) {
      assertEquals("1", o.get("compile.batch_size"));
      o.set("cache.enabled", false).set("compile.batch_size", 7L).set("generate.temperature", 0.5)
          .set("model.pooling", "cls").set("compile.seq_len", 16L, 32L);
      assertEquals("false", o.get("cache.enabled"));
      assertEquals("7", o.get("compile.batch_size"));
      assertEquals(0.5, Double.parseDouble(o.get("generate.temperature")));
      assertEquals("cls", o.get("model.pooling"));
      assertEquals("16,32", o.get("compile.seq_len"));
      o.setText("compile.seq_len", "8,64").setText("generate.do_sample", "true");
      assertEquals("8,64", o.get("compile.seq_len"));
      assertEquals("true", o.get("generate.do_sample"));
      // An INT value is accepted for a FLOAT key.
      o.set("generate.top_p", 1L);
      assertEquals(1.0, Double.parseDouble(o.get("generate.top_p")));
    }
  }

  @Test
  void fluentOptionsSetTheirKeys() {
    try (Options o = new Options().batchSize(2).seqLen(16, 32).prefillSeqLen(8).ctxLen(64).threads(1)
        .maxNewTokens(5).doSample(true).temperature(0.7).topK(3).topP(0.9).minP(0.1).repetitionPenalty(1.1)
        .seed(42).eosTokenIds(2, 3).truncate(true).addSpecialTokens(false).pooling("mean").normalize(true)
        .weightDtype("bf16").kvCacheDtype("f16").cache(false).stop(List.of("a\"b", "\n"))) {
      assertEquals("2", o.get("compile.batch_size"));
      assertEquals("16,32", o.get("compile.seq_len"));
      assertEquals("8", o.get("compile.prefill_seq_len"));
      assertEquals("64", o.get("compile.ctx_len"));
      assertEquals("1", o.get("runtime.threads"));
      assertEquals("5", o.get("generate.max_new_tokens"));
      assertEquals("42", o.get("generate.seed"));
      assertEquals("2,3", o.get("generate.eos_token_ids"));
      assertEquals("bf16", o.get("compile.weight_dtype"));
      assertEquals("f16", o.get("model.kv_cache_dtype"));
      assertEquals(List.of("a\"b", "\n"), Json.parse(o.get("generate.stop")));
    }
    try (Options o = Options.of(Map.of("compile.batch_size", 3, "cache.enabled", true,
        "generate.temperature", 0.25, "model.pooling", "max", "compile.seq_len", new int[] {4, 8}))) {
      assertEquals("3", o.get("compile.batch_size"));
      assertEquals("max", o.get("model.pooling"));
      assertEquals("4,8", o.get("compile.seq_len"));
    }
  }

  @Test
  void badOptionsFailAtOnceNamingTheKey() {
    try (Options o = new Options()) {
      QeffException e = assertThrows(QeffException.class, () -> o.set("compile.batch_sise", 2L));
      assertEquals(Status.INVALID_ARGUMENT, e.status());
      assertTrue(e.nativeMessage().contains("compile.batch_sise"), e.getMessage());
      e = assertThrows(QeffException.class, () -> o.set("compile.batch_size", "two"));
      assertEquals(1, e.code());
      e = assertThrows(QeffException.class, () -> o.batchSize(0));
      assertTrue(e.nativeMessage().contains("compile.batch_size"), e.getMessage());
      assertThrows(QeffException.class, () -> o.get("no.such.key"));
      assertEquals("1", o.get("compile.batch_size"), "a failed set leaves the object unchanged");
      assertThrows(IllegalArgumentException.class, () -> o.set("model.pooling", "me\0an"));
      assertThrows(IllegalArgumentException.class, () -> Options.of(Map.of("compile.batch_size", new Object())));
    }
  }

  @Test
  void closedOptionsAreAJavaError() {
    Options o = new Options();
    o.close();
    o.close();
    assertTrue(o.isClosed());
    assertThrows(IllegalStateException.class, () -> o.batchSize(2));
  }

  @Test
  void generatedLayerThrowsAndKeepsTheThreadError() {
    assertEquals("java.library.path", NativeLoader.loadedFrom());
    long[] out = new long[1];
    byte[] missing = "/nonexistent/qeff-model".getBytes(StandardCharsets.UTF_8);
    QeffException e = assertThrows(QeffException.class, () -> QeffNative.qeff_model_load(missing, 0, out));
    assertEquals(Status.NOT_FOUND, e.status());
    assertEquals(0, out[0]);
    // The same thread's error, read by a second native call, agrees.
    assertEquals(2, QeffNative.qeff_last_error_code());
    assertEquals(e.nativeMessage(), new String(QeffNative.qeff_last_error_message(), StandardCharsets.UTF_8));
    QeffNative.qeff_clear_error();
    assertEquals(0, QeffNative.qeff_last_error_code());
    assertArrayEquals(new byte[0], QeffNative.qeff_last_error_message());

    byte[][] text = new byte[1][];
    e = assertThrows(QeffException.class, () -> QeffNative.qeff_model_architecture(0, text));
    assertEquals(Status.INVALID_HANDLE, e.status());
    qeff_stream_event ev = new qeff_stream_event();
    try {
      e = assertThrows(QeffException.class, () -> QeffNative.qeff_stream_next(0, ev));
      assertEquals(Status.INVALID_HANDLE, e.status());
    } finally {
      ev.delete();
    }
    // A NULL out-parameter is reported by the library, not a crash.
    e = assertThrows(QeffException.class, () -> QeffNative.qeff_options_create(null));
    assertEquals(Status.INVALID_ARGUMENT, e.status());
    // Successful calls return QEFF_OK.
    long[] opts = new long[1];
    assertEquals(0, QeffNative.qeff_options_create(opts));
    QeffNative.qeff_options_free(opts[0]);
    assertFalse(opts[0] == 0);
  }

  @Test
  void tensorSetsRoundTrip() {
    long[] h = new long[1];
    QeffNative.qeff_tensors_create(h);
    try {
      byte[] data = new byte[2 * 3 * 4];
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) i;
      }
      byte[] name = "x".getBytes(StandardCharsets.UTF_8);
      QeffNative.qeff_tensors_set(h[0], name, DType.F32.code(), new long[] {2, 3}, data);
      QeffException e = assertThrows(QeffException.class,
          () -> QeffNative.qeff_tensors_set(h[0], name, DType.F32.code(), new long[] {2, 2}, data));
      assertEquals(Status.INVALID_ARGUMENT, e.status());
      long[] n = new long[1];
      QeffNative.qeff_tensors_count(h[0], n);
      assertEquals(1, n[0]);
      QeffNative.qeff_tensors_find(h[0], name, n);
      assertEquals(0, n[0]);
      byte[][] got = new byte[1][];
      int[] dtype = new int[1];
      long[] rank = new long[1];
      QeffNative.qeff_tensors_info(h[0], 0, got, dtype, rank);
      assertEquals("x", Utf8.string(got));
      assertEquals(DType.F32.code(), dtype[0]);
      assertEquals(2, rank[0]);
      long[] shape = new long[2];
      QeffNative.qeff_tensors_shape(h[0], 0, shape);
      assertArrayEquals(new long[] {2, 3}, shape);
      QeffNative.qeff_tensors_data(h[0], 0, got);
      assertArrayEquals(data, got[0]);
    } finally {
      QeffNative.qeff_tensors_free(h[0]);
    }
  }
}
