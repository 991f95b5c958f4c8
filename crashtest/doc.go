// Package crashtest holds the crash tests of SPEC sections 7 and 10: it
// builds the bankcard4e binary, runs verify against the simulator, kills
// (SIGKILL) or interrupts (SIGINT) it at random moments, reruns it until it
// finishes, and holds the final output and tally against an uninterrupted
// run and the simulator's own count of charged calls.
//
// It has no code of its own; run it with `make crashtest`. It is skipped
// under -short.
package crashtest
