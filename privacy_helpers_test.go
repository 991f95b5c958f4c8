//go:build unix

// The tests of issue 6: customer data and the credential stay where SPEC
// sections 2, 5 and 8 put them. They are unix-only because they set the
// umask to show that file modes do not depend on it.

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bankcard4e/bankcard4e/batch"
	"github.com/bankcard4e/bankcard4e/reader"
	"github.com/bankcard4e/bankcard4e/verifier/simulator"
	"github.com/bankcard4e/bankcard4e/writer"
)

// The privacy tests of SPEC section 6 are split by what they exercise:
// privacy_console_test.go (the console and progress lines, package main),
// privacy_files_test.go (the journal, file modes and temporary files, job),
// privacy_verifier_test.go (what goes over the wire, verifier) and
// privacy_writer_test.go (the masked output, writer). This file holds the
// helpers they share: the personal data to look for and where to look.

// needle is one piece of personal data to look for.
type needle struct {
	field string // batch.Field*
	value string
}

// String shows the needle masked, so a failing test does not print it.
func (n needle) String() string { return n.field + " " + writer.Mask(n.field, n.value) }

// personalData reads input as verify does and returns every name, bank
// card, phone and ID number in it: normalised, as spelled in the file, and
// the digits of that spelling.
func personalData(t *testing.T, input string) []needle {
	t.Helper()
	src, err := reader.Open(input, reader.Options{NoPrecheck: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	h := src.Header()
	seen := map[needle]bool{}
	var out []needle
	add := func(field, v string) {
		v = strings.TrimSpace(v)
		min := 7 // the shortest card or phone worth hiding
		if field == batch.FieldName {
			min = 2
		}
		if utf8.RuneCountInString(v) < min {
			return
		}
		n := needle{field, v}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == 'x' || r == 'X' {
				return r
			}
			return -1
		}, s)
	}
	for {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []struct {
			field, norm string
			col         int
		}{
			{batch.FieldName, row.Fields.Name, h.Name},
			{batch.FieldBankCard, row.Fields.BankCard, h.BankCard},
			{batch.FieldPhone, row.Fields.Phone, h.Phone},
			{batch.FieldIDCard, row.Fields.IDCard, h.IDCard},
		} {
			add(f.field, f.norm)
			if f.col >= 0 && f.col < len(row.Cells) {
				raw := row.Cells[f.col]
				add(f.field, raw)
				if f.field != batch.FieldName {
					add(f.field, digits(raw))
				}
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d personal values found in %s", len(out), input)
	}
	return out
}

// withHashes adds the hex MD5, SHA-1 and SHA-256 of each normalised value:
// an unkeyed hash of an ID number is as good as the number.
func withHashes(ns []needle) []needle {
	out := slices.Clone(ns)
	for _, n := range ns {
		a, b, c := md5.Sum([]byte(n.value)), sha1.Sum([]byte(n.value)), sha256.Sum256([]byte(n.value))
		for _, h := range [][]byte{a[:], b[:], c[:]} {
			out = append(out, needle{n.field + " hash", hex.EncodeToString(h)})
		}
	}
	return out
}

// found returns the needles that occur in data.
func found(data []byte, ns []needle) []needle {
	var hits []needle
	for _, n := range ns {
		if bytes.Contains(data, []byte(n.value)) {
			hits = append(hits, n)
		}
	}
	return hits
}

// expectNone fails the test for every needle in data.
func expectNone(t *testing.T, where string, data []byte, ns []needle) {
	t.Helper()
	for _, n := range found(data, ns) {
		t.Errorf("%s holds %v", where, n)
	}
}

// fileContents returns each file under dir by its path relative to dir;
// an .xlsx file is also opened and each of its zip parts added as
// "file.xlsx:part", since the zip compresses what the parts say.
func fileContents(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = data
		if strings.HasSuffix(p, ".xlsx") {
			for name, part := range zipParts(t, data) {
				out[rel+":"+name] = part
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// zipParts unzips data.
func zipParts(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip file: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

// writeMixedList writes a CSV of n made-up customers spelled the many ways
// real lists spell them, with every fourth row failing a local check and
// every seventh a copy of the row before it.
func writeMixedList(t *testing.T, dir string, n int) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"Ref", "Name", "BankCard", "Phone", "IdCard"})
	var last []string
	for i := 0; i < n; i++ {
		if i%7 == 6 && last != nil {
			w.Write(last)
			continue
		}
		f := person(i + 1000)
		card, phone, id := f.BankCard, f.Phone, f.IDCard
		switch i % 3 {
		case 1:
			card = card[:4] + " " + card[4:8] + " " + card[8:12] + " " + card[12:]
			phone = "+86 " + phone[:3] + "-" + phone[3:7] + "-" + phone[7:]
		case 2:
			card = card[:4] + "-" + card[4:]
			phone = "0086" + phone
			id = strings.ToLower(id)
		}
		switch i % 4 {
		case 1:
			card = f.BankCard[:10] // too short
		case 3:
			id = id[:17] + map[bool]string{true: "1", false: "0"}[id[17] == '0'] // wrong check character
		}
		last = []string{fmt.Sprintf("G%04d", i), f.Name, card, phone, id}
		w.Write(last)
	}
	w.Flush()
	path := filepath.Join(dir, "mixed.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// privacyInputs are the inputs the scans run over: the three samples and a
// generated list, each copied into dir.
func privacyInputs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, s := range []string{"customers.csv", "customers-gbk.csv", "customers.xlsx"} {
		data, err := os.ReadFile(filepath.Join("samples", s))
		if err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, strings.ReplaceAll(s, ".", "_"))
		if err := os.Mkdir(sub, 0o700); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(sub, s)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sub := filepath.Join(dir, "mixed")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	return append(out, writeMixedList(t, sub, 60))
}

// errorSome makes the simulator answer an error code for about a third of
// the rows, by their phone number.
func errorSome(f batch.Fields, n int) *simulator.Injection {
	if f.Phone != "" && strings.ContainsAny(f.Phone[len(f.Phone)-1:], "147") {
		return &simulator.Injection{Error: "InvalidParameterValue", Message: "The parameter value is invalid."}
	}
	return nil
}

// A run's console scenarios: answers, error rows, an abort and an
// interrupt, with and without the local checks.
var consoleScenarios = []struct {
	name  string
	cfg   simulator.Config
	args  []string
	ctx   func() (context.Context, func())
	codes []int // acceptable exit codes
}{
	{
		name:  "answers, faults and error rows",
		cfg:   simulator.Config{Seed: 3, Inject: errorSome, Faults: simulator.Faults{Throttle: 0.1, DropAfter: 0.05, HTTP5xx: 0.05}},
		codes: []int{exitOK, exitRowErrors},
	},
	{
		name:  "invalid rows sent with --no-precheck",
		args:  []string{"--no-precheck"},
		codes: []int{exitOK, exitRowErrors},
	},
	{
		name:  "aborted by AuthFailure",
		cfg:   simulator.Config{Faults: simulator.Faults{AuthFailure: true}},
		codes: []int{exitAborted},
	},
	{
		name:  "interrupted",
		cfg:   simulator.Config{LatencyMin: 150 * time.Millisecond, LatencyMax: 150 * time.Millisecond},
		ctx:   signalAfter(os.Interrupt, 225*time.Millisecond),
		codes: []int{exitInterrupted},
	},
}
