package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mwlogin/mwlogin/bench/floor"
	"github.com/mwlogin/mwlogin/bench/standin"
	"github.com/mwlogin/mwlogin/mwclient"
)

// wikiAddrs is what a stand-in wiki process announces on its first line.
type wikiAddrs struct {
	App     string `json:"app"`     // api.php for the app
	Direct  string `json:"direct"`  // api.php for the direct driver
	IdP     string `json:"idp"`     // the identity provider
	Control string `json:"control"` // /stats
}

// wikiStats is the stand-in's /stats answer.
type wikiStats struct {
	Calls    map[string]int64 `json:"calls"`
	Total    int64            `json:"total"`
	App      connStats        `json:"app"`
	Direct   connStats        `json:"direct"`
	IdP      connStats        `json:"idp"`
	Sessions int              `json:"sessions"`
}

type connStats struct {
	Opened int64 `json:"opened"`
	Open   int64 `json:"open"`
	Peak   int64 `json:"peak"`
}

func listen() (net.Listener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// serveWiki runs the stand-in wiki: one api.php listener for the app, one
// for the direct driver (so that connections are counted apart), one for
// the identity provider and one for /stats.
func serveWiki(args []string) {
	fs := flag.NewFlagSet("wiki", flag.ExitOnError)
	latency := fs.Duration("latency", 0, "latency added to every API call")
	fs.Parse(args)

	appLn, appURL := listen()
	directLn, directURL := listen()
	idpLn, idpURL := listen()
	ctlLn, ctlURL := listen()
	w := standin.New(*latency, idpURL)
	var appC, directC, idpC standin.Conns
	api := func(c *standin.Conns) *http.Server {
		mux := http.NewServeMux()
		mux.Handle("/api.php", w.Handler())
		return &http.Server{Handler: mux, ConnState: c.Track(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	}
	go api(&appC).Serve(appLn)
	go api(&directC).Serve(directLn)
	idpMux := http.NewServeMux()
	idpMux.Handle("/idp", w.IdPHandler())
	go (&http.Server{Handler: idpMux, ConnState: idpC.Track()}).Serve(idpLn)
	ctl := http.NewServeMux()
	cs := func(c *standin.Conns) connStats {
		return connStats{Opened: c.Opened.Load(), Open: c.Open(), Peak: c.Peak.Load()}
	}
	ctl.HandleFunc("/stats", func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			appC.ResetPeak()
			directC.ResetPeak()
		}
		json.NewEncoder(rw).Encode(wikiStats{Calls: w.Calls(), Total: w.TotalCalls(),
			App: cs(&appC), Direct: cs(&directC), IdP: cs(&idpC), Sessions: w.Sessions()})
	})
	ctl.HandleFunc("/debug/pprof/profile", pprof.Profile)
	go http.Serve(ctlLn, ctl)
	json.NewEncoder(os.Stdout).Encode(wikiAddrs{App: appURL + "/api.php", Direct: directURL + "/api.php", IdP: idpURL, Control: ctlURL})
	waitSignal()
}

// serveFloor runs the floor (bench/floor) in front of the wiki, on the
// same net/http server and mwclient as the app, and announces its URL on
// its first line.
func serveFloor(args []string) {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	wiki := fs.String("wiki", "", "the wiki's api.php")
	fs.Parse(args)
	c, err := mwclient.New(*wiki, mwclient.Options{UserAgent: "mwlogin-bench-floor/0"})
	if err != nil {
		fatal(err)
	}
	ln, u := listen()
	mux := http.NewServeMux()
	mux.Handle("/", floor.Handler(c, u+"/return"))
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile) // for -profile
	go (&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}).Serve(ln)
	fmt.Println(u)
	waitSignal()
}

func waitSignal() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
