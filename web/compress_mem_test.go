package web

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
)

// The memory of compressing grows with the answers in flight, so it must
// be small per answer: at gzip's default level every answer being written
// held about a megabyte, and 1,500 slow tabs held 900 MB.
func TestCompressionMemoryPerAnswerInFlight(t *testing.T) {
	const inFlight = 100
	e := echo.New()
	e.Use(compress())
	release := make(chan struct{})
	var started sync.WaitGroup
	page := strings.Repeat(`<article class="card"><h3>Move to Quarantine</h3><dd>12 of 40</dd></article>`, 200)
	e.GET("/", func(c echo.Context) error {
		c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
		c.Response().WriteHeader(http.StatusOK)
		_, _ = c.Response().Write([]byte(page)) // the compressor now holds its state
		started.Done()
		<-release
		return nil
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var done sync.WaitGroup
	started.Add(inFlight)
	for range inFlight {
		done.Add(1)
		go func() {
			defer done.Done()
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
			e.ServeHTTP(httptest.NewRecorder(), r)
		}()
	}
	started.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	close(release)
	done.Wait()
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / inFlight
	t.Logf("%d answers in flight: %d KB of heap each", inFlight, per>>10)
	if per > 128<<10 {
		t.Fatalf("each answer being compressed holds %d KB; want under 128 KB", per>>10)
	}
}
