// Command embed embeds a few sentences with an encoder model (e.g. the
// bert-tiny fixture) and prints their dimensions and cosine similarities.
//
//	go run ./examples/embed MODEL_DIR [TEXT ...]
package main

import (
	"context"
	"fmt"
	"math"
	"os"

	"qeff.dev/qeff"
)

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / (math.Sqrt(na)*math.Sqrt(nb) + 1e-12)
}

func run(dir string, texts []string) error {
	model, err := qeff.Load(dir)
	if err != nil {
		return err
	}
	defer model.Close()
	prog, err := model.Compile(qeff.WithBatchSize(2), qeff.WithSeqLen(16, 32), qeff.WithPooling("mean"))
	if err != nil {
		return err
	}
	defer prog.Close()
	emb, err := prog.Embed(context.Background(), texts)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d texts -> %d x %d embeddings (qeff %s)\n", model, len(texts), len(emb), len(emb[0]), qeff.Version())
	for i := range texts {
		for j := i + 1; j < len(texts); j++ {
			fmt.Printf("cos(%q, %q) = %.4f\n", texts[i], texts[j], cosine(emb[i], emb[j]))
		}
	}
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: embed MODEL_DIR [TEXT ...]")
		os.Exit(2)
	}
	texts := os.Args[2:]
	if len(texts) == 0 {
		texts = []string{"The cat sits on the mat.", "A cat is sitting on a mat.", "Stock markets fell sharply today."}
	}
	if err := run(os.Args[1], texts); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}
