package ai.qeff;

import ai.qeff.internal.QeffNative;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outputs of one {@link Program#run} call ({@code qeff_result}):
 * embeddings or scores for encoders, texts and tokens for causal LMs, and
 * statistics. Independent of the program and request (either may be closed
 * first). Readers copy into Java arrays.
 */
public final class Result extends NativeHandle {
  Result(long handle) {
    super(handle, QeffNative::qeff_result_free);
  }

  private interface MatrixGetter {
    int get(long h, float[][][] out);
  }

  private float[][] matrix(MatrixGetter getter) {
    return with(h -> {
      float[][][] out = new float[1][][];
      getter.get(h, out);
      return out[0];
    });
  }

  /** Number of rows (the request's rows). */
  public int numRows() {
    return with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_result_num_rows(h, out);
      return (int) out[0];
    });
  }

  /**
   * The pooled embeddings, {@code [rows][dim]}.
   *
   * @throws QeffException NOT_FOUND for a reranker or pooling "none"
   */
  public float[][] embeddings() {
    return matrix(QeffNative::qeff_result_embeddings);
  }

  /** The logits of a sequence-classification program, {@code [rows][num_labels]}. */
  public float[][] scores() {
    return matrix(QeffNative::qeff_result_scores);
  }

  /** Pooling "none": the token embeddings of one row, {@code [tokens][dim]}. */
  public float[][] tokenEmbeddings(int row) {
    return matrix((h, out) -> QeffNative.qeff_result_token_embeddings(h, row, out));
  }

  /** Tokens the row ran with (the prompt, for causal LMs). */
  public int numTokens(int row) {
    return with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_result_num_tokens(h, row, out);
      return (int) out[0];
    });
  }

  /** Causal LMs: the generated text of a row. */
  public String text(int row) {
    return with(h -> {
      byte[][] out = new byte[1][];
      QeffNative.qeff_result_text(h, row, out);
      return Utf8.string(out);
    });
  }

  /** Causal LMs: the generated token ids of a row. */
  public int[] tokens(int row) {
    return with(h -> {
      int[][] out = new int[1][];
      QeffNative.qeff_result_tokens(h, row, out);
      return out[0];
    });
  }

  /** Causal LMs: why a row ended. */
  public FinishReason finishReason(int row) {
    return with(h -> {
      int[] out = new int[1];
      QeffNative.qeff_result_finish_reason(h, row, out);
      return FinishReason.of(out[0]);
    });
  }

  /**
   * One statistic by name ("total_ms", "ttft_ms", ...; see qeff.h).
   *
   * @throws QeffException NOT_FOUND for an unknown name
   */
  public double stat(String name) {
    byte[] key = Utf8.cString("stat name", name);
    return with(h -> {
      double[] out = new double[1];
      QeffNative.qeff_result_stat(h, key, out);
      return out[0];
    });
  }

  /** Every statistic as the C library's JSON object. */
  public String statsJson() {
    return with(h -> {
      byte[][] out = new byte[1][];
      QeffNative.qeff_result_stats_json(h, out);
      return Utf8.string(out);
    });
  }

  /** Every numeric statistic by name, in the library's order. */
  public Map<String, Double> stats() {
    Map<String, Double> out = new LinkedHashMap<>();
    if (Json.parse(statsJson()) instanceof Map<?, ?> m) {
      m.forEach((k, v) -> {
        if (v instanceof Double d) {
          out.put((String) k, d);
        }
      });
    }
    return Collections.unmodifiableMap(out);
  }

  /** A causal-LM result copied into a {@link GenerationResult}. */
  public GenerationResult toGenerationResult() {
    int n = numRows();
    List<String> texts = new ArrayList<>(n);
    List<int[]> tokens = new ArrayList<>(n);
    List<FinishReason> reasons = new ArrayList<>(n);
    int[] prompt = new int[n];
    for (int r = 0; r < n; r++) {
      texts.add(text(r));
      tokens.add(tokens(r));
      reasons.add(finishReason(r));
      prompt[r] = numTokens(r);
    }
    return new GenerationResult(Collections.unmodifiableList(texts), Collections.unmodifiableList(tokens),
        Collections.unmodifiableList(reasons), prompt, stats());
  }
}
