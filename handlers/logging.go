package handlers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

type requestIDKey struct{}

// RequestID gives every request an ID: it is sent back in X-Request-Id,
// logged by AccessLog and sent to the wiki with every API call made for the
// request, so one login can be followed through both logs.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		b := make([]byte, 12)
		rand.Read(b)
		id := base64.RawURLEncoding.EncodeToString(b)
		c.Header("X-Request-Id", id)
		c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey{}, id))
		c.Next()
	}
}

// requestID returns the request's ID, or "".
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// AccessLog logs one line per request. It logs the path, never the query
// string: a REDIRECT return carries a provider's code there.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		ctx := c.Request.Context()
		// LogAttrs: a line per request, without boxing every value in an any.
		attrs := [...]slog.Attr{slog.String("request_id", requestID(ctx)), slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path), slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)), slog.String("client", c.ClientIP()),
			slog.String("errors", "")}
		n := len(attrs) - 1
		if len(c.Errors) > 0 {
			attrs[n] = slog.String("errors", c.Errors.String())
			n++
		}
		log.LogAttrs(ctx, slog.LevelInfo, "request", attrs[:n]...)
	}
}

// Recovery turns a panic into a plain 500 and a log line; the user sees no
// stack trace.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				log.Error("panic while serving a request", "path", c.Request.URL.Path, "panic", r)
				c.AbortWithStatus(http.StatusInternalServerError)
			}
		}()
		c.Next()
	}
}
