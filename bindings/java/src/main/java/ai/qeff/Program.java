package ai.qeff;

import ai.qeff.internal.QeffNative;
import java.nio.file.Path;
import java.util.List;

/**
 * A compiled program ({@code qeff_program}): the model's graph specialized for
 * fixed shapes, with its weights packed and its tokenizer. Immutable:
 * concurrent {@link #run} / {@link #embed} / {@link #generate} calls from any
 * threads are safe. Results and streams do not depend on the program: it may
 * be closed before them.
 */
public final class Program extends NativeHandle {
  Program(long handle) {
    super(handle, QeffNative::qeff_program_free);
  }

  /** Loads a package directory written by {@link #save}. */
  public static Program load(Path dir) {
    return load(dir, null);
  }

  /** Loads a package directory; "package.verify" of {@code options} (may be null). */
  public static Program load(Path dir, Options options) {
    byte[] path = Utf8.cString("path", dir.toString());
    return new Program(with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_program_load(path, o, out);
      return out[0];
    }));
  }

  /** Compiles an ONNX file (external data beside it); "compile.*" keys of {@code options} (may be null). */
  public static Program compileOnnx(Path onnx, Options options) {
    byte[] path = Utf8.cString("path", onnx.toString());
    return new Program(with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_compile_onnx(path, o, out);
      return out[0];
    }));
  }

  /** Writes the program as a package directory; "package.overwrite" of {@code options} (may be null). */
  public void save(Path dir, Options options) {
    byte[] path = Utf8.cString("path", dir.toString());
    run(h -> with(options, o -> QeffNative.qeff_program_save(h, path, o)));
  }

  /** A JSON description: target, specializations, inputs and outputs, retained state. */
  public String info() {
    return with(h -> {
      byte[][] out = new byte[1][];
      QeffNative.qeff_program_info(h, out);
      return Utf8.string(out);
    });
  }

  /**
   * The tokenizer the program carries.
   *
   * @throws QeffException NOT_FOUND when it has none (compiled from ONNX)
   */
  public Tokenizer tokenizer() {
    return new Tokenizer(with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_program_tokenizer(h, out);
      return out[0];
    }));
  }

  /** Runs the program on a request ({@code qeff_generate}); "generate.*" keys of {@code options} (may be null). */
  public Result run(Request request, Options options) {
    return new Result(with(h -> request.with(r -> with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_generate(h, r, o, out);
      return out[0];
    }))));
  }

  /** Embeds texts with an embedding program: one {@code float[dim]} per text, in order. */
  public float[][] embed(List<String> texts) {
    return embed(texts, null);
  }

  /** Embeds texts ("generate.truncate" and "tokenize.*" keys of {@code options}, may be null). */
  public float[][] embed(List<String> texts, Options options) {
    try (Request request = Request.ofTexts(texts); Result result = run(request, options)) {
      return result.embeddings();
    }
  }

  /** Reranker scores of (query, document) pairs: {@code [documents][num_labels]}. */
  public float[][] scores(String query, List<String> documents, Options options) {
    try (Request request = new Request()) {
      documents.forEach(d -> request.addTextPair(query, d));
      try (Result result = run(request, options)) {
        return result.scores();
      }
    }
  }

  /** Generates from one prompt with a causal-LM program. */
  public GenerationResult generate(String prompt, Options options) {
    return generate(List.of(prompt), options);
  }

  /**
   * Generates from prompts with a causal-LM program, to the end of every row
   * (greedy unless "generate.do_sample"; "generate.max_new_tokens", stop
   * strings, ... from {@code options}, may be null).
   */
  public GenerationResult generate(List<String> prompts, Options options) {
    try (Request request = Request.ofTexts(prompts); Result result = run(request, options)) {
      return result.toGenerationResult();
    }
  }

  /** Streams the generation from one prompt. */
  public TextStream stream(String prompt, Options options) {
    return stream(List.of(prompt), options);
  }

  /** Streams the generation from prompts; see {@link TextStream}. */
  public TextStream stream(List<String> prompts, Options options) {
    try (Request request = Request.ofTexts(prompts)) {
      return stream(request, options);
    }
  }

  /** Streams a generation over a request (which may be closed right after). */
  public TextStream stream(Request request, Options options) {
    return new TextStream(with(h -> request.with(r -> with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_stream_create(h, r, o, out);
      return out[0];
    }))));
  }
}
