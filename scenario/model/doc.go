// Package model is the scenario runner's model target: each run mounts a
// fresh engine (the XFS or ext4 model, per the fs line, on a memory block
// device) in the run's world, with the engine variant under test, and maps
// the engine's oracles and tracepoints onto the scenario language's names.
//
//	v := scenario.Run(sc, model.New(variant.NoValidate), cfg)
package model
