package ai.qeff;

/**
 * A known option key, as the C library's registry lists it
 * ({@link Qeff#optionKeys()}).
 *
 * @param name the key, e.g. "compile.batch_size"
 * @param type its value type
 * @param description a one-line description
 */
public record OptionKey(String name, Type type, String description) {
  /** The value type of an option ({@code qeff_option_type}; values pinned). */
  public enum Type {
    BOOL, INT, FLOAT, STRING, INT_LIST;

    /** The type with this pinned value (its ordinal). */
    static Type of(int code) {
      return values()[code];
    }
  }
}
