package job

import (
	"context"
	"errors"
	"io"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/memory"
	"github.com/bankcard4e/bankcard4e/reader"
)

// Forgetter is a memory that can erase entries (memory.Store).
type Forgetter interface {
	RowKey(f batch.Fields) batch.MemoryKey
	CardKey(bankCard string) batch.MemoryKey
	Forget(ctx context.Context, keys []batch.MemoryKey) (memory.Forgotten, error)
}

// ForgetList erases from m the answers and card-guard counts of every row
// of the list at path, for a customer's erasure request, and returns how
// many rows the list had. The whole list is read before anything is
// deleted, so a list that breaks off half-way forgets nobody; rows that
// fail the format checks are forgotten too, since verify --no-precheck
// may have sent them.
func ForgetList(ctx context.Context, m Forgetter, path string, o reader.Options) (rows int, f memory.Forgotten, err error) {
	o.NoPrecheck = true
	r, err := reader.Open(path, o)
	if err != nil {
		return 0, f, err
	}
	defer r.Close()
	var keys []batch.MemoryKey
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rows, f, err
		}
		rows++
		keys = append(keys, m.RowKey(row.Fields))
		if row.Fields.BankCard != "" {
			keys = append(keys, m.CardKey(row.Fields.BankCard))
		}
	}
	f, err = m.Forget(ctx, keys)
	return rows, f, err
}
