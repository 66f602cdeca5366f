package ai.qeff;

import static ai.qeff.Fixtures.at;
import static ai.qeff.Fixtures.ints;
import static ai.qeff.Fixtures.model;
import static ai.qeff.Fixtures.num;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tokenizers against the official tokenizers' references; text with NUL inside; lone surrogates refused. */
@SuppressWarnings("try") // closes resources early on purpose (independent lifetimes)
class TokenizerTest {
  @ParameterizedTest
  @ValueSource(strings = {"bert-tiny", "llama-tiny", "gpt2-tiny", "xlm-roberta-tiny"})
  void encodeAndDecodeMatchTheReference(String name) {
    Map<String, Object> ref = Fixtures.reference(name);
    try (Tokenizer t = Tokenizer.load(model(name))) {
      for (Object prompt : (List<?>) at(ref, "prompts")) {
        String text = (String) at(prompt, "text");
        int[] ids = ints(at(prompt, "ids"));
        if (Boolean.TRUE.equals(at(prompt, "add_special_tokens"))) {
          assertArrayEquals(ids, t.encode(text), text);
        }
        assertEquals(at(prompt, "decoded"), t.decode(ids), text);
        assertEquals(at(prompt, "decoded_skip_special"), t.decode(ids, true), text);
      }
    }
  }

  @Test
  void vocabularyAndSpecialTokens() {
    Map<String, Object> ref = Fixtures.reference("llama-tiny");
    try (Model m = Model.load(model("llama-tiny")); Tokenizer t = m.tokenizer()) {
      m.close(); // the tokenizer does not depend on the model
      assertEquals(512, t.vocabSize());
      assertEquals(OptionalInt.of(num(ref, "special_token_ids", "tokenizer_bos")), t.specialId(Tokenizer.Special.BOS));
      assertEquals(OptionalInt.of(num(ref, "special_token_ids", "tokenizer_eos")), t.specialId(Tokenizer.Special.EOS));
      assertEquals(OptionalInt.of(num(ref, "special_token_ids", "tokenizer_pad")), t.specialId(Tokenizer.Special.PAD));
      assertEquals(OptionalInt.of(num(ref, "special_token_ids", "tokenizer_unk")), t.specialId(Tokenizer.Special.UNK));
      assertEquals(2, t.tokenToId("</s>"));
      assertEquals("<s>", t.idToToken(1));
      assertEquals("▁Hello", t.idToToken(460));
      assertEquals(460, t.tokenToId("▁Hello"));
      assertEquals(Status.NOT_FOUND, assertThrows(QeffException.class, () -> t.tokenToId("no such token")).status());
      assertEquals(Status.NOT_FOUND, assertThrows(QeffException.class, () -> t.idToToken(512)).status());
      assertEquals(Status.INVALID_ARGUMENT, assertThrows(QeffException.class, () -> t.decode(new int[] {9999})).status());
    }
    try (Tokenizer t = Tokenizer.load(model("bert-tiny"))) {
      Map<String, Object> bert = Fixtures.reference("bert-tiny");
      assertEquals(OptionalInt.of(num(bert, "special_token_ids", "pad")), t.specialId(Tokenizer.Special.PAD));
      assertEquals(OptionalInt.empty(), t.specialId(Tokenizer.Special.BOS));
    }
  }

  @Test
  void offsetsPaddingAndBatches() {
    String emoji = "hello world \uD83D\uDE00";
    int bytes = emoji.getBytes(StandardCharsets.UTF_8).length;
    try (Tokenizer t = Tokenizer.load(model("llama-tiny"));
        Options o = new Options().set("tokenize.padding", "longest").set("tokenize.padding_side", "left")) {
      Encoding one = t.encode(emoji, null);
      assertEquals(1, one.numRows());
      int n = one.ids()[0].length;
      assertEquals(2 * n, one.offsets()[0].length);
      assertEquals(bytes, one.offsets()[0][2 * n - 1], "offsets are UTF-8 byte offsets");
      assertEquals(1, one.ids()[0][0]);

      Encoding batch = t.encodeBatch(List.of(emoji, "hi"), o);
      assertEquals(2, batch.numRows());
      assertEquals(n, batch.ids()[1].length, "padded to the longest row");
      assertArrayEquals(one.ids()[0], batch.ids()[0]);
      assertEquals(0, batch.attentionMask()[1][0], "padding on the left");
      assertEquals(1, batch.attentionMask()[1][n - 1]);
      try (Options noSpecial = new Options().addSpecialTokens(false)) {
        assertEquals(n - 1, t.encode(emoji, noSpecial).ids()[0].length);
      }
    }
  }

  @Test
  void streamingDecoderConcatenatesToTheDecode() {
    String text = "h\u00e9llo \uD83D\uDC4B w\u00f6rld \u65e5\u672c";
    try (Tokenizer t = Tokenizer.load(model("llama-tiny"))) {
      int[] ids = t.encode(text);
      try (StreamDecoder d = t.decoder(true)) {
        t.close(); // the decoder keeps its tokenizer alive
        for (int round = 0; round < 2; round++) {
          StringBuilder b = new StringBuilder();
          for (int id : ids) {
            b.append(d.step(id));
          }
          b.append(d.finish());
          assertEquals(text, b.toString());
        }
        assertThrows(QeffException.class, () -> d.step(-5));
      }
    }
  }

  /** A NUL in a text passed with its length (RELIABILITY B8.67): text goes down as UTF-8 bytes. */
  static final String NUL_TEXT = "a\0b\0\0c \uD83D\uDC4B\0";

  /**
   * A NUL inside a text is an ordinary character (llama-tiny's byte token
   * {@code <0x00>}), never a C-string cut, through encode, batch encode,
   * decode, the streaming decoder and requests; arguments the C side reads
   * as C strings refuse a NUL instead of cutting at it.
   */
  @Test
  void nulInsideTextIsACharacter() {
    int bytes = NUL_TEXT.getBytes(StandardCharsets.UTF_8).length;
    try (Tokenizer t = Tokenizer.load(model("llama-tiny"))) {
      int nul = t.tokenToId("<0x00>");
      int[] ids = t.encode(NUL_TEXT);
      assertEquals(4, Arrays.stream(ids).filter(id -> id == nul).count(), Arrays.toString(ids));
      Encoding one = t.encode(NUL_TEXT, null);
      long[] offsets = one.offsets()[0];
      assertEquals(bytes - 1, offsets[offsets.length - 2], "the last token is the final NUL byte");
      assertEquals(bytes, offsets[offsets.length - 1]);
      assertEquals(NUL_TEXT, t.decode(ids, true));
      try (StreamDecoder d = t.decoder(true)) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
          b.append(d.step(id));
        }
        assertEquals(NUL_TEXT, b.append(d.finish()).toString());
      }
      Encoding batch = t.encodeBatch(List.of(NUL_TEXT, "x", "\0"), null);
      assertArrayEquals(ids, batch.ids()[0]);
      int[] lone = batch.ids()[2];
      assertEquals(nul, lone[lone.length - 1]);
      try (Request r = new Request().addText(NUL_TEXT).addTextPair("q\0", "\0d")) {
        assertEquals(2, r.numRows());
      }
      assertThrows(IllegalArgumentException.class, () -> t.tokenToId("<0x00>\0"));
    }
  }

  /** Strings holding a lone surrogate, with the index of the first one. */
  static Stream<Arguments> loneSurrogates() {
    return Stream.of(Arguments.of("\uD800", 0), Arguments.of("ok \uDFFF", 3),
        Arguments.of("emoji \uD83D\uDC4B half \uD83D", 14), Arguments.of("\uDC4B\uD83D", 0));
  }

  /**
   * A lone surrogate (half of a UTF-16 pair) has no UTF-8 form; String.getBytes
   * would silently send '?'. Every text and string argument refuses it with
   * IllegalArgumentException naming the argument (and the item of a list) and
   * the index, before any native call; a whole pair (an emoji) is fine, and the
   * handles stay usable.
   */
  @ParameterizedTest
  @MethodSource("loneSurrogates")
  void loneSurrogatesAreRefusedNamingTheArgument(String text, int index) {
    try (Tokenizer t = Tokenizer.load(model("llama-tiny"));
         Options o = new Options();
         Request r = new Request().addText("fine")) {
      Map<String, Executable> calls = new LinkedHashMap<>();
      calls.put("text", () -> t.encode(text));
      calls.put("texts[1]", () -> t.encodeBatch(List.of("fine", text), null));
      calls.put("token", () -> t.tokenToId(text));
      calls.put("second", () -> r.addTextPair("fine", text));
      calls.put("option value", () -> o.set("model.pooling", text));
      calls.put("option key", () -> o.setText(text, "x"));
      calls.put("stops[1]", () -> o.stop(List.of("fine", text)));
      calls.put("texts[2]", () -> Request.ofTexts(List.of("a", "b", text)).close());
      for (Map.Entry<String, Executable> call : calls.entrySet()) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call.getValue(), call.getKey());
        assertTrue(e.getMessage().startsWith(call.getKey() + " has a lone surrogate"), e.getMessage());
        assertTrue(e.getMessage().contains("at index " + index + " "), e.getMessage());
      }
      assertEquals(1, r.numRows(), "the refused pair added no row");
      assertEquals("", o.get("model.pooling"), "the refused value changed nothing");
      String emoji = "fine \uD83D\uDC4B";
      assertEquals(emoji, t.decode(t.encode(emoji), true), "a whole pair is one 4-byte character");
    }
  }
}
