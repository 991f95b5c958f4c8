package batch

import "time"

// SetClaimPoll shortens the wait between looks at a row another run
// holds, for tests; the returned func restores it.
func SetClaimPoll(lo, hi time.Duration) (restore func()) {
	oldLo, oldHi := claimPollMin, claimPollMax
	claimPollMin, claimPollMax = lo, hi
	return func() { claimPollMin, claimPollMax = oldLo, oldHi }
}
