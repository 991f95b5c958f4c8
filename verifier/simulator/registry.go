package simulator

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/bankcard4e/bankcard4e/batch"
)

// registryCSV holds the customers whose four elements match: they get
// Result 0. samples/ is built from it.
//
//go:embed registry.csv
var registryCSV string

// registered is what the registry holds for one name and ID number.
type registered struct{ card, phone string }

// regKey is the registry's key for a name and ID number.
func regKey(name, id string) string { return name + "\x00" + id }

// Registry returns the customers the simulator verifies with Result 0, in
// file order.
func Registry() []batch.Fields {
	rows, err := readRegistry()
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return rows
}

// readRegistry parses the embedded registry.csv (header name, bankcard,
// phone, idcard).
func readRegistry() ([]batch.Fields, error) {
	r := csv.NewReader(strings.NewReader(registryCSV))
	r.FieldsPerRecord = 4
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("simulator registry header: %w", err)
	}
	if strings.Join(header, ",") != "name,bankcard,phone,idcard" {
		return nil, fmt.Errorf("simulator registry header %q: want name,bankcard,phone,idcard", header)
	}
	var out []batch.Fields
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("simulator registry: %w", err)
		}
		out = append(out, batch.Fields{Name: rec[0], BankCard: rec[1], Phone: rec[2], IDCard: rec[3]})
	}
}

// loadRegistry indexes the registry by name and ID number.
func loadRegistry() (map[string]registered, error) {
	rows, err := readRegistry()
	if err != nil {
		return nil, err
	}
	m := make(map[string]registered, len(rows))
	for _, f := range rows {
		m[regKey(f.Name, f.IDCard)] = registered{card: f.BankCard, phone: f.Phone}
	}
	return m, nil
}
