/*
 * Streams text from a causal LM (e.g. llama-tiny) and prints it as it is
 * produced, then why it ended and the performance figures (time to first
 * token, decode tokens/s).
 *
 *   java -cp qeff-0.1.0.jar Generate.java MODEL_DIR [PROMPT]
 */
import ai.qeff.GenerationResult;
import ai.qeff.Model;
import ai.qeff.Options;
import ai.qeff.Program;
import ai.qeff.TextStream;
import java.nio.file.Path;

public class Generate {
  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: java -cp qeff.jar Generate.java MODEL_DIR [PROMPT]");
      System.exit(2);
    }
    String prompt = args.length > 1 ? args[1] : "Hello world! The river was cold";
    try (Model model = Model.load(Path.of(args[0]));
         Options options = new Options().prefillSeqLen(32).ctxLen(128).maxNewTokens(24);
         Program program = model.compile(options);
         TextStream stream = program.stream(prompt, options)) {
      System.out.print(prompt);
      for (String piece : stream) {
        System.out.print(piece);
        System.out.flush();
      }
      System.out.println();
      GenerationResult r = stream.result();
      System.out.printf("finish: %s, %d prompt tokens, %d new tokens%n", r.finishReasons().get(0),
          r.promptTokens()[0], r.tokens().get(0).length);
      System.out.printf("TTFT %.2f ms, decode %.1f tok/s%n", r.ttftMs(), r.decodeTokensPerSecond());
    }
  }
}
