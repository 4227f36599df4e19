package mutants

import (
	"errors"
	"testing"
)

// TestRunRejectsBadInput: every refusal happens before anything is built,
// and says it is bad input (exit 2), not a verdict.
func TestRunRejectsBadInput(t *testing.T) {
	for _, opt := range []Options{
		{Root: "testdata"},             // not the module root
		{Root: "..", Sites: "["},       // a malformed glob
		{Root: "..", Sites: "nosuch*"}, // matches no marked site
	} {
		_, err := Run(opt)
		var bad interface{ BadInput() bool }
		if !errors.As(err, &bad) || !bad.BadInput() {
			t.Errorf("Run(%+v): %v, want a bad-input error", opt, err)
		}
	}
}
