package handlers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestTemplateDataDocumented: every field a template gets is in the
// templates package's documentation, which is what a host overriding a
// template reads (go doc github.com/mwlogin/mwlogin/templates).
func TestTemplateDataDocumented(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "templates", "templates.go"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	for _, v := range []any{pageData{}, stepView{}, fieldView{}, userView{}, errorText{}} {
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			if f.IsExported() && !strings.Contains(doc, "//\t."+f.Name+" ") {
				t.Errorf("%s.%s is not documented in templates/templates.go", typ.Name(), f.Name)
			}
		}
	}
	for _, v := range []any{optionView{}, hiddenValue{}, linkView{}, langView{}} {
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			if !strings.Contains(doc, f.Name) {
				t.Errorf("%s.%s is not documented in templates/templates.go", typ.Name(), f.Name)
			}
		}
	}
	// The methods templates call, such as {{$.T "login"}}.
	for _, v := range []any{&pageData{}, fieldView{}} {
		typ := reflect.TypeOf(v)
		for m := range typ.Methods() {
			if !strings.Contains(doc, "//\t."+m.Name+" ") {
				t.Errorf("method %s.%s is not documented in templates/templates.go", typ, m.Name)
			}
		}
	}
}
