package ai.qeff;

import static ai.qeff.Fixtures.at;
import static ai.qeff.Fixtures.model;
import static ai.qeff.Fixtures.num;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model loading and introspection, compile, export, ONNX, packages: against the references. */
class ModelTest {
  private static final List<String> TEXTS = List.of("Hello world!", "The river was cold.");

  @Test
  void introspectionMatchesTheReference() throws Exception {
    Map<String, Object> ref = Fixtures.reference("bert-tiny");
    try (Model m = Model.load(model("bert-tiny").toString())) {
      assertEquals("BertModel", m.architecture());
      assertEquals("bert", m.modelType());
      assertEquals(Task.EMBEDDING, m.task());
      assertEquals(num(ref, "config_summary", "num_hidden_layers"), m.numLayers());
      assertEquals(num(ref, "config_summary", "hidden_size"), m.hiddenSize());
      assertEquals(num(ref, "config_summary", "vocab_size"), m.vocabSize());
      assertEquals(num(ref, "parameters", "hf_num_parameters"), m.numParameters());
      assertEquals(DType.F32, m.weightDtype());
      assertEquals(num(ref, "safetensors", "num_tensors"), m.numTensors());
      assertEquals(model("bert-tiny").toRealPath(), m.path());

      List<?> tensors = (List<?>) at(ref, "safetensors", "tensors");
      List<TensorInfo> got = m.tensors();
      assertEquals(tensors.size(), got.size());
      for (int i = 0; i < got.size(); i++) {
        Object t = tensors.get(i);
        long[] shape = ((List<?>) at(t, "shape")).stream().mapToLong(d -> ((Double) d).longValue()).toArray();
        assertEquals(new TensorInfo((String) at(t, "name"), DType.valueOf((String) at(t, "dtype")), shape), got.get(i));
      }
      TensorInfo bias = m.tensor("embeddings.LayerNorm.bias").orElseThrow();
      assertArrayEquals(new long[] {32}, bias.shape());
      assertTrue(m.tensor("no.such.tensor").isEmpty());

      assertEquals("32", m.config("hidden_size"));
      assertEquals("\"bert\"", m.config("model_type"));
      assertEquals("bert", at(Json.parse(m.config("")), "model_type"));
      QeffException e = assertThrows(QeffException.class, () -> m.config("no.such.field"));
      assertEquals(Status.NOT_FOUND, e.status());
    }
    try (Model m = Model.load(model("llama-tiny"))) {
      assertEquals("LlamaForCausalLM", m.architecture());
      assertEquals(Task.CAUSAL_LM, m.task());
    }
    try (Model m = Model.load(model("bert-reranker-tiny"))) {
      assertEquals(Task.SEQUENCE_CLASSIFICATION, m.task());
    }
  }

  @Test
  void loadOptionsAreRead() {
    try (Options o = new Options().set("limits.json_bytes", 16L)) {
      QeffException e = assertThrows(QeffException.class, () -> Model.load(model("bert-tiny"), o));
      assertEquals(Status.LIMIT, e.status());
    }
    assertThrows(IllegalArgumentException.class, () -> Model.load("bad\0path"));
  }

  private static float[][] embedTokens(Program p, int[]... rows) {
    try (Request r = new Request()) {
      for (int[] row : rows) {
        r.addTokens(row);
      }
      try (Result res = p.run(r, null)) {
        return res.embeddings();
      }
    }
  }

  @Test
  void exportOnnxCompileSaveAndLoad(@TempDir Path dir) {
    try (Model m = Model.load(model("bert-tiny"));
        Options o = new Options().batchSize(2).seqLen(16).set("export.overwrite", true);
        Program p = m.compile(o)) {
      float[][] expected = p.embed(TEXTS);
      int[][] ids;
      try (Tokenizer t = p.tokenizer()) {
        ids = new int[][] {t.encode(TEXTS.get(0)), t.encode(TEXTS.get(1))};
      }

      // ONNX export, compiled again: no tokenizer, token rows give the same embeddings.
      Path onnx = dir.resolve("onnx");
      m.export(onnx, o);
      assertTrue(Files.exists(onnx.resolve("model.onnx")));
      try (Options oo = new Options().set("compile.specializations",
              "[{\"name\": \"s16\", \"symbols\": {\"batch_size\": 2, \"seq_len\": 16}}]");
          Program fromOnnx = Program.compileOnnx(onnx.resolve("model.onnx"), oo)) {
        QeffException e = assertThrows(QeffException.class, fromOnnx::tokenizer);
        assertEquals(Status.NOT_FOUND, e.status());
        assertClose(expected, embedTokens(fromOnnx, ids), 1e-5);
      }

      // A package: saved, refused when it exists, overwritten, loaded.
      Path pkg = dir.resolve("pkg");
      p.save(pkg, null);
      assertThrows(QeffException.class, () -> p.save(pkg, null));
      try (Options ow = new Options().set("package.overwrite", true)) {
        p.save(pkg, ow);
      }
      try (Program loaded = Program.load(pkg); Tokenizer t = loaded.tokenizer()) {
        assertClose(expected, loaded.embed(TEXTS), 0);
        assertArrayEquals(ids[0], t.encode(TEXTS.get(0)));
        Object info = Json.parse(loaded.info());
        assertTrue(loaded.info().contains("specializations"), loaded.info());
        assertTrue(info instanceof Map);
      }
    }
  }

  static void assertClose(float[][] want, float[][] got, double atol) {
    assertEquals(want.length, got.length);
    for (int r = 0; r < want.length; r++) {
      assertEquals(want[r].length, got[r].length);
      for (int k = 0; k < want[r].length; k++) {
        assertEquals(want[r][k], got[r][k], atol, "row " + r + " dim " + k);
      }
    }
  }
}
