// Package bench holds the benchmarks of SPEC section 10 that need more than
// one package: run.sh (make bench) and the small programs it runs. Nothing
// in the product imports it.
//
//   - gen: writes the generated CSV and XLSX inputs;
//   - bare: the baselines, a bare encoding/csv read and a bare excelize
//     Rows() pass over a file;
//   - pipeline: the rate and own-cost benchmarks through batch.Run, the
//     verifier client and the simulator;
//   - measure: runs a command and prints its wall time, CPU time and peak
//     resident set size.
package bench
