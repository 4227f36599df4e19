// Package model is the scenario runner's model target: each run mounts a
// fresh engine (the XFS model on a memory block device) in the run's world,
// with the engine variant under test, and maps the engine's oracles and
// tracepoints onto the scenario language's names.
//
//	v := scenario.Run(sc, model.New(variant.NoValidate), cfg)
//
// The ext4 rows join when the ext4 model can be mounted here; until then a
// scenario with `fs ext4` is skipped with "needs the ext4 model".
package model
