package ai.qeff;

/**
 * Status codes of the qeff C API ({@code qeff_status}). The numbers are pinned
 * by the ABI and never reused; {@link #UNKNOWN} stands for a code this binding
 * does not know (a newer library).
 */
public enum Status {
  OK(0),
  INVALID_ARGUMENT(1),
  NOT_FOUND(2),
  IO(3),
  FORMAT(4),
  CONFIG(5),
  MISMATCH(6),
  UNSUPPORTED(7),
  LIMIT(8),
  OOM(9),
  SECURITY(10),
  CONTEXT_OVERFLOW(11),
  NUMERIC(12),
  CANCELLED(13),
  BUSY(14),
  INVALID_HANDLE(15),
  STATE(16),
  INTERNAL(17),
  UNKNOWN(-1);

  private final int code;

  Status(int code) {
    this.code = code;
  }

  /** The pinned numeric value, as the C API returns it. */
  public int code() {
    return code;
  }

  /** The C name, e.g. {@code "QEFF_E_NOT_FOUND"} ({@code "QEFF_OK"} for {@link #OK}). */
  public String cName() {
    return this == OK ? "QEFF_OK" : "QEFF_E_" + name();
  }

  /** The status with this numeric value, or {@link #UNKNOWN}. */
  public static Status of(int code) {
    for (Status s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    return UNKNOWN;
  }
}
