// Package reader turns an input file (CSV or XLSX) into normalised, checked
// rows, one at a time.
//
// It finds the header row among the first non-empty rows, maps the columns
// to the four elements of a BankCard4EVerification call through the aliases
// of SPEC section 3 (or --column overrides), normalises each value (SPEC
// section 4) and runs the local checks. Rows stream: memory does not grow
// with the number of rows.
//
// CSV files are read with encoding/csv (RFC 4180, strict quoting); a file
// that is not valid UTF-8 is decoded as GB18030. XLSX sheets are read by a
// small streaming parser of the sheet XML rather than excelize's Rows, because
// the SPEC's numeric-cell rule needs each cell's stored type, which excelize's
// streaming reader does not expose (its GetCellType loads the whole sheet).
package reader
