package ai.qeff;

import ai.qeff.internal.QeffNative;
import java.util.List;

/**
 * The inputs of one {@link Program#run} or {@link Program#stream} call
 * ({@code qeff_request}): a batch of texts, text pairs (rerankers) or token-id
 * sequences, one per row. Texts are copied as UTF-8 (NUL allowed). Not to be
 * modified while a call uses it; programs and streams copy what they need.
 */
public final class Request extends NativeHandle {
  /** An empty request. */
  public Request() {
    super(create(), QeffNative::qeff_request_free);
  }

  private static long create() {
    long[] out = new long[1];
    QeffNative.qeff_request_create(out);
    return out[0];
  }

  /** A request with one text row per element of {@code texts}. */
  public static Request ofTexts(List<String> texts) {
    Request r = new Request();
    try {
      int i = 0;
      for (String text : texts) {
        r.addUtf8(Utf8.bytes("texts", i++, text));
      }
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
    return r;
  }

  /** Appends a text row. */
  public Request addText(String text) {
    return addUtf8(Utf8.bytes("text", text));
  }

  private Request addUtf8(byte[] text) {
    run(h -> QeffNative.qeff_request_add_text(h, text));
    return this;
  }

  /** Appends a (query, document) pair row, for rerankers. */
  public Request addTextPair(String first, String second) {
    byte[] a = Utf8.bytes("first", first);
    byte[] b = Utf8.bytes("second", second);
    run(h -> QeffNative.qeff_request_add_text_pair(h, a, b));
    return this;
  }

  /** Appends a row of token ids, used as given (special tokens included). */
  public Request addTokens(int... ids) {
    run(h -> QeffNative.qeff_request_add_tokens(h, ids));
    return this;
  }

  /** Number of rows. */
  public int numRows() {
    return with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_request_num_rows(h, out);
      return (int) out[0];
    });
  }
}
