package scenario

import (
	"reflect"
	"testing"
)

// Every catalogue op, described and parsed again, is the same op.
func TestDescribeRoundTrip(t *testing.T) {
	list, err := List()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range list {
		var ops []Op
		ops = append(ops, sc.Setup...)
		for _, th := range sc.Threads {
			ops = append(ops, th.Ops...)
		}
		for _, op := range append(ops, Op{Kind: OpFsync, File: "f", MayFail: true, StallAt: -1, FaultAt: -1}) {
			if op.Kind == OpAwait || op.Kind == OpRelease {
				continue // needs its partner ops to parse; covered by the Parse tests
			}
			line := op.Describe()
			src := "scenario t\nfs xfs\nthread x: " + line + "\n"
			if op.StallAt >= 0 || len(op.Parks) > 0 {
				src += "thread y: release x\n"
			}
			if op.Kind == OpReflink {
				src = "scenario t\nfs xfs\nsetup " + line + "\nthread x: fsync f\n" // a setup-only op
			}
			back, err := Parse("rt.scn", []byte(src))
			if err != nil {
				t.Errorf("%s: %q: %v", sc.Name, line, err)
				continue
			}
			got := back.Threads[0].Ops[0]
			if op.Kind == OpReflink {
				got = back.Setup[0]
			}
			got.Pos, op.Pos = Pos{}, Pos{}
			for i := range got.Parks {
				got.Parks[i].Pos = op.Parks[i].Pos
			}
			if !reflect.DeepEqual(got, op) {
				t.Errorf("%s: %q parses to %+v, want %+v", sc.Name, line, got, op)
			}
			n++
		}
	}
	if n < 40 {
		t.Errorf("only %d ops checked", n)
	}
}
