package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/respond/bulkjobs/web/webtest"
)

// key is one physical key.
type key struct {
	name, code, text string
	vk               int64
}

var (
	keyEnter  = key{name: "Enter", code: "Enter", text: "\r", vk: 13}
	keySpace  = key{name: " ", code: "Space", text: " ", vk: 32}
	keyEscape = key{name: "Escape", code: "Escape", vk: 27}
)

// press sends k through the browser's input pipeline as a physical keyboard
// does: a keyDown without text (Chromium's raw key down), then for a key that
// types something a char event (the keypress), then a keyUp. Each goes to
// whatever has the focus at that moment, with the browser's default actions
// (a link follows on keydown, a button clicks on Enter's keypress and on
// Space's keyup) in between.
func press(k key) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		ev := input.DispatchKeyEventParams{Key: k.name, Code: k.code, WindowsVirtualKeyCode: k.vk, NativeVirtualKeyCode: k.vk}
		steps := []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown}
		if k.text != "" {
			steps = append(steps, input.DispatchKeyEventTypeChar)
		}
		steps = append(steps, input.DispatchKeyEventTypeKeyUp)
		for _, typ := range steps {
			e := ev
			e.Type = typ
			if typ == input.DispatchKeyEventTypeChar {
				e.Text, e.UnmodifiedText = k.text, k.text
			}
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// focusOn focuses the element matching sel at the moment of the call.
func focusOn(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.querySelector('` + sel + `').focus()`)
}

// TestBrowserKeyboardOpensCancelDialog: Enter and Space on "Cancel job…"
// open the dialog and it stays open with the focus on "Keep job running";
// Escape closes it and the focus returns to the opener. Nothing is sent.
func TestBrowserKeyboardOpensCancelDialog(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	console := webtest.WatchConsole(t, ctx)
	app.BrowserLogin(t, ctx, webtest.Responder)
	opener := `#job-` + browserJob + `-cancel`
	dialog := `#cancel-` + browserJob
	webtest.Do(t, ctx, "open the running job", chromedp.Navigate(jobPage(app, browserJob)), chromedp.WaitVisible(chromedp.CSS(opener)))

	for _, k := range []key{keyEnter, keySpace} {
		name := map[string]string{"Enter": "Enter", " ": "Space"}[k.name]
		webtest.Do(t, ctx, name+" on the opener",
			focusOn(opener),
			press(k),
			// Long enough for anything the same keystroke set off (a
			// keypress or keyup landing on the dialog's buttons) to have run.
			chromedp.Sleep(300*time.Millisecond),
		)
		if !webtest.Eval[bool](t, ctx, `document.querySelector('`+dialog+`').open`) {
			t.Errorf("%s: the dialog is not open 300 ms after the keystroke", name)
			continue
		}
		if got := webtest.Eval[string](t, ctx, `document.activeElement.dataset.testid || document.activeElement.tagName`); got != "keep-running" {
			t.Errorf("%s: focus is on %q, want keep-running (the safe choice)", name, got)
		}
		if loc := webtest.Location(t, ctx); strings.Contains(loc, "confirm=cancel") {
			t.Errorf("%s: the link was followed too (%s)", name, loc)
		}
		webtest.Do(t, ctx, "Escape", press(keyEscape), chromedp.WaitNotVisible(chromedp.CSS(dialog)))
		if got := webtest.Eval[string](t, ctx, `document.activeElement.id`); got != strings.TrimPrefix(opener, "#") {
			t.Errorf("%s: after Escape the focus is on %q, want the opener", name, got)
		}
	}
	// Enter on "Keep job running" still closes the dialog: the fix must not
	// swallow keystrokes inside it.
	webtest.Do(t, ctx, "Enter, then Enter on Keep job running",
		focusOn(opener), press(keyEnter), chromedp.Sleep(300*time.Millisecond),
		press(keyEnter), chromedp.WaitNotVisible(chromedp.CSS(dialog)),
	)
	if n := app.UpstreamCalls(http.MethodPost, "/cancel"); n != 0 {
		t.Errorf("keyboard use sent %d cancels", n)
	}
	for _, m := range console.Messages() {
		if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "Refused to") || strings.HasPrefix(m, "exception") {
			t.Errorf("console: %s", m)
		}
	}
}

// TestBrowserKeyboardWithoutJavaScript: with scripts off, Enter on "Cancel
// job…" follows the link to the job page with the confirmation open.
func TestBrowserKeyboardWithoutJavaScript(t *testing.T) {
	app := webtest.New(t, webtest.Options{})
	ctx := webtest.Chrome(t)
	app.BrowserLogin(t, ctx, webtest.Responder)
	opener := `#job-` + browserJob + `-cancel`
	webtest.Do(t, ctx, "turn JavaScript off and open the job",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(jobPage(app, browserJob)),
		chromedp.WaitVisible(chromedp.CSS(opener)),
	)
	webtest.Do(t, ctx, "Enter on the link",
		chromedp.Focus(chromedp.CSS(opener)),
		press(keyEnter),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="cancel-panel"]`)),
	)
	if loc := webtest.Location(t, ctx); !strings.HasSuffix(loc, "/jobs/"+browserJob+"?confirm=cancel") {
		t.Errorf("without JavaScript Enter led to %s", loc)
	}
}
