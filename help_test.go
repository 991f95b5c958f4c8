package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// optionLine is one line of a command's OPTIONS: "--name[, -x] [PLACEHOLDER]  text".
var optionLine = regexp.MustCompile(`^\s+(--[a-z0-9-]+)((?:, -[a-z])?)(?: ([A-Za-z.=]+))?(?:, -[a-z] [A-Za-z.=]+)?\s{2,}(.*)$`)

// Every command's --help names each option's value (no bare "value"),
// shows a default at most once per option, and an option that several
// commands share reads the same in each.
func TestHelpNamesValuesAndDefaultsOnce(t *testing.T) {
	app := newApp(nil, nil)
	seen := map[string]string{} // option → placeholder, over every command
	for _, cmd := range app.Commands {
		if cmd.Name == "help" {
			continue
		}
		t.Run(cmd.Name, func(t *testing.T) {
			stdout, stderr, code := runApp(t, context.Background(), cmd.Name, "--help")
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			takesValue := map[string]bool{}
			for _, f := range cmd.Flags {
				_, isBool := f.(*cli.BoolFlag)
				takesValue["--"+f.Names()[0]] = !isBool
			}
			lines := 0
			for _, line := range strings.Split(stdout, "\n") {
				m := optionLine.FindStringSubmatch(line)
				if m == nil || m[1] == "--help" {
					continue
				}
				lines++
				name, placeholder, text := m[1], m[3], m[4]
				if takesValue[name] && (placeholder == "" || placeholder == "value") {
					t.Errorf("%s: %s has no named placeholder: %q", cmd.Name, name, line)
				}
				if !takesValue[name] && placeholder != "" {
					t.Errorf("%s: switch %s shows a value %q", cmd.Name, name, placeholder)
				}
				if n := strings.Count(text, "(default"); n > 1 {
					t.Errorf("%s: %s shows %d defaults: %q", cmd.Name, name, n, line)
				}
				if strings.Contains(text, "(default: false)") {
					t.Errorf("%s: %s shows a default for a switch: %q", cmd.Name, name, line)
				}
				if prev, ok := seen[name]; ok && prev != placeholder {
					t.Errorf("%s: %s takes %q here and %q in another command", cmd.Name, name, placeholder, prev)
				}
				seen[name] = placeholder
			}
			if lines != len(cmd.Flags) {
				t.Errorf("%s: read %d option lines of %d flags:\n%s", cmd.Name, lines, len(cmd.Flags), stdout)
			}
		})
	}
	if seen["--price"] != "AMOUNT" || seen["--timeout"] != "DURATION" || seen["--sheet"] != "NAME" || seen["--qps"] != "N" {
		t.Errorf("placeholders %v", seen)
	}
}

// --version and `version` print the version, the commit and the build
// date.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		stdout, _, code := runApp(t, context.Background(), args...)
		if code != exitOK || !strings.HasPrefix(stdout, "bankcard4e "+version+" (commit ") || !strings.Contains(stdout, ", built ") {
			t.Errorf("%v: exit %d, %q", args, code, stdout)
		}
	}
}

// An option after INPUT would be ignored by the flag parser: it is refused
// with a hint to move it, before anything is read or sent.
func TestOptionAfterInputRefused(t *testing.T) {
	for _, cmd := range []string{"verify", "check"} {
		_, stderr, code := runApp(t, context.Background(), cmd, "samples/customers.csv", "--qps", "5")
		if code != exitFatal || !strings.Contains(stderr, "--qps") || !strings.Contains(stderr, "before INPUT") {
			t.Errorf("%s INPUT --qps 5: exit %d\n%s", cmd, code, stderr)
		}
	}
}
