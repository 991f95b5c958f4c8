//go:build !unix

package main

import "io/fs"

// processAlive cannot tell here: every process counts as running, so no
// directory is removed.
func processAlive(int) bool { return true }

func ownedByMe(fs.FileInfo) bool { return false }
