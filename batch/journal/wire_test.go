package journal

import "github.com/bankcard4e/bankcard4e/batch"

// The runner's interface is met, and the State fits its Resume.
var (
	_ batch.Journal = (*Journal)(nil)
	_               = func(st *State) batch.Resume { return batch.Resume{Final: st.Final, Carry: st.Carry} }
)
