/*
 * Embeds a few sentences with an embedding model (e.g. bert-tiny) and prints
 * the dimension and the cosine similarity of every pair.
 *
 *   java -cp qeff-0.1.0.jar Embed.java MODEL_DIR
 */
import ai.qeff.Model;
import ai.qeff.Options;
import ai.qeff.Program;
import java.nio.file.Path;
import java.util.List;

public class Embed {
  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: java -cp qeff.jar Embed.java MODEL_DIR");
      System.exit(2);
    }
    List<String> texts = List.of(
        "The cat sits on the mat.",
        "A cat is sitting on a mat.",
        "Stock markets fell sharply today.");
    try (Model model = Model.load(Path.of(args[0]));
         Options compile = new Options().batchSize(2).seqLen(16, 32);
         Program program = model.compile(compile)) {
      float[][] e = program.embed(texts);
      System.out.printf("%s (%s): %d texts, %d dimensions%n", model.architecture(), model.task().label(),
          e.length, e[0].length);
      for (int i = 0; i < e.length; i++) {
        for (int j = i + 1; j < e.length; j++) {
          System.out.printf("cos(%d, %d) = %.4f  %s | %s%n", i, j, cosine(e[i], e[j]), texts.get(i), texts.get(j));
        }
      }
    }
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0, na = 0, nb = 0;
    for (int k = 0; k < a.length; k++) {
      dot += a[k] * b[k];
      na += a[k] * a[k];
      nb += b[k] * b[k];
    }
    return dot / Math.sqrt(na * nb);
  }
}
