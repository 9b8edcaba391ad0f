// Command vulndb turns the OSV files shipped in the golang.org/x/vulndb
// module (data/osv/GO-*.json) into a local Go vulnerability database in the
// v1 layout that `govulncheck -db file://DIR` reads
// (https://go.dev/security/vuln/database#api):
//
//	DIR/index/db.json       {"modified": newest entry's modified time}
//	DIR/index/modules.json  [{"path", "vulns": [{"id", "modified"}]}], by path then id
//	DIR/index/vulns.json    [{"id", "modified", "aliases"}], by id
//	DIR/ID/<id>.json        each OSV entry, copied byte for byte
//
// It does what vulndb's own cmd/indexdb does, without that tool's large
// dependency graph (hundreds of MB of cloud/git modules on a cold cache).
// One difference: the optional "fixed" hint in modules.json is left out, so
// govulncheck reads every entry listed for a module and decides from the
// entry's full version ranges; the findings are the same.
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// entry holds the fields of an OSV entry that the indexes need.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"` // module path, or "stdlib"/"toolchain"
		} `json:"package"`
	} `json:"affected"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

type dbMeta struct {
	Modified time.Time `json:"modified"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

func main() {
	osvDir := flag.String("osv", "", "directory of OSV JSON files (vulndb's data/osv)")
	out := flag.String("out", "", "directory to write the database to")
	skip := flag.String("skip", "", "comma-separated advisory IDs to leave out (accepted risks, see ../govulncheck-accepted.txt)")
	flag.Parse()
	if *osvDir == "" || *out == "" {
		log.Fatal("usage: vulndb -osv DIR -out DIR [-skip ID,ID]")
	}
	skipped := map[string]bool{}
	for _, id := range strings.Split(*skip, ",") {
		if id = strings.TrimSpace(id); id != "" {
			skipped[id] = true
		}
	}
	if err := run(*osvDir, *out, skipped); err != nil {
		log.Fatal(err)
	}
}

func run(osvDir, out string, skipped map[string]bool) error {
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no OSV files in %s", osvDir)
	}
	for _, d := range []string{"ID", "index"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}

	var newest time.Time
	var vulns []vuln
	modules := map[string]*module{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		// govulncheck fetches ID/<id>.json, so the name must match the entry.
		if filepath.Base(f) != e.ID+".json" {
			return fmt.Errorf("%s holds entry %q", f, e.ID)
		}
		if skipped[e.ID] {
			delete(skipped, e.ID)
			continue
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		vulns = append(vulns, vuln{e.ID, e.Modified, e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &module{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{e.ID, e.Modified})
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
	}

	// A skipped ID that no longer exists is a stale acceptance: say so.
	for id := range skipped {
		return fmt.Errorf("accepted advisory %s is not in the database", id)
	}

	// Sorted like cmd/indexdb's output, so the result is deterministic.
	slices.SortFunc(vulns, func(a, b vuln) int { return cmp.Compare(a.ID, b.ID) })
	var mods []*module
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return cmp.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *module) int { return cmp.Compare(a.Path, b.Path) })

	for name, v := range map[string]any{
		"db.json":      dbMeta{newest},
		"modules.json": mods,
		"vulns.json":   vulns,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
