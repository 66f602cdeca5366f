package ai.qeff;

import ai.qeff.internal.QeffNative;

/** What a model is for ({@code qeff_task}); values pinned by the C ABI. */
public enum Task {
  UNKNOWN(0),
  EMBEDDING(1),
  CAUSAL_LM(2),
  SEQUENCE_CLASSIFICATION(3);

  private final int code;

  Task(int code) {
    this.code = code;
  }

  /** The pinned numeric value. */
  public int code() {
    return code;
  }

  /** The C library's name: "embedding", "causal-lm", "sequence-classification", "unknown". */
  public String label() {
    return Utf8.string(QeffNative.qeff_task_name(code));
  }

  /** The task with this value ({@link #UNKNOWN} otherwise). */
  public static Task of(int code) {
    for (Task t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return UNKNOWN;
  }
}
