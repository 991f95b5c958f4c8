// Package reader turns an input file (CSV or XLSX) into normalised, checked
// rows, one at a time.
//
// It finds the header row among the first non-empty rows (or takes row
// Options.HeaderRow), maps the columns to the four elements of a
// BankCard4EVerification call through the aliases of SPEC section 3 (or
// --column overrides), normalises each value (SPEC section 4) and runs the
// local checks. Rows stream: memory does not grow with the number of rows.
// Reader.Input says which sheet, header row, delimiter and encoding were
// read, for the console.
//
// CSV files are read by csvScanner with encoding/csv's results (RFC 4180,
// strict quoting): it follows the quotes to each record's end, turns
// CR-only line ends into LF, refuses a record over 1 MiB before holding
// more of it, splits a record without quotes itself and hands one with
// quotes to encoding/csv. The delimiter (',', ';', tab) is
// sniffed from the header line. A file with a UTF-8 BOM is UTF-8 and each
// record must be valid UTF-8; without a BOM, a file that is not valid UTF-8
// is decoded as GB18030. UTF-16 and binary files are refused.
//
// XLSX parts are read by xmlScanner, a small streaming tokenizer whose
// tokens are bounded (1 MiB and a little), rather than encoding/xml, which
// buffers a text run whole, or excelize's Rows, which does not expose a
// cell's stored type (the numeric-cell rule needs it) and is slower. The
// shared-string table is held in fixed blocks outside the Go heap (see
// sst.go) and refused past 128 MiB of text or 8M strings.
package reader
