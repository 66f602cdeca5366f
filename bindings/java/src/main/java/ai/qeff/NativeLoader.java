package ai.qeff;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads the JNI library {@code libqeff_jni.so} once per class loader: from
 * {@code java.library.path} when it is there ({@code System.loadLibrary}),
 * otherwise extracted from the jar ({@code /native/linux-x86_64/}) to a
 * temporary file that is deleted when the JVM exits. The library links qeff's
 * core statically, so it needs no {@code libqeff.so} beside it.
 */
public final class NativeLoader {
  /** The library name for {@code System.loadLibrary}. */
  public static final String LIBRARY = "qeff_jni";
  /** Where the jar carries the library. */
  public static final String RESOURCE = "/native/linux-x86_64/libqeff_jni.so";

  private static volatile String loadedFrom;

  private NativeLoader() {}

  /**
   * Loads the library if this class loader has not yet. Thread-safe.
   *
   * @throws UnsatisfiedLinkError when it is neither on java.library.path nor in the jar
   */
  public static void load() {
    if (loadedFrom != null) {
      return;
    }
    synchronized (NativeLoader.class) {
      if (loadedFrom != null) {
        return;
      }
      UnsatisfiedLinkError notOnPath;
      try {
        System.loadLibrary(LIBRARY);
        loadedFrom = "java.library.path";
        return;
      } catch (UnsatisfiedLinkError e) {
        notOnPath = e;
      }
      try (InputStream in = NativeLoader.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw notOnPath;
        }
        Path file = Files.createTempFile("libqeff_jni", ".so");
        file.toFile().deleteOnExit();
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        System.load(file.toAbsolutePath().toString());
        loadedFrom = "jar";
      } catch (IOException e) {
        UnsatisfiedLinkError err = new UnsatisfiedLinkError("cannot extract " + RESOURCE + ": " + e);
        err.addSuppressed(notOnPath);
        throw err;
      }
    }
  }

  /** "java.library.path" or "jar" once loaded, else null. */
  public static String loadedFrom() {
    return loadedFrom;
  }
}
