package journal

import (
	"os"
	"syscall"
)

// datasync makes the file's data and size durable (fdatasync).
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
