package main

import (
	"bytes"
	"encoding/json"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The pages are read with a few byte searches rather than an HTML parser:
// the tool reads every answer of every tab, and parsing whole documents
// would cost more CPU than the dashboard spends on them, on the same cores.

// poller is an element that htmx polls: hx-trigger "every N".
type poller struct {
	id    string        // the element's id (htmx sends it as HX-Trigger)
	url   string        // its hx-get
	every time.Duration // its interval
	oob   bool          // it came as an out-of-band swap
	next  time.Time     // when its timer fires next
}

// tagWith returns every start tag that has the attribute attr, as a map of
// its attributes (values unescaped).
func tagWith(body []byte, attr string) []map[string]string {
	var tags []map[string]string
	needle := []byte(" " + attr + "=")
	for off := 0; ; {
		i := bytes.Index(body[off:], needle)
		if i < 0 {
			return tags
		}
		i += off
		start := bytes.LastIndexByte(body[:i], '<')
		end := bytes.IndexByte(body[i:], '>')
		if start < 0 || end < 0 {
			return tags
		}
		tags = append(tags, attrs(body[start:i+end]))
		off = i + end
	}
}

var attrRE = regexp.MustCompile(`([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)

// attrs parses the attributes of one start tag ("<name a=... b").
func attrs(tag []byte) map[string]string {
	m := map[string]string{}
	s := string(tag)
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		s = s[i:]
	} else {
		return m
	}
	for _, g := range attrRE.FindAllStringSubmatch(s, -1) {
		m[strings.ToLower(g[1])] = html.UnescapeString(g[2] + g[3] + g[4])
	}
	return m
}

var everyRE = regexp.MustCompile(`(?:^|[\s,])every\s+(\d+(?:\.\d+)?)(ms|s|m)?`)

// findPollers returns the polling elements of a page or fragment.
func findPollers(body []byte) []*poller {
	var ps []*poller
	for _, a := range tagWith(body, "hx-trigger") {
		m := everyRE.FindStringSubmatch(a["hx-trigger"])
		if m == nil || a["hx-get"] == "" {
			continue
		}
		every := parseInterval(m[1], m[2])
		if every <= 0 {
			continue
		}
		_, oob := a["hx-swap-oob"]
		ps = append(ps, &poller{id: a["id"], url: a["hx-get"], every: every, oob: oob})
	}
	return ps
}

// parseInterval reads an htmx interval: a bare number is milliseconds.
func parseInterval(num, unit string) time.Duration {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0
	}
	switch unit {
	case "s":
		f *= 1000
	case "m":
		f *= 60_000
	}
	return time.Duration(f * float64(time.Millisecond))
}

// loadOnce returns the hx-get URLs of elements triggered on load, which a
// browser fetches once after the page arrives (for example a lazily loaded
// region).
func loadOnce(body []byte) []string {
	var urls []string
	for _, a := range tagWith(body, "hx-trigger") {
		for _, t := range strings.Split(a["hx-trigger"], ",") {
			if strings.Fields(t + " x")[0] == "load" && a["hx-get"] != "" {
				urls = append(urls, a["hx-get"])
			}
		}
	}
	return urls
}

// oobIDs returns the ids of the out-of-band elements of an answer.
func oobIDs(body []byte) []string {
	var ids []string
	for _, a := range tagWith(body, "hx-swap-oob") {
		if a["id"] != "" {
			ids = append(ids, a["id"])
		}
	}
	return ids
}

// hxHeaders returns the page's hx-headers (the layout puts the CSRF token
// there, on <body>); htmx sends them with every request.
func hxHeaders(body []byte) map[string]string {
	h := map[string]string{}
	for _, a := range tagWith(body, "hx-headers") {
		_ = json.Unmarshal([]byte(a["hx-headers"]), &h)
	}
	return h
}

// formCSRF returns the value of the page's hidden csrf field.
func formCSRF(body []byte) string {
	for _, a := range tagWith(body, "name") {
		if a["name"] == "csrf" {
			return a["value"]
		}
	}
	return ""
}

// assetURLs returns the same-site stylesheets, scripts and icons a browser
// loads with the page.
func assetURLs(body []byte) []string {
	var urls []string
	seen := map[string]bool{}
	add := func(u string) {
		if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") && !seen[u] {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	for _, a := range tagWith(body, "src") {
		add(a["src"])
	}
	for _, a := range tagWith(body, "href") {
		if rel := a["rel"]; strings.Contains(rel, "stylesheet") || strings.Contains(rel, "icon") || strings.Contains(rel, "preload") {
			add(a["href"])
		}
	}
	return urls
}

// usesSSE reports whether a page opens a server-sent-events stream, which
// this tool does not model.
func usesSSE(body []byte) bool {
	return bytes.Contains(body, []byte(" sse-connect=")) || bytes.Contains(body, []byte(" hx-sse="))
}
