// Command generate streams text from a causal LM (e.g. the llama-tiny
// fixture) for each prompt and prints the QEfficient-style performance
// figures: time to first token and prefill / decode tokens per second.
// Ctrl-C cancels the generation between two tokens.
//
//	go run ./examples/generate [-max-new-tokens N] MODEL_DIR PROMPT [PROMPT ...]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"qeff.dev/qeff"
)

func run(ctx context.Context, dir string, prompts []string, maxNew int) error {
	model, err := qeff.Load(dir)
	if err != nil {
		return err
	}
	defer model.Close()
	prog, err := model.Compile(qeff.WithBatchSize(min(len(prompts), 4)), qeff.WithPrefillSeqLen(32), qeff.WithCtxLen(256))
	if err != nil {
		return err
	}
	defer prog.Close()

	stream, err := prog.Stream(ctx, prompts, qeff.WithMaxNewTokens(maxNew))
	if err != nil {
		return err
	}
	defer stream.Close()
	texts := make([]strings.Builder, len(prompts))
	fmt.Println("streaming (row: text as it arrives):")
	for ev := range stream.Events() {
		texts[ev.Row].WriteString(ev.Text)
		if ev.Text != "" {
			fmt.Printf("[%d] %q\n", ev.Row, ev.Text)
		}
	}
	if err := stream.Err(); err != nil {
		return err
	}
	res, err := stream.Result()
	if err != nil {
		return err
	}
	for i, row := range res.Rows {
		fmt.Printf("\n[%d] %s\n    -> %s\n    (%d prompt tokens, %d generated, ended: %s)\n",
			i, prompts[i], row.Text, row.PromptTokens, len(row.Tokens), row.FinishReason)
		if row.Text != texts[i].String() {
			return fmt.Errorf("row %d: streamed text differs from the result", i)
		}
	}
	s := res.Stats
	fmt.Printf("\ntime to first token %.2f ms | prefill %.1f tokens/s | decode %.1f tokens/s | total %.2f ms\n",
		s.TTFTMs, s.PrefillTokensPerSec, s.DecodeTokensPerSec, s.TotalMs)
	return nil
}

func main() {
	maxNew := flag.Int("max-new-tokens", 24, "most new tokens per prompt")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: generate [-max-new-tokens N] MODEL_DIR PROMPT [PROMPT ...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 2 || *maxNew < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, flag.Arg(0), flag.Args()[1:], *maxNew); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}
