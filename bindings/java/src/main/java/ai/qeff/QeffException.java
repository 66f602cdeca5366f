package ai.qeff;

import java.nio.charset.StandardCharsets;

/**
 * A failed qeff call: the C status code (by {@link #status() name} and
 * {@link #code() number}) and the C library's message, which names the file,
 * key, value or limit involved. Unchecked, like the rest of the JDK's
 * runtime failures; thrown by the JNI layer from the thread-local error of the
 * very native call that failed.
 */
public class QeffException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String nativeMessage;

  /** An exception for status {@code code} with the C library's {@code message}. */
  public QeffException(int code, String message) {
    super(Status.of(code).cName() + " (" + code + "): " + message);
    this.code = code;
    this.nativeMessage = message;
  }

  /** Called from JNI: the message arrives as the C library's UTF-8 bytes. */
  private QeffException(int code, byte[] message) {
    this(code, new String(message, StandardCharsets.UTF_8));
  }

  /** The status, e.g. {@link Status#NOT_FOUND}. */
  public Status status() {
    return Status.of(code);
  }

  /** The numeric status code, e.g. 2 for {@code QEFF_E_NOT_FOUND}. */
  public int code() {
    return code;
  }

  /** The C library's message alone (without the status prefix of {@link #getMessage()}). */
  public String nativeMessage() {
    return nativeMessage;
  }
}
