package demowiki

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestStudentAccounts(t *testing.T) {
	ts := httptest.NewServer(New())
	defer ts.Close()
	cases := []struct {
		user string
		want string
	}{
		{Student(1), "PASS"},
		{Student(Students), "PASS"},
		{"student7", "PASS"}, // the first letter is capitalised, as on most wikis
		{Student(0), "FAIL"},
		{Student(Students + 1), "FAIL"},
		{"Student07", "FAIL"},
		{"Student", "FAIL"},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			c := &client{t: t, api: ts.URL + "/api.php", hc: &http.Client{Jar: jar}}
			res := c.login(url.Values{"username": {tc.user}, "password": {Password}})
			cl, _ := res["clientlogin"].(map[string]any)
			if got := cl["status"]; got != tc.want {
				t.Fatalf("%s: status %v, want %s: %v", tc.user, got, tc.want, res)
			}
		})
	}
}
