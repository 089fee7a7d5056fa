package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mwlogin/mwlogin/bench/floor"
	"github.com/mwlogin/mwlogin/internal/demowiki"
	"github.com/mwlogin/mwlogin/mwclient"
)

// A wiki role announces its two addresses as JSON on its first line.
type wikiAddrs struct {
	API   string `json:"api"`   // api.php
	Stats string `json:"stats"` // the counters, apart so that reading them is not counted
}

// counters is what the bench counts at the wiki: API calls and the TCP
// connections accepted.
type counters struct {
	Calls int64 `json:"calls"`
	Conns int64 `json:"conns"`
}

type counting struct{ calls, conns atomic.Int64 }

func (c *counting) read() counters { return counters{c.calls.Load(), c.conns.Load()} }

// wikiServer serves the demo wiki, every API call made latency slower, and
// counts what it serves.
func wikiServer(latency time.Duration, c *counting) *http.Server {
	w := demowiki.New()
	w.Latency = latency
	return &http.Server{
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api.php" {
				c.calls.Add(1)
			}
			w.ServeHTTP(rw, r)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				c.conns.Add(1)
			}
		},
		ReadHeaderTimeout: 10 * time.Second,
	}
}

func serveWiki(args []string) {
	fs := flag.NewFlagSet("wiki", flag.ExitOnError)
	latency := fs.Duration("latency", 0, "added to every API call")
	fs.Parse(args)
	var c counting
	api, apiURL := listen()
	stats, statsURL := listen()
	go wikiServer(*latency, &c).Serve(api)
	go http.Serve(stats, http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(rw).Encode(c.read())
	}))
	json.NewEncoder(os.Stdout).Encode(wikiAddrs{API: apiURL + "/api.php", Stats: statsURL})
	waitSignal()
}

func readCounters(statsURL string) (counters, error) {
	var c counters
	resp, err := http.Get(statsURL)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

// serveFloor runs bench/floor in front of the wiki, on the app's HTTP
// server and wiki client, and announces its URL.
func serveFloor(args []string) {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	wiki := fs.String("wiki", "", "the wiki's api.php")
	fs.Parse(args)
	c, err := mwclient.New(*wiki, mwclient.Options{UserAgent: "mwlogin-bench-floor/0"})
	if err != nil {
		fatal(err)
	}
	ln, u := listen()
	go (&http.Server{Handler: floor.Handler(c, u+"/return"), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	fmt.Println(u)
	waitSignal()
}

func listen() (net.Listener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	return ln, "http://" + ln.Addr().String()
}

func waitSignal() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
