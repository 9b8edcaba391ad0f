package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web"
	"golang.org/x/term"
)

// userCommand handles "dashboard user add|passwd|role|disable".
func userCommand(ctx context.Context, env environment, args []string) error {
	if len(args) == 0 {
		return errors.New("user: want add, passwd, role or disable")
	}
	sub := args[0]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	getenv := configFlags(fs, env.getenv)
	email := fs.String("email", "", "the analyst's email")
	roleName := fs.String("role", "", "viewer, responder or admin")
	stdinPW := fs.Bool("password-stdin", false, "read the password from standard input instead of a prompt")
	enable := fs.Bool("enable", false, "with disable: enable the user again")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("user " + sub + ": --email is required")
	}
	st, closeStore, err := adminStore(ctx, getenv, env)
	if err != nil {
		return err
	}
	defer closeStore()

	switch sub {
	case "add":
		role, err := store.ParseRole(*roleName)
		if err != nil {
			return err
		}
		hash, err := readNewPassword(env, *stdinPW)
		if err != nil {
			return err
		}
		u, err := st.CreateUser(ctx, *email, role, hash)
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("user add: %s already exists", *email)
		} else if err != nil {
			return err
		}
		audit(ctx, st, store.ActionUserAdd, u, "role: "+string(role))
		fmt.Fprintf(env.stdout, "added %s as %s\n", u.Email, u.Role)
	case "passwd":
		u, err := userByEmail(ctx, st, *email)
		if err != nil {
			return err
		}
		hash, err := readNewPassword(env, *stdinPW)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		audit(ctx, st, store.ActionPasswordChange, u, "by the admin command; all sessions ended")
		fmt.Fprintf(env.stdout, "password changed for %s; their sessions have ended\n", u.Email)
	case "role":
		role, err := store.ParseRole(*roleName)
		if err != nil {
			return err
		}
		u, err := userByEmail(ctx, st, *email)
		if err != nil {
			return err
		}
		if err := st.SetRole(ctx, u.ID, role); err != nil {
			return err
		}
		audit(ctx, st, store.ActionRoleChange, u, string(u.Role)+" → "+string(role))
		fmt.Fprintf(env.stdout, "%s is now %s\n", u.Email, role)
	case "disable":
		u, err := userByEmail(ctx, st, *email)
		if err != nil {
			return err
		}
		if err := st.SetDisabled(ctx, u.ID, !*enable); err != nil {
			return err
		}
		action, word := store.ActionUserDisable, "disabled; their sessions have ended"
		if *enable {
			action, word = store.ActionUserEnable, "enabled"
		}
		audit(ctx, st, action, u, "by the admin command")
		fmt.Fprintf(env.stdout, "%s is %s\n", u.Email, word)
	default:
		return fmt.Errorf("user: unknown subcommand %q; want add, passwd, role or disable", sub)
	}
	return nil
}

// adminStore opens the store for an admin command.
func adminStore(ctx context.Context, getenv func(string) string, env environment) (store.Store, func(), error) {
	cfg, err := web.LoadConfig(getenv)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, cfg, newLogger("text", env.stderr))
	if err != nil {
		return nil, nil, err
	}
	return st, func() { st.Close() }, nil
}

// userByEmail finds a user or says clearly that there is none.
func userByEmail(ctx context.Context, st store.Store, email string) (store.User, error) {
	u, _, err := st.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf("no user with email %s", email)
	}
	return u, err
}

// readNewPassword reads a password from standard input (--password-stdin) or
// a terminal prompt without echo, checks it and returns its hash.
func readNewPassword(env environment, fromStdin bool) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := env.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", errors.New("no terminal to prompt for a password; use --password-stdin")
		}
		fmt.Fprint(env.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(env.stderr, "Again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(env.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(b) != string(again) {
			return "", errors.New("the passwords do not match")
		}
		pw = string(b)
	}
	if err := store.ValidatePassword(pw); err != nil {
		return "", err
	}
	return store.HashPassword(pw)
}

// audit records an admin command's change.
func audit(ctx context.Context, st store.Store, action string, u store.User, detail string) {
	_ = st.AddAudit(ctx, store.AuditEvent{Action: action, UserID: u.ID, UserEmail: u.Email, Outcome: "ok", Detail: detail})
}
