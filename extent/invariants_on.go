//go:build invariants

package extent

// invariants turns on Verify after every Map mutation (go test -tags
// invariants); a broken invariant panics with the dump.
const invariants = true
