// Package middleware holds the Gin middleware every mwlogin server uses,
// whether it is the mwlogin command or a host that embeds the login app:
// request IDs that follow a request into every log line and to the wiki,
// an access log, and recovery from panics.
package middleware

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type requestIDKey struct{}

// RequestID gives every request an ID, sent back in X-Request-Id. A request
// that already has one (a host ran this middleware first) keeps it.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		if RequestIDFrom(c.Request.Context()) != "" {
			c.Next()
			return
		}
		id := rand.Text()[:16]
		c.Header("X-Request-Id", id)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey{}, id))
		c.Next()
	}
}

// RequestIDFrom returns the request ID carried by ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// LogHandler adds the request ID to every record logged with a context
// that carries one, so that every line a request causes can be found by
// its ID without each call site remembering to add it.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// AccessLog logs one line per request. It logs the path, never the query
// string: a REDIRECT return carries a provider's code there.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	log = slog.New(LogHandler(log.Handler()))
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		attrs := []any{"method", c.Request.Method, "path", c.Request.URL.Path, "status", c.Writer.Status(),
			"duration", time.Since(start), "client", c.ClientIP()}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "errors", c.Errors.String())
		}
		log.InfoContext(c.Request.Context(), "request", attrs...)
	}
}

// Recovery turns a panic into a plain 500 and a log line; the user sees no
// stack trace. Put it after AccessLog, so that the 500 is logged too.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	log = slog.New(LogHandler(log.Handler()))
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "panic while serving a request", "path", c.Request.URL.Path, "panic", r)
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}
