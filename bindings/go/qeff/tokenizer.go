package qeff

import (
	"context"

	capi "qeff.dev/qeff/internal/capi"
)

type (
	cTokenizer = capi.SwigcptrStruct_SS_qeff_tokenizer
	cEncoding  = capi.SwigcptrStruct_SS_qeff_encoding
	cDecoder   = capi.SwigcptrStruct_SS_qeff_decoder
)

// SpecialToken names a special token for Tokenizer.SpecialID.
type SpecialToken int

// Special tokens (qeff_special_token).
const (
	BOS SpecialToken = 0
	EOS SpecialToken = 1
	PAD SpecialToken = 2
	UNK SpecialToken = 3
)

// Tokenizer is a model directory's tokenizer (tokenizer.json or vocab.txt),
// giving HuggingFace's ids, offsets and decoding. Immutable: safe for
// concurrent use. It does not depend on the model or program it came from.
type Tokenizer struct {
	h handle[cTokenizer]
}

func newTokenizer(p cTokenizer) *Tokenizer {
	t := &Tokenizer{}
	t.h.set(p, func(p cTokenizer) { capi.Qeff_tokenizer_free(p) }, "Tokenizer")
	return safetyNet(t)
}

// LoadTokenizer loads the tokenizer of a model directory (no weights needed).
// Options read: "load.allowed_root", "limits.input_bytes".
// LoadTokenizerContext is the cancellable form.
func LoadTokenizer(dir string, opts ...Option) (*Tokenizer, error) {
	return LoadTokenizerContext(context.Background(), dir, opts...)
}

// Close frees the tokenizer. Safe to call twice; decoders stay valid.
func (t *Tokenizer) Close() error { t.h.close(); return nil }

// Encoding is one encoded text: token ids, the attention mask (1 for a
// token, 0 for padding) and each token's [begin, end) byte offsets in the
// text ({0, 0} for inserted special tokens and padding).
type Encoding struct {
	IDs           []int32
	AttentionMask []int32
	Offsets       [][2]int
}

// Encode tokenizes one text (UTF-8; NUL is an ordinary character). Options:
// "tokenize.*" (add_special_tokens, parse_special, truncation, padding, ...).
func (t *Tokenizer) Encode(text string, opts ...Option) (Encoding, error) {
	var rows []Encoding
	err := t.h.use("Tokenizer.Encode", func(p cTokenizer) error {
		return withCOptions("Tokenizer.Encode", opts, func(o cOptions) error {
			var e cEncoding
			if err := check("Tokenizer.Encode", capi.Qeff_tokenizer_encode(p, text, o, &e)); err != nil {
				return err
			}
			defer capi.Qeff_encoding_free(e)
			var err error
			rows, err = readEncoding("Tokenizer.Encode", e)
			return err
		})
	})
	if err != nil || len(rows) != 1 {
		return Encoding{}, err
	}
	return rows[0], nil
}

// EncodeBatch tokenizes several texts; padding, when requested, applies
// across the batch. A failure names the batch item.
func (t *Tokenizer) EncodeBatch(texts []string, opts ...Option) ([]Encoding, error) {
	var rows []Encoding
	err := t.h.use("Tokenizer.EncodeBatch", func(p cTokenizer) error {
		return withCOptions("Tokenizer.EncodeBatch", opts, func(o cOptions) error {
			var e cEncoding
			if err := check("Tokenizer.EncodeBatch", capi.Qeff_tokenizer_encode_batch(p, texts, o, &e)); err != nil {
				return err
			}
			defer capi.Qeff_encoding_free(e)
			var err error
			rows, err = readEncoding("Tokenizer.EncodeBatch", e)
			return err
		})
	})
	return rows, err
}

// readEncoding copies every row of a C encoding into Go values.
func readEncoding(op string, e cEncoding) ([]Encoding, error) {
	var n int
	if err := check(op, capi.Qeff_encoding_num_rows(e, &n)); err != nil {
		return nil, err
	}
	rows := make([]Encoding, n)
	for r := range rows {
		var both []int32 // ids then mask
		var offs []int   // begin, end pairs
		if err := check(op, capi.Qeff_encoding_row(e, int64(r), &both)); err != nil {
			return nil, err
		}
		if err := check(op, capi.Qeff_encoding_offsets(e, int64(r), &offs)); err != nil {
			return nil, err
		}
		k := len(both) / 2
		rows[r].IDs, rows[r].AttentionMask = both[:k:k], both[k:]
		rows[r].Offsets = make([][2]int, len(offs)/2)
		for i := range rows[r].Offsets {
			rows[r].Offsets[i] = [2]int{offs[2*i], offs[2*i+1]}
		}
	}
	return rows, nil
}

// Decode turns ids into text as HuggingFace's decode does (invalid UTF-8
// from byte tokens becomes U+FFFD); skipSpecial leaves special tokens out.
// The text may contain NUL.
func (t *Tokenizer) Decode(ids []int32, skipSpecial bool) (string, error) {
	var s string
	err := t.h.use("Tokenizer.Decode", func(p cTokenizer) error {
		return check("Tokenizer.Decode", capi.Qeff_tokenizer_decode(p, ids, boolInt(skipSpecial), &s))
	})
	return s, err
}

// TokenToID returns the id of a vocabulary string such as "<s>" (NotFound
// when there is none).
func (t *Tokenizer) TokenToID(token string) (int32, error) {
	if err := cString("Tokenizer.TokenToID", "token", token); err != nil {
		return 0, err
	}
	var id int32
	err := t.h.use("Tokenizer.TokenToID", func(p cTokenizer) error {
		return check("Tokenizer.TokenToID", capi.Qeff_tokenizer_token_to_id(p, token, &id))
	})
	return id, err
}

// IDToToken returns the vocabulary string of id (NotFound when no token has it).
func (t *Tokenizer) IDToToken(id int32) (string, error) {
	var s string
	err := t.h.use("Tokenizer.IDToToken", func(p cTokenizer) error {
		return check("Tokenizer.IDToToken", capi.Qeff_tokenizer_id_to_token(p, int(id), &s))
	})
	return s, err
}

// VocabSize is the number of ids, added tokens included.
func (t *Tokenizer) VocabSize() (int, error) {
	var n int
	err := t.h.use("Tokenizer.VocabSize", func(p cTokenizer) error {
		return check("Tokenizer.VocabSize", capi.Qeff_tokenizer_vocab_size(p, &n))
	})
	return n, err
}

// SpecialID returns the id of a special token (NotFound when the tokenizer has none).
func (t *Tokenizer) SpecialID(which SpecialToken) (int32, error) {
	var id int32
	err := t.h.use("Tokenizer.SpecialID", func(p cTokenizer) error {
		return check("Tokenizer.SpecialID",
			capi.Qeff_tokenizer_special_id(p, capi.Enum_SS_qeff_special_token(which), &id))
	})
	return id, err
}

// NewDecoder creates a streaming decoder (it keeps the tokenizer alive).
func (t *Tokenizer) NewDecoder(skipSpecial bool) (*Decoder, error) {
	var d cDecoder
	err := t.h.use("Tokenizer.NewDecoder", func(p cTokenizer) error {
		return check("Tokenizer.NewDecoder", capi.Qeff_decoder_create(p, boolInt(skipSpecial), &d))
	})
	if err != nil {
		return nil, err
	}
	dec := &Decoder{}
	dec.h.set(d, func(p cDecoder) { capi.Qeff_decoder_free(p) }, "Decoder")
	return safetyNet(dec), nil
}

// Decoder turns the ids of a generation, one at a time, into pieces of
// complete UTF-8 text that concatenate to the full decode. One goroutine at
// a time.
type Decoder struct {
	h handle[cDecoder]
}

// Step pushes the next id and returns the text it completes (often "").
func (d *Decoder) Step(id int32) (string, error) {
	var s string
	err := d.h.use("Decoder.Step", func(p cDecoder) error {
		return check("Decoder.Step", capi.Qeff_decoder_step(p, int(id), &s))
	})
	return s, err
}

// Finish returns the text still held and resets the decoder for a new stream.
func (d *Decoder) Finish() (string, error) {
	var s string
	err := d.h.use("Decoder.Finish", func(p cDecoder) error {
		return check("Decoder.Finish", capi.Qeff_decoder_finish(p, &s))
	})
	return s, err
}

// Close frees the decoder. Safe to call twice.
func (d *Decoder) Close() error { d.h.close(); return nil }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
