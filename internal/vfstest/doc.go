// Package vfstest is the random-operation property test the filesystem
// models share: it draws vfs operations (Gen), applies each to a target
// vfs.File and to check.RefFile (Apply, Runner), and drives rapid over
// sequences of them (Property). The model's own oracles (fsck, reservation
// accounting, transition coverage) plug in as the Runner's Verify hook and
// the sequence callback.
package vfstest
