//go:build !linux

package journal

import "os"

// datasync makes the file's data durable (F_FULLFSYNC on macOS).
func datasync(f *os.File) error { return f.Sync() }
