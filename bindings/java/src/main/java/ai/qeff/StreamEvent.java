package ai.qeff;

/**
 * One event of a {@link TextStream}.
 *
 * @param row the request row (prompt) it belongs to
 * @param token the token id generated, or -1 for the text released when the row ends
 * @param text the text this event adds to the row (may be empty while a
 *     multi-byte character or a possible stop string is held back); a row's
 *     texts concatenate to its final text
 * @param rowFinished whether this is the row's last event
 */
public record StreamEvent(int row, int token, String text, boolean rowFinished) {}
