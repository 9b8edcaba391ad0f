package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/respond/bulkjobs/store"
	"github.com/respond/bulkjobs/web"
)

// replica is one dashboard process of a fleet behind the tool's proxy.
type replica struct {
	url    string
	pid    int
	served *atomic.Int64 // requests the proxy sent it
}

// startReplicas runs o.Replicas dashboard processes on one new PostgreSQL
// database, with the same session and encryption keys, behind a
// round-robin reverse proxy in this process, and returns the proxy as the
// dashboard: every request of every tab goes to the next replica in turn,
// so one analyst's session moves between replicas all the time. The
// database is created on the server at o.DatabaseURL and dropped on close.
func startReplicas(ctx context.Context, o options, bin, dir, simAPI string) (*dashboard, error) {
	dbURL, dropDB, err := createDatabase(ctx, o.DatabaseURL)
	if err != nil {
		return nil, err
	}
	encKey, err := store.GenerateKey()
	if err != nil {
		dropDB()
		return nil, err
	}
	sessKey, err := web.GenerateSessionKey()
	if err != nil {
		dropDB()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		dropDB()
		return nil, err
	}
	public := "http://" + ln.Addr().String()
	var procs []*dashboard
	closeAll := func() {
		for _, p := range procs {
			p.close()
		}
		dropDB()
	}
	d := &dashboard{url: public}
	var backends []*url.URL
	for i := range o.Replicas {
		port, err := freePort()
		if err != nil {
			ln.Close()
			closeAll()
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		env := append(withoutDashboardVars(os.Environ()),
			"DASHBOARD_ADDR="+addr,
			"DASHBOARD_PUBLIC_URL="+public, // what the browser sees: Origin and Host are the proxy's
			"DASHBOARD_API_BASE_URL="+simAPI,
			"DASHBOARD_DATA_DIR="+filepath.Join(dir, fmt.Sprintf("data-%d", i+1)),
			"DASHBOARD_DATABASE_URL="+dbURL,
			"DASHBOARD_ENCRYPTION_KEYS="+encKey,
			"DASHBOARD_SESSION_KEYS="+sessKey,
			"DASHBOARD_TRUSTED_PROXIES=127.0.0.1",
			"DASHBOARD_LOG_FORMAT=json",
			"DASHBOARD_SHUTDOWN_DELAY=0s",
		)
		p, err := spawn(ctx, bin, env, "http://"+addr, filepath.Join(dir, fmt.Sprintf("dashboard-%d.log", i+1)))
		if err != nil {
			ln.Close()
			closeAll()
			return nil, fmt.Errorf("replica %d: %w", i+1, err)
		}
		procs = append(procs, p)
		u, _ := url.Parse(p.url)
		backends = append(backends, u)
		d.replicas = append(d.replicas, replica{url: p.url, pid: p.pid, served: new(atomic.Int64)})
		if d.addUser == nil {
			d.addUser = p.addUser // `dashboard user add` on the shared database
		}
	}
	srv := &http.Server{Handler: roundRobin(backends, d.replicas), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(ln) }()
	d.close = func() {
		_ = srv.Close()
		closeAll()
	}
	return d, nil
}

// roundRobin sends each request to the next backend, keeping the Host the
// client asked for (the public URL's) and setting X-Forwarded-For, as a
// load balancer does.
func roundRobin(backends []*url.URL, rs []replica) http.Handler {
	var next atomic.Uint64
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := int((next.Add(1) - 1) % uint64(len(backends)))
			rs[i].served.Add(1)
			pr.SetURL(backends[i])
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        4096,
			MaxIdleConnsPerHost: 2048,
			IdleConnTimeout:     90 * time.Second,
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
}

// createDatabase creates an empty database on the PostgreSQL server at
// server and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, server string) (string, func(), error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, errors.New("-database-url is not a URL")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "loadtest_" + hex.EncodeToString(b)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, server)
	if err != nil {
		return "", nil, fmt.Errorf("-database-url: connect to the server: %w", err) // pgx masks the password
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(cctx, `CREATE DATABASE `+name); err != nil {
		return "", nil, fmt.Errorf("-database-url: create database %s (the role needs CREATEDB): %w", name, err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: drop database %s: %v\n", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: drop database %s: %v\n", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}

// redactURL hides the password of a URL, for the report's command line.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "[redacted]"
	}
	return u.Redacted()
}
