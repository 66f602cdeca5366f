package ai.qeff;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Real UTF-8 at the JNI boundary (never JNI's modified UTF-8): Java strings go
 * down as UTF-8 bytes and come back from the C library's UTF-8 bytes. The
 * encoding is strict: a lone surrogate (a UTF-16 half with no partner) has no
 * UTF-8 form, and {@code String.getBytes(UTF_8)} would silently turn it into
 * '?', so it is refused with an IllegalArgumentException naming the argument
 * and the index.
 */
final class Utf8 {
  private Utf8() {}

  /** The UTF-8 bytes of a text passed with its length (NUL is an ordinary character). */
  static byte[] bytes(String what, String text) {
    return bytes(what, -1, text);
  }

  /** {@link #bytes(String, String)} for item {@code index} of argument {@code what}. */
  static byte[] bytes(String what, int index, String text) {
    return wellFormed(what, index, text).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * {@code text} itself when every surrogate in it is half of a pair; throws
   * NullPointerException for null and IllegalArgumentException for a lone
   * surrogate, naming {@code what} (item {@code index} of it, when not -1) and
   * the index of the surrogate in the string.
   */
  static String wellFormed(String what, int index, String text) {
    if (text == null) {
      throw new NullPointerException(name(what, index));
    }
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (!Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
        continue;
      }
      throw new IllegalArgumentException(String.format(
          "%s has a lone surrogate U+%04X at index %d (no UTF-8 form)", name(what, index), (int) c, i));
    }
    return text;
  }

  private static String name(String what, int index) {
    return index < 0 ? what : what + "[" + index + "]";
  }

  /**
   * The UTF-8 bytes of a string the C side reads as a NUL-terminated C
   * string (paths, option keys, token strings); the JNI layer appends the
   * terminator. A NUL inside would silently cut the string, so it is refused,
   * as a lone surrogate is.
   */
  static byte[] cString(String what, String text) {
    byte[] bytes = bytes(what, text);
    int nul = text.indexOf('\0');
    if (nul >= 0) {
      throw new IllegalArgumentException(what + " must not contain a NUL character (index " + nul + ")");
    }
    return bytes;
  }

  /** A string from UTF-8 bytes (null stays null). */
  static String string(byte[] utf8) {
    return utf8 == null ? null : new String(utf8, StandardCharsets.UTF_8);
  }

  /** The string an out-parameter holder received (null when none). */
  static String string(byte[][] holder) {
    return string(holder[0]);
  }

  /** Each text's UTF-8 bytes, for a batch (argument {@code what}). */
  static byte[][] batch(String what, List<String> texts) {
    byte[][] out = new byte[texts.size()][];
    int i = 0;
    for (String text : texts) {
      out[i] = bytes(what, i, text);
      i++;
    }
    return out;
  }
}
