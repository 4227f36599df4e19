package lab

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	for _, tk := range []Token{
		{Build: BuildHash(), Scenario: "write-stale-unwritten", SourceHash: "abc", Variant: "no-validate", Strategy: "pct", Seed: 7, Schedule: 12, Decisions: []int{1, 2, 0, 3, 1, 1, 1, 2}},
		{Build: BuildHash(), Scenario: "../my.scn", Source: []byte("scenario x\nfs xfs\n"), Variant: "correct", Strategy: "delay", Seed: 1 << 63, Decisions: nil},
	} {
		s := tk.Encode()
		got, err := DecodeToken(s)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tk) {
			t.Fatalf("round trip: %+v != %+v", got, tk)
		}
		for _, bad := range []string{"", "xyz", s[:len(s)-3], "iml1-!!!", s + "AAAA"} {
			if _, err := DecodeToken(bad); err == nil || !errors.Is(err, ErrBadToken) {
				t.Errorf("DecodeToken(%q) = %v", bad, err)
			}
		}
	}
}

// rawToken deflates raw as a token would.
func rawToken(raw []byte) string {
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write(raw)
	fw.Close()
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(z.Bytes())
}

// Sizes are bounded before the work proportional to them: a small token
// that inflates to gigabytes, a huge declared field or decision count, an
// oversized token text, a thread index beyond any world.
func TestTokenDecodingIsBounded(t *testing.T) {
	field := func(n uint64) []byte { return binary.AppendUvarint([]byte{TokenVersion}, n) }
	bomb := rawToken(make([]byte, 16<<20)) // 16 MiB of zeroes in 16 KiB of token
	cases := map[string]struct {
		token string
		want  string
	}{
		"deflate bomb":       {bomb, "inflates to more than"},
		"huge build field":   {rawToken(field(1 << 40)), "above the limit"},
		"source over 1 MiB":  {rawToken(append(append(field(1), 'b'), append(binary.AppendUvarint([]byte{1, 's'}, MaxTokenSource+1), make([]byte, 8)...)...)), "scenario text length"},
		"too long":           {tokenPrefix + strings.Repeat("A", maxTokenText), "bytes long"},
		"old format":         {rawToken([]byte{1, 0}), "token format 1 is not supported by this build"},
		"decisions declared": {rawToken(append([]byte{TokenVersion, 0, 1, 's', 0, 0, 0, 0, 0, 0}, binary.AppendUvarint(nil, 1000)...)), "1000 decisions in 0 bytes"},
		"thread index":       {Token{Scenario: "s", Decisions: []int{maxThreadID + 1}}.Encode(), "decision"},
		"no scenario":        {Token{}.Encode(), "names no scenario"},
	}
	for name, c := range cases {
		_, err := DecodeToken(c.token)
		var te *TokenError
		if err == nil || !errors.As(err, &te) || !te.BadInput() || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a TokenError with %q", name, err, c.want)
		}
	}
}

func TestBuildIdentity(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "dae689cd76ad7dde48bdf67de0b7642e610a92f3"}, {Key: "vcs.modified", Value: "true"}}}
	if got := buildIdentity(bi); got != "dae689cd76ad+dirty go1.26.8" {
		t.Fatalf("with VCS info: %q", got)
	}
	bi.Settings[2].Value = "false"
	if got := buildIdentity(bi); got != "dae689cd76ad go1.26.8" {
		t.Fatalf("clean tree: %q", got)
	}
	// go test and -buildvcs=false stamp no revision.
	if got := buildIdentity(&debug.BuildInfo{GoVersion: "go1.26.8"}); got != "no-vcs go1.26.8" {
		t.Fatalf("without VCS info: %q", got)
	}
	if BuildHash() != BuildHash() || !strings.Contains(BuildHash(), "go1.") {
		t.Fatalf("BuildHash() = %q", BuildHash())
	}
}
