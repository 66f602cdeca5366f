package ai.qeff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Test fixtures: model directories under $QEFF_FIXTURES/models, their
 * official-transformers references under $QEFF_FIXTURES/reference and the
 * conformance vectors ($QEFF_CONFORMANCE), all set by `meson test`. Run
 * standalone, the paths default to the source tree's tests/.
 */
final class Fixtures {
  private Fixtures() {}

  static Path root() {
    String env = System.getenv("QEFF_FIXTURES");
    return env != null ? Path.of(env) : Path.of("../../tests/fixtures").toAbsolutePath().normalize();
  }

  static Path model(String name) {
    return root().resolve("models").resolve(name);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> json(Path file) {
    try {
      return (Map<String, Object>) Json.parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Map<String, Object> reference(String model) {
    return json(root().resolve("reference").resolve(model + ".json"));
  }

  static Map<String, Object> vectors() {
    String env = System.getenv("QEFF_CONFORMANCE");
    return json(env != null ? Path.of(env) : root().resolve("../conformance/vectors.json"));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> obj(Object o, String key) {
    return (Map<String, Object>) ((Map<String, Object>) o).get(key);
  }

  static Object at(Object o, String... path) {
    Object cur = o;
    for (String k : path) {
      cur = ((Map<?, ?>) cur).get(k);
    }
    return cur;
  }

  static String str(Object o, String... path) {
    return (String) at(o, path);
  }

  static int num(Object o, String... path) {
    return ((Double) at(o, path)).intValue();
  }

  static int[] ints(Object list) {
    List<?> l = (List<?>) list;
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Double) l.get(i)).intValue();
    }
    return out;
  }

  static float[] floats(Object list) {
    List<?> l = (List<?>) list;
    float[] out = new float[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Double) l.get(i)).floatValue();
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static List<String> strings(Object list) {
    return (List<String>) list;
  }
}
