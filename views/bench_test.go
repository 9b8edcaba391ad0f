package views

import (
	"bytes"
	"context"
	"testing"
)

func BenchmarkJobCard(b *testing.B) {
	c := processingCard()
	ctx := context.Background()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := JobCardView(c).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkJobsPage50(b *testing.B) {
	d := jobsPage(50)
	ctx := context.Background()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := JobsPage(d).Render(ctx, &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}
