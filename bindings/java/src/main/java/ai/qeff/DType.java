package ai.qeff;

import ai.qeff.internal.QeffNative;

/** Element types of tensors ({@code qeff_dtype}); values pinned by the C ABI. */
public enum DType {
  UNKNOWN(0), F32(1), F16(2), BF16(3), F64(4), I64(5), I32(6), I16(7), I8(8), U8(9), BOOL(10),
  U16(11), U32(12), U64(13), F8_E4M3(14), F8_E5M2(15), F8_E8M0(16), F6_E2M3(17), F6_E3M2(18),
  F4(19), C64(20), U4(21);

  private final int code;

  DType(int code) {
    this.code = code;
  }

  /** The pinned numeric value. */
  public int code() {
    return code;
  }

  /** The name safetensors writes ("F32", "BF16", ...), from the C library. */
  public String safetensorsName() {
    return Utf8.string(QeffNative.qeff_dtype_name(code));
  }

  /** The dtype with this value ({@link #UNKNOWN} otherwise). */
  public static DType of(int code) {
    for (DType d : values()) {
      if (d.code == code) {
        return d;
      }
    }
    return UNKNOWN;
  }
}
