package explore

import (
	"slices"

	"iomaplab/scenario"
)

// Matrix explores every scenario with "correct" and with each variant its
// catches or clean lines name: the mutation matrix. Cells run in catalogue
// order, variants in the order given; onCell sees each cell as it finishes.
// A cell the environment could not run (Cell.Err) ends the matrix there:
// the host is failing, and the cells after it would say nothing.
func Matrix(scenarios []*scenario.Scenario, variants []string, mk TargetFactory, opt Options, onCell func(*Cell)) []*Cell {
	var cells []*Cell
	for _, sc := range scenarios {
		for _, v := range variants {
			if exp, _ := sc.Expected(v); exp == scenario.DontCare {
				continue
			}
			c := Explore(sc, v, mk, opt)
			cells = append(cells, c)
			if onCell != nil {
				onCell(c)
			}
			if c.Err != nil {
				return cells
			}
		}
	}
	return cells
}

// Coverage checks the matrix's second rule: every mutant that some scenario
// must catch is caught by at least one exploratory (undirected) scenario.
// It returns the variants that were not.
func Coverage(scenarios []*scenario.Scenario, cells []*Cell) []string {
	directed := map[string]bool{}
	for _, sc := range scenarios {
		directed[sc.Name] = sc.Directed
	}
	var needed, caught []string
	for _, c := range cells {
		if c.Expected != "catch" {
			continue
		}
		if !slices.Contains(needed, c.Variant) {
			needed = append(needed, c.Variant)
		}
		if !directed[c.Scenario] && c.Match && !slices.Contains(caught, c.Variant) {
			caught = append(caught, c.Variant)
		}
	}
	var missing []string
	for _, v := range needed {
		if !slices.Contains(caught, v) {
			missing = append(missing, v)
		}
	}
	return missing
}
