package main

import (
	"iomaplab/fsmodel/variant"
	"iomaplab/scenario"
	"iomaplab/scenario/model"
)

// modelTarget is the engine target explore and replay run scenarios on.
func modelTarget(name string) (scenario.Target, error) {
	v, err := variant.Parse(name)
	if err != nil {
		return nil, err
	}
	return model.New(v), nil
}
