//go:build !unix

package reader

func allocChunk(n int) []byte { return make([]byte, n) }

func freeChunk([]byte) {}
