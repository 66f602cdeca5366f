package ai.qeff;

import java.util.List;
import java.util.Map;

/**
 * What a causal-LM generation produced, per prompt row, copied into Java
 * values (nothing to close).
 *
 * @param texts the generated text of each row (special tokens left out by default)
 * @param tokens the generated token ids of each row (an EOS that ended it included)
 * @param finishReasons why each row ended
 * @param promptTokens the number of prompt tokens each row ran with
 * @param stats statistics: "ttft_ms", "prefill_ms", "decode_ms", "total_ms",
 *     "decode_tokens_per_s", "prompt_tokens", "generated_tokens", ...
 */
public record GenerationResult(
    List<String> texts,
    List<int[]> tokens,
    List<FinishReason> finishReasons,
    int[] promptTokens,
    Map<String, Double> stats) {
  /** The text of the first row (a single prompt). */
  public String text() {
    return texts.get(0);
  }

  /** Time to first token in milliseconds. */
  public double ttftMs() {
    return stats.getOrDefault("ttft_ms", Double.NaN);
  }

  /** Decode throughput in tokens per second. */
  public double decodeTokensPerSecond() {
    return stats.getOrDefault("decode_tokens_per_s", Double.NaN);
  }
}
