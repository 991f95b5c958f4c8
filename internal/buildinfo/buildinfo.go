// Package buildinfo says which build of the tool is running: its version,
// and the commit and build date, from the linker flags a release build
// sets or else from what Go recorded in the binary (runtime/debug).
package buildinfo

import (
	"cmp"
	"fmt"
	"runtime/debug"
)

// Line is what --version prints: "NAME VERSION (commit C, built D)". commit
// and date are the linker-set values ("" when the build set none); Go's
// recorded VCS settings fill them in otherwise, and "(modified)" marks a
// build from a work tree with uncommitted changes.
func Line(name, version, commit, date string) string {
	dirty := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = cmp.Or(commit, s.Value)
			case "vcs.time":
				date = cmp.Or(date, s.Value)
			case "vcs.modified":
				if s.Value == "true" {
					dirty = " (modified)"
				}
			}
		}
	}
	return fmt.Sprintf("%s %s (commit %s%s, built %s)", name, version, cmp.Or(commit, "unknown"), dirty, cmp.Or(date, "unknown"))
}
