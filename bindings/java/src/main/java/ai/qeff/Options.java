package ai.qeff;

import ai.qeff.internal.QeffNative;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Named, typed settings for the calls that take them ({@code qeff_options}).
 * Any key of docs/options.md can be set with the typed {@code set} methods or
 * its textual form ({@link #setText}); the fluent methods name the common ones
 * after QEfficient's keywords ({@link #batchSize}, {@link #seqLen},
 * {@link #prefillSeqLen}, {@link #ctxLen}, {@link #threads} for
 * {@code num_cores}, {@link #maxNewTokens}, ...). An unknown key, a wrong type
 * or a value out of range throws {@link QeffException} ({@link
 * Status#INVALID_ARGUMENT}) at once, naming the key. Each call reads the keys
 * of its prefix ("load.", "compile.", "generate.", ...) and ignores the
 * others, so one object can serve compile and generate alike. A {@link
 * CancelToken} attached with {@link #setCancel} makes those calls cancellable.
 *
 * <p>Not thread-safe while being modified; calls copy what they need, so the
 * object may be changed or closed as soon as a call returns.
 */
public final class Options extends NativeHandle {
  /** Creates an empty set (every key at its default). */
  public Options() {
    super(create(), QeffNative::qeff_options_free);
  }

  private static long create() {
    long[] out = new long[1];
    QeffNative.qeff_options_create(out);
    return out[0];
  }

  /**
   * Options from a map of keys to values: Boolean, Integer/Long, Float/Double,
   * String, long[] or int[] (int lists), as the key's type wants.
   */
  public static Options of(Map<String, ?> values) {
    Options o = new Options();
    try {
      values.forEach((k, v) -> {
        if (v instanceof Boolean b) {
          o.set(k, b.booleanValue());
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short) {
          o.set(k, ((Number) v).longValue());
        } else if (v instanceof Number n) {
          o.set(k, n.doubleValue());
        } else if (v instanceof String s) {
          o.set(k, s);
        } else if (v instanceof long[] l) {
          o.set(k, l);
        } else if (v instanceof int[] l) {
          o.set(k, toLongs(l));
        } else {
          throw new IllegalArgumentException("option " + k + ": unsupported value type " + v);
        }
      });
    } catch (RuntimeException e) {
      o.close();
      throw e;
    }
    return o;
  }

  private static long[] toLongs(int[] values) {
    long[] out = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static byte[] key(String key) {
    return Utf8.cString("option key", key);
  }

  /** Sets a BOOL option. */
  public Options set(String key, boolean value) {
    run(h -> QeffNative.qeff_options_set_bool(h, key(key), value ? 1 : 0));
    return this;
  }

  /** Sets an INT option (or a FLOAT one). */
  public Options set(String key, long value) {
    run(h -> QeffNative.qeff_options_set_int(h, key(key), value));
    return this;
  }

  /** Sets a FLOAT option. */
  public Options set(String key, double value) {
    run(h -> QeffNative.qeff_options_set_float(h, key(key), value));
    return this;
  }

  /** Sets a STRING option (UTF-8; must not contain NUL). */
  public Options set(String key, String value) {
    run(h -> QeffNative.qeff_options_set_string(h, key(key), Utf8.cString("option value", value)));
    return this;
  }

  /** Sets an INT_LIST option. */
  public Options set(String key, long... values) {
    run(h -> QeffNative.qeff_options_set_int_list(h, key(key), values));
    return this;
  }

  /**
   * Sets any option from its textual form, parsed by the key's type
   * ("true"/"false"/"1"/"0", decimal numbers, the text itself, or
   * comma-separated integers such as "32,64,128").
   */
  public Options setText(String key, String text) {
    run(h -> QeffNative.qeff_options_set(h, key(key), Utf8.cString("option value", text)));
    return this;
  }

  /**
   * Attaches a cancellation token ({@code qeff_options_set_cancel}): the calls
   * given these options stop with {@link Status#CANCELLED} once it is
   * requested. The options keep their own reference to the token (it may be
   * closed first); {@code null} detaches it. Replaces an earlier token. Not
   * while a call uses these options, as for every setter.
   */
  public Options setCancel(CancelToken token) {
    run(h -> with(token, c -> QeffNative.qeff_options_set_cancel(h, c)));
    return this;
  }

  /** The current value of a key in textual form (the default when unset). */
  public String get(String key) {
    return with(h -> {
      byte[][] out = new byte[1][];
      QeffNative.qeff_options_get(h, key(key), out);
      return Utf8.string(out);
    });
  }

  // ---- compile ----

  /** {@code compile.batch_size}: rows per run. */
  public Options batchSize(int n) {
    return set("compile.batch_size", (long) n);
  }

  /** {@code compile.seq_len}: encoder sequence lengths, one specialization each. */
  public Options seqLen(int... lengths) {
    return set("compile.seq_len", toLongs(lengths));
  }

  /** {@code compile.prefill_seq_len}: causal-LM prompt chunk. */
  public Options prefillSeqLen(int n) {
    return set("compile.prefill_seq_len", (long) n);
  }

  /** {@code compile.ctx_len}: causal-LM context length. */
  public Options ctxLen(int n) {
    return set("compile.ctx_len", (long) n);
  }

  /** {@code compile.weight_dtype}: "f32", "bf16", "f16", "int8", "int4" or "mxfp6". */
  public Options weightDtype(String dtype) {
    return set("compile.weight_dtype", dtype);
  }

  /**
   * {@code model.kv_cache_dtype}: a causal LM's KV cache in "f32", "f16", "bf16" or "mxint8" (U8 rows:
   * int8 elements with an E8M0 scale per 32).
   */
  public Options kvCacheDtype(String dtype) {
    return set("model.kv_cache_dtype", dtype);
  }

  /** {@code model.pooling}: "mean", "cls", "max", "mean_sqrt_len", "last_token", "none". */
  public Options pooling(String pooling) {
    return set("model.pooling", pooling);
  }

  /** {@code model.normalize}: L2-normalize embeddings. */
  public Options normalize(boolean normalize) {
    return set("model.normalize", normalize);
  }

  /** {@code cache.dir}: root of the compile cache. */
  public Options cacheDir(Path dir) {
    return set("cache.dir", dir.toAbsolutePath().toString());
  }

  /** {@code cache.enabled}: use the compile cache. */
  public Options cache(boolean enabled) {
    return set("cache.enabled", enabled);
  }

  /** {@code runtime.threads} (QEfficient's {@code num_cores}): threads per session, 0: all. */
  public Options threads(int n) {
    return set("runtime.threads", (long) n);
  }

  // ---- generate ----

  /** {@code generate.max_new_tokens}. */
  public Options maxNewTokens(int n) {
    return set("generate.max_new_tokens", (long) n);
  }

  /** {@code generate.do_sample}: sample instead of greedy. */
  public Options doSample(boolean sample) {
    return set("generate.do_sample", sample);
  }

  /** {@code generate.temperature}. */
  public Options temperature(double t) {
    return set("generate.temperature", t);
  }

  /** {@code generate.top_k}. */
  public Options topK(int k) {
    return set("generate.top_k", (long) k);
  }

  /** {@code generate.top_p}. */
  public Options topP(double p) {
    return set("generate.top_p", p);
  }

  /** {@code generate.min_p}. */
  public Options minP(double p) {
    return set("generate.min_p", p);
  }

  /** {@code generate.repetition_penalty}. */
  public Options repetitionPenalty(double p) {
    return set("generate.repetition_penalty", p);
  }

  /** {@code generate.seed}: the same seed gives the same text. */
  public Options seed(long seed) {
    return set("generate.seed", seed);
  }

  /** {@code generate.stop}: stop strings (the text ends before the first completed). */
  public Options stop(List<String> stops) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    int i = 0;
    for (String stop : stops) {
      j.add(Json.quote(Utf8.wellFormed("stops", i++, stop)));
    }
    return set("generate.stop", j.toString());
  }

  /** {@code generate.eos_token_ids}. */
  public Options eosTokenIds(long... ids) {
    return set("generate.eos_token_ids", ids);
  }

  /** {@code generate.truncate}: cut inputs too long for the compiled lengths. */
  public Options truncate(boolean truncate) {
    return set("generate.truncate", truncate);
  }

  /** {@code tokenize.add_special_tokens}. */
  public Options addSpecialTokens(boolean add) {
    return set("tokenize.add_special_tokens", add);
  }
}
