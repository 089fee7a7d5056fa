package mwclient

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"net/url"
	"slices"
)

// Query runs action=query with params and yields the "query" member of
// each answer decoded into T, following the wiki's continuation: after
// each answer the next request is params plus the answer's "continue"
// values, until an answer has none. Stop early by breaking out of the
// loop. An error is yielded once, with T's zero value, and ends the
// sequence.
//
// T describes one answer's "query", such as
//
//	struct {
//		Pages []struct {
//			Title     string `json:"title"`
//			Revisions []struct {
//				User string `json:"user"`
//			} `json:"revisions"`
//		} `json:"pages"`
//	}
//
// for prop=revisions. A list (list=allpages, list=watchlistraw...) comes a
// batch per answer. With a generator and props, one page's props may be
// spread over several answers (the wiki marks the last with batchcomplete):
// merge them by page id if that matters.
func Query[T any](ctx context.Context, s *Session, params url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var cont url.Values // the last answer's continue values
		for {
			p := url.Values{}
			maps.Copy(p, params)
			maps.Copy(p, cont)
			p.Set("action", "query")
			var r struct {
				Continue map[string]json.RawMessage `json:"continue"`
				Query    T                          `json:"query"`
			}
			if err := s.Get(ctx, p, &r); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if !yield(r.Query, nil) || len(r.Continue) == 0 {
				return
			}
			next := url.Values{}
			for k, v := range r.Continue {
				next.Set(k, scalarString(v))
			}
			if maps.EqualFunc(next, cont, slices.Equal) {
				// A wiki that answered the same continuation twice would
				// otherwise be asked forever.
				var zero T
				yield(zero, &DecodeError{ContentType: "application/json", Err: fmt.Errorf("the wiki repeated continue %v", next)})
				return
			}
			cont = next
		}
	}
}
