// Package mutants measures the catalogue's kill rate: it plants one mutant
// per protection site of the engine, rebuilds, runs every catalogue scenario
// under the controlled scheduler and reports which mutants a safety oracle
// killed, which only crashed the engine, and which survived.
//
// A protection site is marked in the engine's source by a line comment
//
//	//mutant:NAME KIND
//
// either trailing the first line of the statement it marks or alone on the
// line directly above it. NAME is the site's name (lower-case words joined
// by '-', first the model: xfs-, ext4-, iomap-, pagecache-, extent-); KIND
// says what the mutant does to the statement:
//
//	delete  the statement is removed (a sequence bump, a lock, a flush)
//	true    the statement's condition always holds: an if's condition, a
//	        return's single result or an assignment's single right-hand side
//	        C becomes (C) || true (C is still evaluated)
//	false   likewise, (C) && false
//	noseq   the statement's first call to a fork mutator (extent.Map's
//	        Set, Remove, Convert) passes extent.NoSeqBump: that one path
//	        changes the fork without bumping its sequence
//
// Several markers may share a NAME: they are one site, mutated together
// (a lock and its unlock). Mutation is at the source level, through the go
// command's -overlay: no switch in engine code, the mutated file exists only
// in a temporary directory. Each site's mutant is built into the judge
// (package iomaplab/mutants/judge) and judged on the whole catalogue;
// equivalent.txt lists the sites whose mutant is equivalent in the model,
// with the reason, and the harness still runs them so the claim can fail.
package mutants
