package explore

import (
	"crypto/sha256"
	"fmt"
	"os"
	"reflect"

	"iomaplab/lab"
	"iomaplab/scenario"
)

// newToken makes the replay token of a schedule of sc. A catalogue
// scenario travels as its name and a digest of its text; a scenario file
// travels whole (it is read again and must still parse to sc, or there is
// no honest token to give).
func newToken(sc *scenario.Scenario, variant string, opt Options, schedule int, decisions []int) (string, error) {
	tk := lab.Token{Build: lab.BuildHash(), Scenario: sc.Name, Variant: variant, Strategy: opt.Strategy,
		Seed: opt.Seed, Schedule: schedule, Decisions: decisions}
	if len(decisions) > lab.MaxTokenDecisions {
		return "", fmt.Errorf("the schedule has %d decisions, more than a token holds (%d)", len(decisions), lab.MaxTokenDecisions)
	}
	if inCatalogue(sc) {
		src, err := scenario.CatalogueSource(sc.Name)
		if err != nil {
			return "", err
		}
		tk.SourceHash = digest(src)
		return tk.Encode(), nil
	}
	src, err := os.ReadFile(sc.File)
	if err != nil {
		return "", fmt.Errorf("read the scenario file again to put it in the token: %w", err)
	}
	if len(src) > lab.MaxTokenSource {
		return "", fmt.Errorf("%s is %d bytes, more than a token holds (%d)", sc.File, len(src), lab.MaxTokenSource)
	}
	if again, err := scenario.Parse(sc.File, src); err != nil || !reflect.DeepEqual(again, sc) {
		return "", fmt.Errorf("%s changed while it was explored: the schedule belongs to the old text", sc.File)
	}
	tk.Scenario, tk.Source = sc.File, src
	return tk.Encode(), nil
}

// inCatalogue reports whether sc is the built-in scenario of its name.
func inCatalogue(sc *scenario.Scenario) bool {
	c, err := scenario.Lookup(sc.Name)
	return err == nil && c == sc
}

func digest(src []byte) string {
	h := sha256.Sum256(src)
	return fmt.Sprintf("%x", h[:12])
}

// tokenScenario returns the scenario a token names, without opening any
// host path: its embedded text, or the catalogue scenario whose text has
// the token's digest. Every failure is a lab.TokenError (bad input).
func tokenScenario(tk lab.Token) (*scenario.Scenario, error) {
	if tk.Source != nil {
		sc, err := scenario.Parse(tk.Scenario, tk.Source)
		if err != nil {
			return nil, &lab.TokenError{Msg: fmt.Sprintf("its scenario text does not parse: %v", err)}
		}
		return sc, nil
	}
	sc, err := scenario.Lookup(tk.Scenario)
	if err != nil {
		return nil, &lab.TokenError{Msg: err.Error()}
	}
	src, err := scenario.CatalogueSource(sc.Name)
	if err != nil {
		return nil, &lab.TokenError{Msg: err.Error()}
	}
	if got := digest(src); got != tk.SourceHash {
		return nil, &lab.TokenError{Msg: fmt.Sprintf("catalogue scenario %s has changed since the token was made (its text digest was %s, this build's is %s): the schedule would replay a different scenario", sc.Name, tk.SourceHash, got)}
	}
	return sc, nil
}
