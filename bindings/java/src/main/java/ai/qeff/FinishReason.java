package ai.qeff;

/** Why a generated row ended ({@code qeff_finish_reason}); values pinned by the C ABI. */
public enum FinishReason {
  /** Still open (never in a finished result). */
  NONE(0),
  /** An end-of-sequence token (kept in the tokens). */
  EOS(1),
  /** {@code generate.max_new_tokens} (or generation_config's limit). */
  LENGTH(2),
  /** A stop string (the text ends before it). */
  STOP(3),
  /** Prompt + generated tokens filled the compiled {@code ctx_len}. */
  CONTEXT(4),
  /** Cancelled ({@link TextStream#cancel()}, or a {@link CancelToken} the stream was created with). */
  CANCELLED(5);

  private final int code;

  FinishReason(int code) {
    this.code = code;
  }

  /** The pinned numeric value. */
  public int code() {
    return code;
  }

  /** The reason with this value. */
  public static FinishReason of(int code) {
    for (FinishReason r : values()) {
      if (r.code == code) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown finish reason " + code);
  }
}
