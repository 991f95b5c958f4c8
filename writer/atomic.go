package writer

import (
	"os"

	"github.com/bankcard4e/bankcard4e/internal/fileutil"
)

// The writer's outputs go through the atomic helpers the tool shares
// (internal/fileutil): a temporary file beside the output, mode 0600,
// fsynced and renamed into place.

func createTemp(path string) (*os.File, error) { return fileutil.CreateTemp(path) }

func commit(tmp *os.File, path string) error { return fileutil.Commit(tmp, path) }

func discard(tmp *os.File) error { return fileutil.Discard(tmp) }

func writeFileAtomic(path string, data []byte) error { return fileutil.WriteFile(path, data) }
