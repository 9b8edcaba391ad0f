package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web"
)

// Exit statuses of "dashboard keys rotate" besides 0 (every credential is
// sealed with the newest key: older keys may go) and 1 (an error or an
// interruption: every row is either re-sealed or as it was; run it again).
const (
	// exitRotateRefused: nothing was changed; the configuration must be
	// fixed first (unknown keys in the database, a replica without the key).
	exitRotateRefused = 3
	// exitRotateLeft: the run finished, but credentials are still sealed
	// with older keys (a replica sealed them during the run): run again.
	exitRotateLeft = 4
)

// keysCommand handles "dashboard keys rotate": once every replica serves
// with a new key first in DASHBOARD_ENCRYPTION_KEYS (the old ones after
// it), every credential is re-sealed with it, after which the old keys can
// be removed. See rotateKeys.
func keysCommand(ctx context.Context, env environment, args []string) error {
	if len(args) == 0 || args[0] != "rotate" {
		return errors.New("keys: want rotate")
	}
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	getenv := configFlags(fs, env.getenv)
	batch := fs.Int("batch", 100, "credentials re-sealed per transaction (1 to 10000)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *batch < 1 || *batch > 10000 {
		return errors.New("keys rotate: -batch must be from 1 to 10000")
	}
	cfg, err := web.LoadConfig(getenv)
	if err != nil {
		return err
	}
	st, err := openStoreKeys(ctx, cfg, newLogger("text", env.stderr), false)
	if err != nil {
		return err
	}
	defer st.Close()
	rot, ok := st.(store.KeyRotator)
	if !ok {
		return fmt.Errorf("keys rotate: the %T store cannot rotate keys", st)
	}
	return rotateKeys(ctx, st, rot, *batch, env.stdout, env.stderr)
}

// rotateKeys checks that a rotation is safe, re-seals in batches with
// progress on progress, and says on out what is left. It refuses, changing
// nothing, when a credential is sealed with a key the keyring lacks (it
// could never be re-sealed) or when another dashboard connected to the
// database seals with another key than this keyring's newest (it may lack
// the new key and then could not open what is re-sealed, or it keeps
// sealing new credentials with the old one). It prints key IDs only.
func rotateKeys(ctx context.Context, st store.Store, rot store.KeyRotator, batch int, out, progress io.Writer) error {
	ring := rot.Keyring()
	newest := ring.NewestKeyID()
	use, err := rot.KeyUsage(ctx)
	if err != nil {
		return err
	}
	if err := refuseUnknownKeys(ring, use); err != nil {
		return err
	}
	peers, seen, err := rot.PeerKeyrings(ctx)
	if err != nil {
		return err
	}
	if err := refuseLaggingPeers(newest, peers); err != nil {
		return err
	}
	switch {
	case seen && len(peers) == 0:
		fmt.Fprintln(progress, "keys rotate: no other dashboard process is connected to the database")
	case seen:
		fmt.Fprintf(progress, "keys rotate: checked %d connections of other dashboard processes: all seal with key %s\n", len(peers), newest)
	default:
		fmt.Fprintf(progress, "keys rotate: other processes' keys cannot be checked on this database: the server must already run with key %s first\n", newest)
	}
	total, stale := sum(use), sum(use)-use[newest]
	if stale == 0 {
		fmt.Fprintf(out, "nothing to re-seal: all %d credentials are sealed with the newest key %s; 0 left on older keys\n", total, newest)
		if len(ring.KeyIDs()) == 1 {
			fmt.Fprintln(out, "(to rotate, put a new key first in DASHBOARD_ENCRYPTION_KEYS on every replica, keep this one after it, restart them, and run keys rotate again)")
		}
		return nil
	}
	fmt.Fprintf(progress, "keys rotate: re-sealing %d of %d credentials with key %s, %d per transaction\n", stale, total, newest, batch)
	report := func(done int) {
		if u, err := rot.KeyUsage(ctx); err == nil {
			fmt.Fprintf(progress, "keys rotate: %d re-sealed, %d left\n", done, sum(u)-u[newest])
		} else {
			fmt.Fprintf(progress, "keys rotate: %d re-sealed\n", done)
		}
	}
	n, err := rot.Rekey(store.WithRekeyProgress(ctx, batch, report))
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("keys rotate: interrupted after re-sealing %d credentials; each one is either re-sealed or as it was: run keys rotate again to finish", n)
	case errors.Is(err, store.ErrSecretUnreadable):
		return fmt.Errorf("keys rotate: stopped after re-sealing %d credentials: %w; the credential named cannot be re-sealed with any key given: its owner must delete it and add it again, then run keys rotate again", n, err)
	case err != nil:
		return fmt.Errorf("keys rotate: stopped after re-sealing %d credentials (run it again to finish): %w", n, err)
	}
	use, err = rot.KeyUsage(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	left := sum(use) - use[newest]
	_ = st.AddAudit(context.WithoutCancel(ctx), store.AuditEvent{Action: store.ActionKeysRotate, Outcome: "ok",
		Detail: fmt.Sprintf("%d credentials re-sealed with key %s; %d left on older keys", n, newest, left)})
	fmt.Fprintf(out, "re-sealed %d credentials with key %s; %d left on older keys\n", n, newest, left)
	if left > 0 {
		return &exitError{code: exitRotateLeft, err: fmt.Errorf("keys rotate: %s were sealed with an older key during the run: "+
			"a process still seals with it. Put key %s first in DASHBOARD_ENCRYPTION_KEYS on every replica, restart them, "+
			"and run keys rotate again; keep the older keys until a run leaves 0", olderKeys(use, newest), newest)}
	}
	fmt.Fprintf(out, "every credential is sealed with key %s: the older keys can now be removed from DASHBOARD_ENCRYPTION_KEYS on every replica\n", newest)
	return nil
}

// refuseUnknownKeys refuses a rotation that would stop at a row sealed with
// a key the keyring lacks.
func refuseUnknownKeys(ring *store.Keyring, use map[string]int) error {
	var unknown []string
	for _, id := range slices.Sorted(maps.Keys(use)) {
		if !ring.Has(id) {
			unknown = append(unknown, fmt.Sprintf("%d sealed with key %s", use[id], id))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return &exitError{code: exitRotateRefused, err: fmt.Errorf("keys rotate: nothing changed: %s, which DASHBOARD_ENCRYPTION_KEYS (keys %s) lacks. "+
		"Add that key after the newest one and run again; if it is lost, those credentials can never be opened: their owners must delete them and add them again",
		strings.Join(unknown, ", "), strings.Join(ring.KeyIDs(), ", "))}
}

// refuseLaggingPeers refuses a rotation while another dashboard seals with
// another key than newest.
func refuseLaggingPeers(newest string, peers []store.PeerKeyring) error {
	var lacking, notFirst []string
	for _, p := range peers {
		if p.KeyIDs[0] == newest {
			continue
		}
		who := fmt.Sprintf("pid %d", p.PID)
		if p.Addr != "" {
			who += " from " + p.Addr
		}
		who += " (keys " + strings.Join(p.KeyIDs, ",")
		if p.Partial {
			who += ",…"
		}
		who += ")"
		if slices.Contains(p.KeyIDs, newest) {
			notFirst = append(notFirst, who)
		} else {
			lacking = append(lacking, who)
		}
	}
	if len(lacking)+len(notFirst) == 0 {
		return nil
	}
	var why []string
	if len(lacking) > 0 {
		why = append(why, fmt.Sprintf("%d dashboard connections do not name key %s among their keys, so they might not open what this run re-seals: %s",
			len(lacking), newest, strings.Join(lacking, "; ")))
	}
	if len(notFirst) > 0 {
		why = append(why, fmt.Sprintf("%d dashboard connections still seal new credentials with an older key: %s", len(notFirst), strings.Join(notFirst, "; ")))
	}
	return &exitError{code: exitRotateRefused, err: fmt.Errorf("keys rotate: nothing changed: %s. Put key %s first in DASHBOARD_ENCRYPTION_KEYS on every replica, "+
		"keep the old keys after it, restart them, and run keys rotate again", strings.Join(why, "; "), newest)}
}

// olderKeys describes the credentials not on newest, by key.
func olderKeys(use map[string]int, newest string) string {
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(use)) {
		if id != newest && use[id] > 0 {
			parts = append(parts, fmt.Sprintf("%d credentials on key %s", use[id], id))
		}
	}
	return strings.Join(parts, ", ")
}

// sum adds the counts of use.
func sum(use map[string]int) int {
	n := 0
	for _, v := range use {
		n += v
	}
	return n
}
