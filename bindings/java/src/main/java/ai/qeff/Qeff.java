package ai.qeff;

import ai.qeff.internal.QeffNative;
import ai.qeff.internal.QeffNativeConstants;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Library-wide facts: versions, status names and the registry of option keys. */
public final class Qeff {
  /** The version of the C header this binding was generated from, e.g. "0.1.0". */
  public static final String HEADER_VERSION = QeffNativeConstants.QEFF_VERSION_STRING;

  private Qeff() {}

  /** The version of the native library actually loaded, e.g. "0.1.0". */
  public static String version() {
    return Utf8.string(QeffNative.qeff_version());
  }

  /** {@code MAJOR * 10000 + MINOR * 100 + PATCH} of the loaded library. */
  public static int versionNumber() {
    return QeffNative.qeff_version_number();
  }

  /** The C library's name of a status code, e.g. "QEFF_E_FORMAT" ("QEFF_E_UNKNOWN" for an unknown code). */
  public static String statusName(int code) {
    return Utf8.string(QeffNative.qeff_status_name(code));
  }

  /** Every option key the library knows, in registry order (docs/options.md). */
  public static List<OptionKey> optionKeys() {
    long n = QeffNative.qeff_options_key_count();
    List<OptionKey> keys = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      byte[][] name = new byte[1][];
      byte[][] description = new byte[1][];
      int[] type = new int[1];
      QeffNative.qeff_options_key_info(i, name, type, description);
      keys.add(new OptionKey(Utf8.string(name), OptionKey.Type.of(type[0]), Utf8.string(description)));
    }
    return Collections.unmodifiableList(keys);
  }
}
