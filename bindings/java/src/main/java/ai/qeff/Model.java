package ai.qeff;

import ai.qeff.internal.QeffNative;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A loaded HuggingFace model directory ({@code qeff_model}): configuration,
 * memory-mapped weights and side files. Immutable and thread-safe. A model
 * may be closed before the programs compiled from it and the tokenizers taken
 * from it: they do not depend on it.
 *
 * <pre>{@code
 * try (Model m = Model.load(Path.of("bert-tiny"));
 *      Program p = m.compile(new Options().batchSize(2))) {
 *   float[][] e = p.embed(List.of("Hello world!"));
 * }
 * }</pre>
 */
public final class Model extends NativeHandle {
  private Model(long handle) {
    super(handle, QeffNative::qeff_model_free);
  }

  /** Loads a model directory with default options. */
  public static Model load(Path dir) {
    return load(dir, null);
  }

  /** Loads a model directory with default options. */
  public static Model load(String dir) {
    return load(Path.of(dir), null);
  }

  /**
   * Loads a model directory: a {@code save_pretrained} directory, a
   * HuggingFace cache snapshot or cache entry.
   *
   * @param options "load.*" and "limits.*" keys; may be null
   * @throws QeffException NOT_FOUND, FORMAT, CONFIG, UNSUPPORTED, SECURITY, ... (see qeff.h)
   */
  public static Model load(Path dir, Options options) {
    byte[] path = Utf8.cString("path", dir.toString());
    return new Model(with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_model_load(path, o, out);
      return out[0];
    }));
  }

  private String string(StringGetter getter) {
    return with(h -> {
      byte[][] out = new byte[1][];
      getter.get(h, out);
      return Utf8.string(out);
    });
  }

  private long number(LongGetter getter) {
    return with(h -> {
      long[] out = new long[1];
      getter.get(h, out);
      return out[0];
    });
  }

  private int code(IntGetter getter) {
    return with(h -> {
      int[] out = new int[1];
      getter.get(h, out);
      return out[0];
    });
  }

  private interface StringGetter {
    int get(long h, byte[][] out);
  }

  private interface LongGetter {
    int get(long h, long[] out);
  }

  private interface IntGetter {
    int get(long h, int[] out);
  }

  /** Absolute, canonical path of the directory the model was read from. */
  public Path path() {
    return Path.of(string(QeffNative::qeff_model_path));
  }

  /** The architecture, e.g. "LlamaForCausalLM". */
  public String architecture() {
    return string(QeffNative::qeff_model_architecture);
  }

  /** config.json's model_type, e.g. "llama". */
  public String modelType() {
    return string(QeffNative::qeff_model_type);
  }

  /** What the model is for. */
  public Task task() {
    return Task.of(code(QeffNative::qeff_model_task));
  }

  /** Number of transformer layers. */
  public long numLayers() {
    return number(QeffNative::qeff_model_num_layers);
  }

  /** Hidden size. */
  public long hiddenSize() {
    return number(QeffNative::qeff_model_hidden_size);
  }

  /** Vocabulary size from config.json. */
  public long vocabSize() {
    return number(QeffNative::qeff_model_vocab_size);
  }

  /** Number of weight elements (tied weights counted once). */
  public long numParameters() {
    return number(QeffNative::qeff_model_num_parameters);
  }

  /** The dtype holding most weight elements. */
  public DType weightDtype() {
    return DType.of(code(QeffNative::qeff_model_weight_dtype));
  }

  /** Number of weight tensors. */
  public int numTensors() {
    return (int) number(QeffNative::qeff_model_num_tensors);
  }

  /** Weight tensor number {@code index} (tensors are sorted by name). */
  public TensorInfo tensor(int index) {
    return with(h -> {
      byte[][] name = new byte[1][];
      int[] dtype = new int[1];
      long[] rank = new long[1];
      QeffNative.qeff_model_tensor_info(h, index, name, dtype, rank, null);
      long[] dims = new long[(int) rank[0]];
      QeffNative.qeff_model_tensor_info(h, index, null, null, null, dims);
      return new TensorInfo(Utf8.string(name), DType.of(dtype[0]), dims);
    });
  }

  /** The weight tensor named {@code name}, if there is one. */
  public Optional<TensorInfo> tensor(String name) {
    byte[] key = Utf8.cString("tensor name", name);
    long[] index = new long[1];
    try {
      run(h -> QeffNative.qeff_model_find_tensor(h, key, index));
    } catch (QeffException e) {
      if (e.status() == Status.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(tensor((int) index[0]));
  }

  /** Every weight tensor, sorted by name. */
  public List<TensorInfo> tensors() {
    int n = numTensors();
    List<TensorInfo> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(tensor(i));
    }
    return out;
  }

  /**
   * A field of config.json as JSON text: {@code key} is a dot-separated path
   * ("rope_scaling.factor", "architectures.0"); "" gives the whole document.
   *
   * @throws QeffException NOT_FOUND when the path does not exist
   */
  public String config(String key) {
    byte[] k = Utf8.cString("config key", key);
    return string((h, out) -> QeffNative.qeff_model_config_get(h, k, out));
  }

  /** The model's tokenizer (a new handle, independent of the model's lifetime). */
  public Tokenizer tokenizer() {
    return new Tokenizer(with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_model_tokenizer(h, out);
      return out[0];
    }));
  }

  /** Compiles with default options. */
  public Program compile() {
    return compile(null);
  }

  /**
   * Compiles the model for the CPU ({@code qeff_compile}): "compile.*",
   * "model.*" and "cache.*" keys of {@code options} (may be null). The program
   * does not depend on the model afterwards.
   */
  public Program compile(Options options) {
    return new Program(with(h -> with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_compile(h, o, out);
      return out[0];
    })));
  }

  /**
   * Exports the model's graph as ONNX into {@code dir} (model.onnx +
   * model.onnx.data); "model.*" and "export.overwrite" keys of {@code options}
   * (may be null).
   */
  public void export(Path dir, Options options) {
    byte[] path = Utf8.cString("path", dir.toString());
    run(h -> with(options, o -> QeffNative.qeff_export(h, path, o)));
  }
}
