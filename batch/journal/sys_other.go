//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package journal

import "os"

// lock is a no-op where advisory locks are not available.
func lock(*os.File) error { return nil }

// syncDir is a no-op where directories cannot be synced.
func syncDir(string) error { return nil }
