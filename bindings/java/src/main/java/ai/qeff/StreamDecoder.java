package ai.qeff;

import ai.qeff.internal.QeffNative;

/**
 * Turns the ids of a generation, one at a time, into pieces of text that are
 * always complete UTF-8 ({@code qeff_decoder}). The pieces of every
 * {@link #step} plus {@link #finish()} concatenate to the tokenizer's decode
 * of all the ids. One thread at a time. Keeps its tokenizer alive (the
 * {@link Tokenizer} may be closed first).
 */
public final class StreamDecoder extends NativeHandle {
  StreamDecoder(long handle) {
    super(handle, QeffNative::qeff_decoder_free);
  }

  /** The text completed by the next id (often ""). */
  public synchronized String step(int id) {
    return with(h -> {
      byte[][] piece = new byte[1][];
      QeffNative.qeff_decoder_step(h, id, piece);
      return Utf8.string(piece);
    });
  }

  /** Ends the stream: the text still held (the decoder is then ready for a new stream). */
  public synchronized String finish() {
    return with(h -> {
      byte[][] piece = new byte[1][];
      QeffNative.qeff_decoder_finish(h, piece);
      return Utf8.string(piece);
    });
  }
}
