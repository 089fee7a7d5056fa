package mwclient

import "testing"

func BenchmarkDecodeLoginResult(b *testing.B) {
	body := []byte(cannedUI)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var out struct {
			envelope
			ClientLogin *LoginResult `json:"clientlogin"`
		}
		if err := decode("application/json; charset=utf-8", body, &out); err != nil {
			b.Fatal(err)
		}
		if out.ClientLogin == nil || len(out.ClientLogin.Fields) != 11 {
			b.Fatal("decoded the wrong thing")
		}
	}
}
