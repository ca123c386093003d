// Command gotemplates renders templates the way listmonk (Go html/template, text/template and Sprig) and
// Brevo's stand-in pongo2 do. It reads one JSON request on stdin and writes one JSON answer on stdout.
//
// The listmonk steps follow knadh/listmonk models/campaigns.go CompileTemplate and
// internal/manager/message.go render: the same regexp rewrites (models/common.go regTplFuncs), the body
// parsed with html/template as "content" inside the base template, the subject with text/template and
// the altbody with html/template, all with Sprig's GenericFuncMap (minus env) plus listmonk's Safe and the
// per-message URL functions.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltpl "html/template"
	"os"
	"regexp"
	"strings"
	txttpl "text/template"

	sprig "github.com/Masterminds/sprig/v3"
	pongo2 "github.com/flosch/pongo2/v4"
)

type request struct {
	Engine  string            `json:"engine"`
	Cases   []tcase           `json:"cases"`
	Readers []map[string]string `json:"readers"`
}

type tcase struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // listmonk: body, altbody, subject; pongo2: html
	Template string `json:"template"`
	Base     string `json:"base"` // listmonk: the campaign template body ("" = listmonk's default of {{ template "content" . }})
}

type result struct {
	Name   string   `json:"name"`
	Output []string `json:"output"`
	Error  string   `json:"error"`
}

// Subscriber mirrors the fields of listmonk's models.Subscriber that campaign templates use.
type Subscriber struct {
	UUID      string
	Email     string
	Name      string
	FirstName string
	Attribs   map[string]any
}

// Message mirrors manager.CampaignMessage as templates see it.
type Message struct {
	Subscriber Subscriber
	unsubURL   string
	messageURL string
}

type rewrite struct {
	re   *regexp.Regexp
	repl string
}

var rewrites = []rewrite{
	{regexp.MustCompile(`{{\s*TrackLink\s+"([^"]+)"\s*}}`), `{{ TrackLink "$1" . }}`},
	{regexp.MustCompile(`(https?://[\p{L}\p{N}_\-\.~!#$&'()*+,/:;=?@\[\]%]*)@TrackLink`), `{{ TrackLink "$1" . }}`},
	{regexp.MustCompile(`{{(\s+)?(TrackView|UnsubscribeURL|ManageURL|OptinURL|MessageURL)(\s+)?}}`), `{{ $2 . }}`},
}

func rewriteAll(s string) string {
	for _, r := range rewrites {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return s
}

func funcs() htmltpl.FuncMap {
	f := htmltpl.FuncMap{}
	for k, v := range sprig.GenericFuncMap() {
		f[k] = v
	}
	delete(f, "env")
	delete(f, "expandenv")
	delete(f, "getHostByName")
	f["Safe"] = func(s string) htmltpl.HTML { return htmltpl.HTML(s) }
	f["UnsubscribeURL"] = func(m *Message) string { return m.unsubURL }
	f["ManageURL"] = func(m *Message) string { return m.unsubURL + "?manage=true" }
	f["MessageURL"] = func(m *Message) string { return m.messageURL }
	f["OptinURL"] = func(m *Message) string { return "https://lists.example.org/subscription/optin/" + m.Subscriber.UUID }
	f["TrackLink"] = func(url string, m *Message) string { return url }
	f["TrackView"] = func(m *Message) htmltpl.HTML { return "" }
	f["ArchiveURL"] = func() string { return "https://lists.example.org/archive" }
	f["RootURL"] = func() string { return "https://lists.example.org" }
	return f
}

func message(r map[string]string) *Message {
	return &Message{
		Subscriber: Subscriber{UUID: r["uuid"], Email: r["email"], Name: r["name"], FirstName: r["first_name"]},
		unsubURL:   r["unsubscribe_url"],
		messageURL: r["web_url"],
	}
}

// listmonk compiles one campaign field and renders it for every reader.
func listmonk(c tcase, readers []map[string]string) ([]string, error) {
	f := funcs()
	var render func(m *Message) (string, error)
	switch c.Kind {
	case "subject":
		t, err := txttpl.New("content").Funcs(txttpl.FuncMap(f)).Parse(rewriteAll(c.Template))
		if err != nil {
			return nil, fmt.Errorf("error compiling subject: %v", err)
		}
		render = func(m *Message) (string, error) {
			var b bytes.Buffer
			err := t.ExecuteTemplate(&b, "content", m)
			return b.String(), err
		}
	case "altbody":
		if !strings.Contains(c.Template, "{{") {
			return repeat(c.Template, len(readers)), nil
		}
		t, err := htmltpl.New("content").Funcs(f).Parse(rewriteAll(c.Template))
		if err != nil {
			return nil, fmt.Errorf("error compiling alt plaintext message: %v", err)
		}
		render = func(m *Message) (string, error) {
			var b bytes.Buffer
			err := t.ExecuteTemplate(&b, "content", m)
			return b.String(), err
		}
	default:
		base := c.Base
		if base == "" {
			base = `{{ template "content" . }}`
		}
		baseTpl, err := htmltpl.New("base").Funcs(f).Parse(rewriteAll(base))
		if err != nil {
			return nil, fmt.Errorf("error compiling base template: %v", err)
		}
		msgTpl, err := htmltpl.New("content").Funcs(f).Parse(rewriteAll(c.Template))
		if err != nil {
			return nil, fmt.Errorf("error compiling message: %v", err)
		}
		out, err := baseTpl.AddParseTree("content", msgTpl.Tree)
		if err != nil {
			return nil, fmt.Errorf("error inserting child template: %v", err)
		}
		render = func(m *Message) (string, error) {
			var b bytes.Buffer
			err := out.ExecuteTemplate(&b, "base", m)
			return b.String(), err
		}
	}
	outputs := make([]string, 0, len(readers))
	for _, r := range readers {
		s, err := render(message(r))
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, s)
	}
	return outputs, nil
}

// brevo renders with pongo2 (autoescaping on, as pongo2 sets it by default) and a contact object.
func brevo(c tcase, readers []map[string]string) ([]string, error) {
	set := pongo2.NewSet("brevo", pongo2.MustNewLocalFileSystemLoader(os.TempDir()))
	t, err := set.FromString(c.Template)
	if err != nil {
		return nil, err
	}
	outputs := make([]string, 0, len(readers))
	for _, r := range readers {
		ctx := pongo2.Context{
			"contact":        map[string]any{"FIRSTNAME": r["first_name"], "EMAIL": r["email"]},
			"unsubscribe":    r["unsubscribe_url"],
			"mirror":         r["web_url"],
			"update_profile": r["preferences_url"],
		}
		s, err := t.Execute(ctx)
		if err != nil {
			return nil, err
		}
		outputs = append(outputs, s)
	}
	return outputs, nil
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "bad request:", err)
		os.Exit(2)
	}
	results := make([]result, 0, len(req.Cases))
	for _, c := range req.Cases {
		var out []string
		var err error
		switch req.Engine {
		case "listmonk":
			out, err = listmonk(c, req.Readers)
		case "pongo2":
			out, err = brevo(c, req.Readers)
		default:
			err = fmt.Errorf("unknown engine %q", req.Engine)
		}
		res := result{Name: c.Name, Output: out}
		if err != nil {
			res.Error = err.Error()
		}
		results = append(results, res)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		os.Exit(1)
	}
}
