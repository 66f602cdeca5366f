package ai.qeff;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Real UTF-8 at the JNI boundary (never JNI's modified UTF-8): Java strings go
 * down as UTF-8 bytes and come back from the C library's UTF-8 bytes.
 */
final class Utf8 {
  private Utf8() {}

  /** The UTF-8 bytes of a text passed with its length (NUL is an ordinary character). */
  static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The UTF-8 bytes of a string the C side reads as a NUL-terminated C
   * string (paths, option keys, token strings); the JNI layer appends the
   * terminator. A NUL inside would silently cut the string, so it is refused.
   */
  static byte[] cString(String what, String text) {
    if (text == null) {
      throw new NullPointerException(what);
    }
    if (text.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(what + " must not contain a NUL character");
    }
    return bytes(text);
  }

  /** A string from UTF-8 bytes (null stays null). */
  static String string(byte[] utf8) {
    return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
  }

  /** The string an out-parameter holder received (null when none). */
  static String string(byte[][] holder) {
    return string(holder[0]);
  }

  /** Each text's UTF-8 bytes, for a batch. */
  static byte[][] batch(List<String> texts) {
    byte[][] out = new byte[texts.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = bytes(texts.get(i));
    }
    return out;
  }
}
