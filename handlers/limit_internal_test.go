package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/mwlogin/mwlogin/locale"
)

func TestAddressKey(t *testing.T) {
	cases := []struct{ ip, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:0:1::1", "2001:db8:0:1::/64"},
		{"2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:1::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := addressKey(tc.ip); got != tc.want {
			t.Errorf("addressKey(%q) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

func TestFoldName(t *testing.T) {
	cases := []struct{ name, want string }{
		{"Alice", "alice"},
		{"  Alice_Smith ", "alice smith"},
		{"alice   smith", "alice smith"},
		{"Ame\u0301lie", "am\u00e9lie"}, // NFD folds to NFC, as MediaWiki normalises input
		{strings.Repeat("a", 300), strings.Repeat("a", 255)},
	}
	for _, tc := range cases {
		if got := foldName(tc.name); got != tc.want {
			t.Errorf("foldName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDurationInWords(t *testing.T) {
	en := &speech{lang: "en", cat: locale.Default()}
	cases := []struct {
		d    time.Duration
		want string
	}{
		{time.Second, "1 second"},
		{1500 * time.Millisecond, "2 seconds"},
		{time.Minute, "1 minute"},
		{4*time.Minute + time.Second, "5 minutes"},
		{time.Hour, "1 hour"},
		{90 * time.Minute, "90 minutes"},
		{48 * time.Hour, "48 hours"},
	}
	for _, tc := range cases {
		if got := en.duration(tc.d); got != tc.want {
			t.Errorf("duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
