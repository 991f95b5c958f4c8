//go:build unix

package reader

import "syscall"

// allocChunk maps an anonymous block of n bytes, outside the Go heap.
func allocChunk(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	return b
}

// freeChunk unmaps a block from allocChunk.
func freeChunk(b []byte) {
	syscall.Munmap(b) // a heap block (mmap failed) gives EINVAL, and the GC frees it
}
