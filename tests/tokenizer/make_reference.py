#!/usr/bin/env python3
"""Reference outputs of HuggingFace's Rust `tokenizers` for qeff's tokenizer parity tests.

Run with the reference interpreter (tokenizers 0.21, transformers 4.47):
    /work/refenv/bin/python tests/tokenizer/make_reference.py [--shared ../shared/data/tokenizers]

Writes, next to this script:
  corpus.json             the corpus: >= 300 literal strings plus large inputs described by a
                          generator (seed, size, alphabet) that the C++ test re-runs bit for bit
  generated/<name>/       tokenizer.json files trained here (deterministic): one per model type,
                          plus unigram_xlmr (derived from unigram: XLM-R's special pieces)
  reference/<name>.jsonl  one line per corpus entry: ids (special-token strings literal, i.e.
                          encode_special_tokens=True), ids with special tokens parsed when they
                          differ, byte offsets, decode with and without special tokens; large
                          inputs store a count and an FNV-1a digest of the ids instead
  reference/long_inputs.json  the 1 MB inputs of corpus.json "long" (RELIABILITY B8.68) on the
                          byte-level BPE, SentencePiece BPE and Unigram tokenizers: count and digest
                          of the ids, length and digest of the decode

nmt_nfkc.bin is SentencePiece's nmt_nfkc precompiled charsmap (from huggingface/spm_precompiled
src/nmt_nfkc.bin, Apache-2.0), used by the generated Unigram tokenizer's Precompiled normalizer.
"""
import argparse
import json
import os
import sys

# Training runs on rayon threads; one thread keeps it reproducible.
os.environ.setdefault("RAYON_NUM_THREADS", "1")

from tokenizers import (Tokenizer, Regex, decoders, models, normalizers, pre_tokenizers, processors,
                        trainers, AddedToken)

HERE = os.path.dirname(os.path.abspath(__file__))
MASK64 = (1 << 64) - 1


# ---------------------------------------------------------------------------
# Corpus

def literal_corpus():
    s = []
    s += ["", " ", "  ", "\t", "\n", "\n\n\n", " \t \n ", "\r\n", "a", "A", "Hello", " Hello", "   Hello",
          "Hello world", "Hello  world", "Hello   world   ", "hello\tworld", "hello\nworld", "line1\r\nline2",
          "The quick brown fox jumps over the lazy dog.",
          "I'm sure you've seen what they'd do; we'll see, won't we?",
          "It's John's book. THEY'RE HERE. You'LL see.",
          "don't do not can't n't 's 've 're 'm 'd 'll",
          "Mr. Smith paid $3.50 for 2 apples at 10:30am on 2024-01-15.",
          "Numbers: 0 1 12 123 1234 12345 123456 1234567 3.14159 -42 +7 1e10 0x1F 1,000,000",
          "phone +1 (555) 123-4567, zip 90210",
          "café résumé naïve façade — crème brûlée",
          "Hügel über Brücke. Mañana voy a la peña con José.",
          "São Paulo é uma cidade; Köln auch. Ærøskøbing. Œuvre. ß straße STRASSE",
          "e\u0301 vs \u00e9 (combining vs precomposed); A\u030a; \u212b; \u1e9b\u0323",
          "ﬁ ﬂ ﬀ ﬃ ligatures; ① ② ③; ²³¹; ½ ¼; Ⅻ; ㎏ ㎞; ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
          "Привет, мир! Это тест токенизатора.", "Москва — столица России. 12 миллионов.",
          "Καλημέρα κόσμε! Η γλώσσα είναι όμορφη. ΣΊΣΥΦΟΣ",
          "你好，世界！这是分词器测试。", "中文是世界上使用人口最多的语言之一。", "繁體中文與簡體中文有所不同。",
          "日本語のテキスト、カタカナとひらがな。東京タワー", "한국어 텍스트입니다. 안녕하세요!",
          "\u1100\u1161\u11a8 hangul jamo \u1112\u1161\u11ab",
          "ภาษาไทยไม่มีช่องว่างระหว่างคำ", "ខ្ញុំស្រលាញ់ភាសាខ្មែរ", "हिन्दी भाषा देवनागरी लिपि में लिखी जाती है।",
          "বাংলা ভাষা", "தமிழ் மொழி", "ଓଡ଼ିଆ ଭାଷା", "ગુજરાતી", "ಕನ್ನಡ", "മലയാളം", "සිංහල",
          "مرحبا بالعالم! هذا اختبار.", "שלום עולם! זה מבחן.", "mixed: hello مرحبا שלום world",
          "\u200fRTL mark\u200e LTR mark \u202bembedding\u202c",
          "😀 😃 😄 😁 emoji", "👍🏽 👋🏿 skin tones", "👨‍👩‍👧‍👦 family ZWJ", "🏳️‍🌈 flag", "😶‍🌫️ face in clouds",
          "🇫🇷🇩🇪🇯🇵 flags 🇺", "❤️ ❤ ☺️ ✌️ keycap 1️⃣ #️⃣", "🧑🏻‍💻 technologist", "👩‍❤️‍💋‍👨",
          "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝒶𝓁𝓅𝒽𝒶", "𠀀𠀁𪚥 rare CJK ext B", "\U0001F600\U0001F64F\U0001F680",
          "\u0000 nul \u0001 ctrl \u007f del \u0085 nel \u00a0 nbsp \u2028 ls \u3000 ideographic",
          "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom", "\ufffd replacement \uffff nonchar \U0010ffff",
          "tab\tseparated\tvalues\tand\ttrailing\t", "many     spaces     between", "     leading", "trailing     ",
          "\n\nparagraph one\n\nparagraph two\n\n\n", "mixed \t\n \r\n whitespace \u2003 em space",
          "def f(x):\n    return x ** 2  # square\n", "int main() { printf(\"%d\\n\", a[i]); return 0; }",
          "for (let i = 0; i < n; i++) { sum += arr[i]; }", "SELECT * FROM users WHERE id = 42 AND name LIKE '%bob%';",
          "<html><body class=\"main\">Hi &amp; bye</body></html>", "{\"key\": [1, 2, {\"x\": null}], \"y\": true}",
          "https://example.com/path?query=1&b=2#frag user@example.org", "C:\\Windows\\System32\\drivers",
          "$ git commit -m 'fix: bug #123' && make -j8", "x += y ** 2 // 3 % 4 != 5 >= 6 <= 7 << 8 >> 9",
          "snake_case camelCase PascalCase kebab-case SCREAMING_CASE", "αβγ ∑∫∂√∞ ≤≥≠≈ ∀∃∈∉ ⊂⊃ →←↔",
          "¡Hola! ¿Qué tal? «quotes» „German“ ‘single’ “double” ‹angle›", "—–-‐‑‒ dashes … ellipsis · middle dot",
          "....!!!???,,,;;;:::", "----====____****", "a.b.c.d", "e.g. i.e. etc. vs.", "U.S.A. U.K.",
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
          "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
          "Supercalifragilisticexpialidocious" * 3, "lol" * 40, "ab" * 70, "🙂" * 30, "中" * 60,
          "WordPiece ##subword [UNK] tokens", "▁metaspace▁char ▁ leading", "Ġ byte level Ġchar Ċ",
          "<0x41> <0xFF> byte tokens as text", "İstanbul ıi İI", "ǅ ǈ ǋ titlecase", "ＡＢＣ ａｂｃ",
          "Ⓐⓑⓒ circled", "x\u0301\u0323\u0302 stacked marks", "\u0915\u094d\u0937 conjunct",
          ]
    # RELIABILITY B8.72: Khmer (coeng clusters, digits, signs, ZWSP between words, dangling marks).
    s += ["ព្រះរាជាណាចក្រកម្ពុជា", "ស្ត្រី ក្ស្ម ង្គ", "សួស្ដី\u200bពិភពលោក\u200bនេះ", "លេខ ០១២៣៤៥៦៧៨៩ ៛ ៗ ។ ៕",
          "\u17d2 lone coeng ក\u17d2", "ក\u17b4ខ\u17b5គ inherent vowels", "ខ្មែរ Khmer 123 mixed"]
    # Hebrew and Arabic with their marks, bidi controls and mirrored brackets.
    s += ["בְּרֵאשִׁית בָּרָא אֱלֹהִים אֵת הַשָּׁמַיִם", "וַיְהִי֙ עֶ֣רֶב וַֽיְהִי־בֹ֖קֶר", "בֵּית־הַסֵּפֶר ״ציטוט״ ג׳",
          "\u05b0\u05b4 lone niqqud", "بِسْمِ ٱللَّٰهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ", "كِتَابٌ جَمِيلٌ، قَرَأْتُهُ؟ نَعَمْ.",
          "مـــرحـبـا tatweel", "لا لأ لإ لآ ﻻ ﷲ ﷺ", "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴ ٫٬٪", "می\u200cخواهم کتاب\u200cها را",
          "اردو زبان ہے۔", "\u0651\u064e lone harakat", "abc אבג 123 דהו def", "\u2067שלום\u2069 isolates \u2066abc\u2069",
          "\u202eRLO override\u202c \u202dLRO\u202c", "(مرحبا) [שלום] {x} «ع»"]
    # Noncharacters (U+FFFE, U+FFFF, U+FDD0.., plane ends) and lone regional indicators.
    s += ["\ufffe", "\uffff", "a\ufffeb\uffffc", "\ufdd0\ufdd1\ufdef noncharacters", "\U0001fffe\U0001ffff \U0010fffe\U0010ffff",
          "\ufeff\ufffe BOM and swapped BOM", "x \uffff\uffff\uffff y", "\U0001F1E6", "\U0001F1FA alone",
          "x\U0001F1FFy", "\U0001F1E6\U0001F1E7\U0001F1E8", "\U0001F1E6 \U0001F1E7", "\U0001F1FA\U0001F1F8\U0001F1E6",
          "\U0001F1E6\u0301 with a mark", "flag 🇫🇷 then \U0001F1E9 lone"]
    # Special-token strings inside text (each tokenizer's own and the others').
    specials = ["<|endoftext|>", "<s>", "</s>", "<unk>", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]",
                ">>TITLE<<", ">>ABSTRACT<<", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>",
                "<pad>", "<mask>", "[INST]", "[/INST]"]
    for t in specials:
        s += [t, f"Hello {t} world", f"{t}Hello", f"text{t}", f" {t} ", f"{t}{t}", f"a {t}\n{t}b"]
    s += ["<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>",
          "<s>[INST] What is 2+2? [/INST] 4</s>", "<|im_", "<|endoftext", "endoftext|>", "＜｜endoftext｜＞",
          "<<s>>", "<s<s>>", "[CLS][SEP]", "[cls] [sep] lowercase", "<S> </S> <UNK>",
          "keep lstrip   <|im_end|>   rstrip", "word<|im_end|>word", "Hello<|endoftext|>",
          # XLM-R-style specials that are also Unigram pieces (generated/unigram_xlmr).
          "hello <s> world", "hello</s>world", "a <pad> b <unk> c <mask>", "<s><mask></s>", "  <mask>  x",
          "fill the <mask>.", "<s>hello</s></s>world</s>", "<unk><unk>"]
    # Combinations: word x separator x word, deterministic.
    words = ["hello", "Über", "naïve", "東京", "Москва", "🙂", "123", "3.5", "don't", "x_y", "<s>", "##ing", "İ"]
    seps = [" ", "  ", "\t", "\n", "", "-", ", ", "。"]
    k = 0
    for i, a in enumerate(words):
        for j, b in enumerate(words):
            if (i * 7 + j * 3) % 3 != 1:
                s.append(a + seps[k % len(seps)] + b)
                k += 1
    return s


def large_inputs():
    # Regenerated by the C++ test: x = x * 6364136223846793005 + 1442695040888963407 (mod 2^64),
    # piece = alphabet[(x >> 33) % len(alphabet)], appended until size >= bytes.
    return [
        {"seed": 1, "bytes": 100_000, "alphabet": ["the ", "quick ", "brown ", "fox ", "jumps ", "over ",
                                                   "lazy ", "dog", ". ", "\n", "123 ", "naïve ", "日本 ", "🙂 ",
                                                   "don't ", "  ", "\t", "über", ", "]},
        {"seed": 2, "bytes": 100_000, "alphabet": ["a"]},
        {"seed": 3, "bytes": 100_000, "alphabet": ["中", "文", "字", "😀", "é", "ñ", "ß", "字符", "🏳️‍🌈"]},
    ]


def long_inputs():
    # RELIABILITY B8.68: 1 MB that is one pre-tokenizer piece ("^" and a CJK run without spaces) or a
    # million one-character pieces (newlines); same generator as large_inputs.
    return [
        {"name": "caret", "seed": 4, "bytes": 1_000_000, "alphabet": ["^"]},
        {"name": "cjk", "seed": 5, "bytes": 1_000_000,
         "alphabet": ["中", "文", "字", "世", "界", "语", "言", "日", "本", "東", "京", "の", "は"]},
        {"name": "newlines", "seed": 6, "bytes": 1_000_000, "alphabet": ["\n"]},
    ]


# Tokenizers of the long-input references: byte-level BPE, SentencePiece BPE (byte fallback) and
# Unigram, as (name, where): generated/<name>, ../fixtures/models/<name> or the shared directory.
LONG_TOKENIZERS = [("bpe_bytelevel", "generated"), ("bpe_sentencepiece", "generated"), ("unigram", "generated"),
                   ("xlm-roberta-tiny", "fixtures"), ("gpt2", "shared"), ("llama2", "shared")]


def generate(spec):
    x = spec["seed"]
    alphabet = spec["alphabet"]
    parts, size = [], 0
    while size < spec["bytes"]:
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK64
        p = alphabet[(x >> 33) % len(alphabet)]
        parts.append(p)
        size += len(p.encode("utf-8"))
    return "".join(parts)


# ---------------------------------------------------------------------------
# Generated tokenizers

def training_text(corpus):
    # No U+0000: cJSON (qeff's JSON parser) cannot hold a NUL inside a vocabulary token.
    base = [t for t in corpus if t and "\0" not in t]
    return base * 3


def gen_wordpiece(corpus):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=30))
    tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)])
    trainer = trainers.WordPieceTrainer(vocab_size=700, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(training_text(corpus), trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=True)
    return tok


def gen_wordpiece_variant(wp):
    """The trained WordPiece vocabulary behind other components: NFKD, Strip, Replace, the
    Split behaviours, WhitespaceSplit, Punctuation, BertProcessing, a non-normalized added token."""
    tok = Tokenizer.from_str(wp.to_str())
    tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.Strip(), normalizers.Lowercase(),
                                           normalizers.Replace("``", "\""),
                                           normalizers.Replace(Regex(r"\s{2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Split("-", behavior="merged_with_previous"),
        pre_tokenizers.Split(Regex(r"\d+"), behavior="isolated"),
        pre_tokenizers.Split(Regex(r"[aeiou]"), behavior="merged_with_next", invert=False),
        pre_tokenizers.Punctuation(behavior="contiguous"),
        pre_tokenizers.Split(Regex(r"x+"), behavior="removed", invert=True),
    ])
    tok.post_processor = processors.BertProcessing(("[SEP]", tok.token_to_id("[SEP]")), ("[CLS]", tok.token_to_id("[CLS]")))
    tok.add_tokens([AddedToken("Über", normalized=False, single_word=True), AddedToken("hello", normalized=True)])
    return tok


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def gen_bpe_bytelevel(corpus):
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=900, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
    tok.train_from_iterator(training_text(corpus), trainer)
    tok.add_special_tokens([AddedToken("<|im_start|>", special=True, normalized=False),
                            AddedToken("<|im_end|>", special=True, normalized=False, lstrip=True, rstrip=True)])
    tok.add_tokens([AddedToken(" custom", normalized=False), AddedToken("DNA", single_word=True, normalized=True)])
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", bos)])])
    tok.decoder = decoders.ByteLevel()
    return tok


def gen_bpe_sentencepiece(corpus):
    # Train on a reduced alphabet so that rarer characters need the byte fallback.
    tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    trainer = trainers.BpeTrainer(vocab_size=800, limit_alphabet=150, special_tokens=["<unk>", "<s>", "</s>"])
    tok.train_from_iterator(training_text(corpus), trainer)
    j = json.loads(tok.to_str())
    vocab = j["model"]["vocab"]
    # Byte tokens <0x00>..<0xFF> right after the specials, as SentencePiece lays them out;
    # leave <0x80> out to exercise a missing byte token (falls back to <unk>).
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    specials, rest = ordered[:3], ordered[3:]
    new = [k for k, _ in specials] + [f"<0x{b:02X}>" for b in range(256) if b != 0x80] + [k for k, _ in rest]
    j["model"]["vocab"] = {k: i for i, k in enumerate(new)}
    for t in j["added_tokens"]:
        t["id"] = j["model"]["vocab"][t["content"]]
    j["model"]["merges"] = [list(m) if isinstance(m, list) else m.split(" ") for m in j["model"]["merges"]]
    j["post_processor"] = None
    j["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "ByteFallback"},
        {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}]}
    tok = Tokenizer.from_str(json.dumps(j))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> $B </s>",
                                                       special_tokens=[("<s>", tok.token_to_id("<s>")),
                                                                       ("</s>", tok.token_to_id("</s>"))])
    return tok


def gen_unigram(corpus):
    tok = Tokenizer(models.Unigram())
    with open(os.path.join(HERE, "nmt_nfkc.bin"), "rb") as f:
        charsmap = f.read()
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.UnigramTrainer(vocab_size=600, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>",
                                      shrinking_factor=0.75, n_sub_iterations=2)
    # The Unigram trainer's EM diverges (NaN) on this multilingual corpus: train on the first
    # large input's text and the printable ASCII strings (other scripts then go through <unk>).
    words = sorted({w for t in corpus if t.isascii() for w in t.split() if w.isalpha() and len(w) < 12})
    data = generate(large_inputs()[0]).split("\n") + words
    tok.train_from_iterator(data, trainer)
    tok.normalizer = normalizers.Sequence([normalizers.Precompiled(charsmap),
                                           normalizers.Replace(Regex(" {2,}"), " ")])
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", tok.token_to_id("</s>"))])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    return tok


def gen_unigram_xlmr(unigram):
    """An XLM-RoBERTa-shaped Unigram built from the trained one (no training): <s> <pad> </s> <unk>
    first and <mask> last, all five special added tokens (normalized=false, <mask> lstrip) that are
    also vocabulary pieces with score 0, so that HF's Viterbi produces their ids from literal text
    even with encode_special_tokens=True (qeff's default); XLM-R's template and decoder."""
    j = json.loads(unigram.to_str())
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    pieces = [p for p in j["model"]["vocab"] if p[0] not in specials]
    j["model"]["vocab"] = [[t, 0.0] for t in specials] + pieces + [["<mask>", 0.0]]
    j["model"]["unk_id"] = 3
    j["added_tokens"] = [{"id": i, "content": t, "single_word": False, "lstrip": t == "<mask>", "rstrip": False,
                          "normalized": False, "special": True}
                         for i, t in [(0, "<s>"), (1, "<pad>"), (2, "</s>"), (3, "<unk>"),
                                      (len(j["model"]["vocab"]) - 1, "<mask>")]]
    j["post_processor"] = None
    tok = Tokenizer.from_str(json.dumps(j))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
                                                       special_tokens=[("<s>", 0), ("</s>", 2)])
    return tok


# ---------------------------------------------------------------------------
# References

def fnv1a(ids):
    h = 0xcbf29ce484222325
    for i in ids:
        for k in range(4):
            h ^= (i >> (8 * k)) & 0xFF
            h = (h * 0x100000001b3) & MASK64
    return f"{h:016x}"


def byte_offsets(text, offsets):
    # The Python binding reports offsets in characters; qeff reports bytes.
    pos = [0]
    for ch in text:
        pos.append(pos[-1] + len(ch.encode("utf-8")))
    out = []
    for a, b in offsets:
        out += [pos[a], pos[b]]
    return out


def stored_text(t):
    # cJSON strings end at NUL: such strings are stored as {"hex": utf-8 bytes in hex}.
    return {"hex": t.encode("utf-8").hex()} if "\0" in t else t


def reference_lines(tok, corpus, large):
    tok.no_truncation()
    tok.no_padding()
    lines = []
    for text in corpus:
        tok.encode_special_tokens = True
        e = tok.encode(text)
        tok.encode_special_tokens = False
        e2 = tok.encode(text)
        rec = {"ids": e.ids, "offsets": byte_offsets(text, e.offsets),
               "decode": stored_text(tok.decode(e.ids, skip_special_tokens=False)),
               "decode_skip": stored_text(tok.decode(e.ids, skip_special_tokens=True))}
        if e2.ids != e.ids:
            rec["ids_special"] = e2.ids
        e3 = tok.encode(text, add_special_tokens=False)
        if e3.ids != e2.ids:
            rec["ids_plain"] = e3.ids  # add_special_tokens=False, special strings parsed
        lines.append(rec)
    tok.encode_special_tokens = True
    for spec in large:
        ids = tok.encode(generate(spec)).ids
        lines.append({"count": len(ids), "fnv1a": fnv1a(ids)})
    return lines


def fnv1a_bytes(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & MASK64
    return f"{h:016x}"


def long_references(shared):
    """reference/long_inputs.json: per tokenizer and long input, the ids' count and digest and the
    decode (special tokens skipped): its length, digest and whether it gives the text back."""
    texts = [generate(spec) for spec in long_inputs()]
    out = []
    for name, where in LONG_TOKENIZERS:
        base = {"generated": os.path.join(HERE, "generated"), "shared": shared,
                "fixtures": os.path.join(HERE, "..", "fixtures", "models")}[where]
        path = os.path.join(base, name, "tokenizer.json")
        if not os.path.exists(path):
            print(f"skipping {name} (long inputs): {path} not found", file=sys.stderr)
            continue
        tok = Tokenizer.from_file(path)
        tok.no_truncation()
        tok.no_padding()
        tok.encode_special_tokens = True
        results = []
        for text in texts:
            ids = tok.encode(text).ids
            decoded = tok.decode(ids, skip_special_tokens=True).encode("utf-8")
            results.append({"count": len(ids), "fnv1a": fnv1a(ids), "decode_bytes": len(decoded),
                            "decode_fnv1a": fnv1a_bytes(decoded), "round_trip": decoded == text.encode("utf-8")})
        out.append({"name": name, "where": where, "results": results})
    return {"tokenizers": out}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--retrain", action="store_true",
                    help="train generated/* again (otherwise the committed files are reused)")
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "..", "shared", "data", "tokenizers"))
    args = ap.parse_args()
    corpus = literal_corpus()
    large = large_inputs()
    assert len(corpus) >= 300, len(corpus)
    with open(os.path.join(HERE, "corpus.json"), "w", encoding="utf-8") as f:
        stored = [stored_text(t) for t in corpus]
        json.dump({"strings": stored, "large": large, "long": long_inputs()}, f, ensure_ascii=False, indent=0)

    names = ["wordpiece", "wordpiece_variant", "bpe_bytelevel", "bpe_sentencepiece", "unigram"]
    paths = {n: os.path.join(HERE, "generated", n, "tokenizer.json") for n in names + ["unigram_xlmr"]}
    if args.retrain or not all(os.path.exists(paths[n]) for n in names):
        wp = gen_wordpiece(corpus)
        generated = {"wordpiece": wp, "wordpiece_variant": gen_wordpiece_variant(wp),
                     "bpe_bytelevel": gen_bpe_bytelevel(corpus), "bpe_sentencepiece": gen_bpe_sentencepiece(corpus),
                     "unigram": gen_unigram(corpus)}
        for name, tok in generated.items():
            os.makedirs(os.path.dirname(paths[name]), exist_ok=True)
            tok.save(paths[name], pretty=False)
    # Derived from the trained Unigram without training: always rebuilt.
    os.makedirs(os.path.dirname(paths["unigram_xlmr"]), exist_ok=True)
    gen_unigram_xlmr(Tokenizer.from_file(paths["unigram"])).save(paths["unigram_xlmr"], pretty=False)
    names.append("unigram_xlmr")
    tokenizers = {n: Tokenizer.from_file(paths[n]) for n in names}
    shared = os.path.abspath(args.shared)
    for name in ["gpt2", "llama2", "bert-uncased-minilm", "falcon"]:
        path = os.path.join(shared, name, "tokenizer.json")
        if os.path.exists(path):
            tokenizers[name] = Tokenizer.from_file(path)
        else:
            print(f"skipping {name}: {path} not found", file=sys.stderr)
    os.makedirs(os.path.join(HERE, "reference"), exist_ok=True)
    for name, tok in tokenizers.items():
        with open(os.path.join(HERE, "reference", name + ".jsonl"), "w", encoding="utf-8") as f:
            for rec in reference_lines(tok, corpus, large):
                f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"{name}: {len(corpus) + len(large)} references")
    with open(os.path.join(HERE, "reference", "long_inputs.json"), "w", encoding="utf-8") as f:
        json.dump(long_references(shared), f, indent=1)
    print("long_inputs.json written")


if __name__ == "__main__":
    main()
