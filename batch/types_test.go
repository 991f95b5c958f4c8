package batch

import (
	"strings"
	"testing"
)

func TestKeyer(t *testing.T) {
	k := NewKeyer()
	base := Fields{Name: "张伟", BankCard: "6222020000000000", Phone: "13800000000", IDCard: "11010119900307123X"}
	same := base
	same.CertType = "0"
	if k.Key(base) != k.Key(same) {
		t.Error("CertType 0 and empty give different keys")
	}
	differ := []Fields{
		{Name: "张伟x", BankCard: base.BankCard, Phone: base.Phone, IDCard: base.IDCard},
		{Name: base.Name, BankCard: "6222020000000001", Phone: base.Phone, IDCard: base.IDCard},
		{Name: base.Name, BankCard: base.BankCard, Phone: "13800000001", IDCard: base.IDCard},
		{Name: base.Name, BankCard: base.BankCard, Phone: base.Phone, IDCard: "110101199003071231"},
		{Name: base.Name, BankCard: base.BankCard, Phone: base.Phone, IDCard: base.IDCard, CertType: "1"},
		// The same characters split differently between fields.
		{Name: base.Name + "6", BankCard: base.BankCard[1:], Phone: base.Phone, IDCard: base.IDCard},
	}
	for i, f := range differ {
		if k.Key(f) == k.Key(base) {
			t.Errorf("case %d: %+v has the key of %+v", i, f, base)
		}
	}
	// Equal fields held in other strings get the same key from one
	// Keyer (and CertType "0" is the default ""); another Keyer's keys do
	// not compare.
	clone := Fields{Name: strings.Clone(base.Name), BankCard: strings.Clone(base.BankCard), Phone: strings.Clone(base.Phone), IDCard: strings.Clone(base.IDCard), CertType: "0"}
	if k.Key(clone) != k.Key(base) {
		t.Errorf("%+v and %+v, equal rows, have different keys", clone, base)
	}
	if NewKeyer().Key(base) == k.Key(base) {
		t.Error("two Keyers made the same key: the seeds are not random")
	}
}
