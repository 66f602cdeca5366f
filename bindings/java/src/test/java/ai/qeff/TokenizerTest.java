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
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tokenizers against the official tokenizers' references. */
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
}
