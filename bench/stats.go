package bench

import (
	"fmt"
	"slices"
)

// Stat is a figure's spread over its measured runs (or seeds).
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

// statOf summarises xs; the median of an even count is the mean of the two
// middle values.
func statOf(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: m, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// repeat runs fn once as a warm-up (discarded) and then runs times,
// returning the spread of each of fn's k results.
func repeat(runs, k int, progress func(string), what string, fn func() ([]float64, error)) ([]Stat, error) {
	cols := make([][]float64, k)
	for i := 0; i <= runs; i++ {
		if i == 0 {
			progress(what + ": warm-up")
		} else {
			progress(fmt.Sprintf("%s: run %d/%d", what, i, runs))
		}
		v, err := fn()
		if err != nil {
			return nil, err
		}
		if len(v) != k {
			panic("bench: measurement returned the wrong number of results")
		}
		if i == 0 {
			continue
		}
		for j := range v {
			cols[j] = append(cols[j], v[j])
		}
	}
	out := make([]Stat, k)
	for j := range cols {
		out[j] = statOf(cols[j])
	}
	return out, nil
}
