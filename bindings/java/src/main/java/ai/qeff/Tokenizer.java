package ai.qeff;

import ai.qeff.internal.QeffNative;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;

/**
 * A HuggingFace tokenizer ({@code qeff_tokenizer}): ids, byte offsets and
 * decoding as the {@code tokenizers} library gives them. Immutable and
 * thread-safe; independent of the model or program it came from. Texts are
 * exchanged as real UTF-8: emoji and NUL characters survive.
 */
public final class Tokenizer extends NativeHandle {
  /** Which special token {@link #specialId} reports ({@code qeff_special_token}). */
  public enum Special {
    BOS, EOS, PAD, UNK
  }

  Tokenizer(long handle) {
    super(handle, QeffNative::qeff_tokenizer_free);
  }

  /** Loads the tokenizer of a model directory (tokenizer.json, else vocab.txt). */
  public static Tokenizer load(Path dir) {
    return load(dir, null);
  }

  /** Loads the tokenizer of a model directory; "load.allowed_root" and "limits.input_bytes" of {@code options}. */
  public static Tokenizer load(Path dir, Options options) {
    byte[] path = Utf8.cString("path", dir.toString());
    return new Tokenizer(with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_tokenizer_load(path, o, out);
      return out[0];
    }));
  }

  /** The token ids of {@code text} with the tokenizer's special tokens. */
  public int[] encode(String text) {
    return encode(text, null).ids()[0];
  }

  /** Encodes one text with "tokenize.*" options (may be null). */
  public Encoding encode(String text, Options options) {
    byte[] bytes = Utf8.bytes("text", text);
    return read(with(h -> with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_tokenizer_encode(h, bytes, o, out);
      return out[0];
    })));
  }

  /** Encodes a batch; padding ("tokenize.padding") applies across it. */
  public Encoding encodeBatch(List<String> texts, Options options) {
    byte[][] batch = Utf8.batch("texts", texts);
    return read(with(h -> with(options, o -> {
      long[] out = new long[1];
      QeffNative.qeff_tokenizer_encode_batch(h, batch, o, out);
      return out[0];
    })));
  }

  /** Copies a native encoding into Java arrays and frees it. */
  private static Encoding read(long encoding) {
    try {
      long[] rows = new long[1];
      QeffNative.qeff_encoding_num_rows(encoding, rows);
      int n = (int) rows[0];
      int[][] ids = new int[n][];
      int[][] mask = new int[n][];
      long[][] offsets = new long[n][];
      for (int r = 0; r < n; r++) {
        int[][] row = new int[2][];
        QeffNative.qeff_encoding_row(encoding, r, row);
        ids[r] = row[0];
        mask[r] = row[1];
        long[][] off = new long[1][];
        QeffNative.qeff_encoding_offsets(encoding, r, off);
        offsets[r] = off[0];
      }
      return new Encoding(ids, mask, offsets);
    } finally {
      QeffNative.qeff_encoding_free(encoding);
    }
  }

  /** Decodes ids to text, special tokens included (HuggingFace's default). */
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  /** Decodes ids to text; with {@code skipSpecialTokens} special tokens are left out. */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    return with(h -> {
      byte[][] out = new byte[1][];
      QeffNative.qeff_tokenizer_decode(h, ids, skipSpecialTokens ? 1 : 0, out);
      return Utf8.string(out);
    });
  }

  /**
   * The id of a vocabulary string (e.g. "&lt;s&gt;" or "Ġthe").
   *
   * @throws QeffException NOT_FOUND when there is no such token
   */
  public int tokenToId(String token) {
    byte[] t = Utf8.cString("token", token);
    return with(h -> {
      int[] out = new int[1];
      QeffNative.qeff_tokenizer_token_to_id(h, t, out);
      return out[0];
    });
  }

  /**
   * The vocabulary string of an id.
   *
   * @throws QeffException NOT_FOUND when no token has this id
   */
  public String idToToken(int id) {
    return with(h -> {
      byte[][] out = new byte[1][];
      QeffNative.qeff_tokenizer_id_to_token(h, id, out);
      return Utf8.string(out);
    });
  }

  /** Number of ids, added tokens included. */
  public long vocabSize() {
    return with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_tokenizer_vocab_size(h, out);
      return out[0];
    });
  }

  /** The id of a special token, or empty when the tokenizer has none. */
  public OptionalInt specialId(Special which) {
    return with(h -> {
      int[] out = new int[1];
      try {
        QeffNative.qeff_tokenizer_special_id(h, which.ordinal(), out);
      } catch (QeffException e) {
        if (e.status() == Status.NOT_FOUND) {
          return OptionalInt.empty();
        }
        throw e;
      }
      return OptionalInt.of(out[0]);
    });
  }

  /** A streaming decoder over this tokenizer. */
  public StreamDecoder decoder(boolean skipSpecialTokens) {
    return new StreamDecoder(with(h -> {
      long[] out = new long[1];
      QeffNative.qeff_decoder_create(h, skipSpecialTokens ? 1 : 0, out);
      return out[0];
    }));
  }
}
