package ai.qeff;

/**
 * The result of {@link Tokenizer#encode(String, Options)} or
 * {@link Tokenizer#encodeBatch}: per row, the token ids, the attention mask
 * (1 for a token, 0 for padding) and the byte offsets ({@code [begin, end)}
 * pairs into the text's UTF-8 bytes; {0, 0} for inserted special tokens and
 * padding). A plain Java value: nothing to close.
 *
 * @param ids token ids per row
 * @param attentionMask the mask per row
 * @param offsets 2 * length byte offsets per row
 */
public record Encoding(int[][] ids, int[][] attentionMask, long[][] offsets) {
  /** Number of rows (texts). */
  public int numRows() {
    return ids.length;
  }
}
