//go:build !invariants

package extent

const invariants = false
