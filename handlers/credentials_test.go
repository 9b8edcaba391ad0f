package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/respond/bulkjobs/apiclient/cfsim"
	"github.com/respond/bulkjobs/web/webtest"
)

func TestCredentialsCRUDAndIsolation(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	alice := app.Login(t, webtest.Nobody)
	bob := app.Login(t, webtest.Viewer)

	resp := app.PostForm(t, alice, "/credentials", url.Values{
		"label": {"Alice IR token"}, "account_id": {webtest.Account}, "kind": {"token"}, "token": {cfsim.DemoWriteToken}})
	readAll(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add credential: status %d", resp.StatusCode)
	}
	_, page := app.Get(t, alice, "/credentials", false)
	if !strings.Contains(page, "Alice IR token") || !strings.Contains(page, "Test passed") {
		t.Errorf("credentials page lacks the new credential or its test result")
	}
	if strings.Contains(page, cfsim.DemoWriteToken) {
		t.Fatal("the secret is rendered back")
	}
	if !strings.Contains(page, cfsim.DemoWriteToken[len(cfsim.DemoWriteToken)-4:]) {
		t.Error("last four characters not shown")
	}
	creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Nobody].ID)
	if len(creds) != 1 {
		t.Fatalf("alice has %d credentials", len(creds))
	}
	id := creds[0].ID

	// Bob can neither see, test nor delete Alice's credential.
	_, bobPage := app.Get(t, bob, "/credentials", false)
	if strings.Contains(bobPage, "Alice IR token") || strings.Contains(bobPage, id) {
		t.Error("bob sees alice's credential")
	}
	for _, p := range []string{"/credentials/" + id + "/test", "/credentials/" + id + "/delete"} {
		resp := app.PostForm(t, bob, p, url.Values{})
		readAll(t, resp)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("bob POST %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	if creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Nobody].ID); len(creds) != 1 {
		t.Fatal("bob deleted alice's credential")
	}

	// Alice tests and deletes her own.
	readAll(t, app.PostForm(t, alice, "/credentials/"+id+"/test", url.Values{}))
	readAll(t, app.PostForm(t, alice, "/credentials/"+id+"/delete", url.Values{}))
	if creds, _ := app.Store.Credentials(context.Background(), app.Users[webtest.Nobody].ID); len(creds) != 0 {
		t.Error("delete did not delete")
	}
}

func TestCredentialValidationKeepsForm(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	resp := app.PostForm(t, c, "/credentials", url.Values{
		"label": {"bad account"}, "account_id": {"not-an-account"}, "kind": {"token"}, "token": {"secret-token-value-xyz"}})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", resp.StatusCode)
	}
	d := doc(t, body)
	if v, _ := d.Find(`input[name="label"]`).Attr("value"); v != "bad account" {
		t.Errorf("label not kept: %q", v)
	}
	if strings.Contains(body, "secret-token-value-xyz") {
		t.Error("secret echoed back in the form")
	}
}

func TestSecretNotInDatabaseFile(t *testing.T) {
	t.Parallel()
	app := webtest.New(t, webtest.Options{})
	c := app.Login(t, webtest.Nobody)
	const canary = "CANARY-token-7f3a9c1e5b2d4f60"
	readAll(t, app.PostForm(t, c, "/credentials", url.Values{
		"label": {"canary"}, "account_id": {webtest.Account}, "kind": {"token"}, "token": {canary}}))
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(app.DBPath), "*"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err == nil && strings.Contains(string(b), canary) {
			t.Errorf("canary token in plain text in %s", filepath.Base(m))
		}
	}
	if strings.Contains(app.Logs.String(), canary) {
		t.Error("canary token in the logs")
	}
}
