package lab

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
)

// TokenVersion is the replay-token format version. Version 2 carries the
// scenario itself (a file's text, or a catalogue name with a hash of its
// text) where version 1 carried a path to open.
const TokenVersion = 2

const tokenPrefix = "iml1-"

// Limits on what a token may hold, checked before work proportional to it.
const (
	// MaxTokenSource bounds an embedded scenario text.
	MaxTokenSource = 1 << 20
	// MaxTokenDecisions bounds a token's schedule (a controlled run's
	// default step bound is 200,000, and a decision is at most one step).
	MaxTokenDecisions = 1 << 21
	// maxTokenRaw bounds a token's decompressed size: the source, the
	// decisions (at most 3 bytes each for thread IDs below 2^21) and the
	// short fields.
	maxTokenRaw = MaxTokenSource + 3*MaxTokenDecisions + 1<<16
	// maxTokenText bounds the token string itself (base64 of the
	// compressed bytes; deflate never grows data by more than a few bytes
	// per 64 KiB block).
	maxTokenText = 2 * maxTokenRaw
	// maxTokenField bounds the short string fields.
	maxTokenField = 4096
	// maxThreadID bounds a decision (a thread index).
	maxThreadID = 1 << 20
)

// Token identifies one schedule of one scenario so that `iomaplab replay`
// can re-run it exactly: the scenario, the engine variant, how the schedule
// was found, and the decisions themselves. A token never names a host path
// to open: a scenario file travels inside it.
type Token struct {
	Build string // BuildHash of the binary that found it
	// Scenario is the catalogue name, or the scenario file's path as given
	// when it was explored (for messages only: Source is the scenario).
	Scenario string
	// Source is the text of a scenario file; nil for a catalogue scenario.
	Source []byte
	// SourceHash is, for a catalogue scenario, a hash of its text in the
	// build that made the token (SourceDigest), so a replay against an
	// edited catalogue can say so.
	SourceHash string
	Variant    string
	Strategy   string
	Seed       uint64
	Schedule   int // which schedule of the strategy's sequence
	Decisions  []int
}

// Encode renders the token as a printable string.
func (tk Token) Encode() string {
	var raw bytes.Buffer
	putString := func(s string) {
		raw.Write(binary.AppendUvarint(nil, uint64(len(s))))
		raw.WriteString(s)
	}
	raw.WriteByte(TokenVersion)
	putString(tk.Build)
	putString(tk.Scenario)
	putString(string(tk.Source))
	putString(tk.SourceHash)
	putString(tk.Variant)
	putString(tk.Strategy)
	raw.Write(binary.AppendUvarint(nil, tk.Seed))
	raw.Write(binary.AppendUvarint(nil, uint64(tk.Schedule)))
	raw.Write(binary.AppendUvarint(nil, uint64(len(tk.Decisions))))
	for _, d := range tk.Decisions {
		raw.Write(binary.AppendUvarint(nil, uint64(d)))
	}
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression) // the level is valid
	fw.Write(raw.Bytes())                               // a bytes.Buffer does not fail
	fw.Close()
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(z.Bytes())
}

// ErrBadToken is wrapped by every token decoding error.
var ErrBadToken = errors.New("bad replay token")

// TokenError is a token that cannot be decoded or replayed: corrupt,
// truncated, too large, of another format, or naming a schedule this build
// does not follow. It is bad input (exit 2), never a verdict.
type TokenError struct{ Msg string }

func (e *TokenError) Error() string { return ErrBadToken.Error() + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrBadToken) hold.
func (e *TokenError) Unwrap() error { return ErrBadToken }

// BadInput marks the error as the user's input, not the environment.
func (e *TokenError) BadInput() bool { return true }

func badToken(format string, args ...any) error {
	return &TokenError{Msg: fmt.Sprintf(format, args...)}
}

// DecodeToken parses a string made by Encode. It bounds every size before
// allocating for it: the token text, its decompressed size, each field.
func DecodeToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxTokenText {
		return Token{}, badToken("%d bytes long, the limit is %d", len(s), maxTokenText)
	}
	if !strings.HasPrefix(s, tokenPrefix) {
		return Token{}, badToken("it does not start with %q", tokenPrefix)
	}
	z, err := base64.RawURLEncoding.DecodeString(s[len(tokenPrefix):])
	if err != nil {
		return Token{}, badToken("%v", err)
	}
	zr := bytes.NewReader(z)
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(zr), maxTokenRaw+1))
	if err != nil {
		return Token{}, badToken("%v", err)
	}
	if len(raw) > maxTokenRaw {
		return Token{}, badToken("it inflates to more than %d bytes", maxTokenRaw)
	}
	if zr.Len() != 0 {
		return Token{}, badToken("%d bytes after its end", zr.Len())
	}
	if len(raw) == 0 {
		return Token{}, badToken("it is empty")
	}
	if v := raw[0]; v != TokenVersion {
		return Token{}, badToken("token format %d is not supported by this build (it reads format %d); explore again to get a new token", v, TokenVersion)
	}
	d := tokenDecoder{r: bytes.NewReader(raw[1:])}
	var tk Token
	tk.Build = d.str("build", maxTokenField)
	tk.Scenario = d.str("scenario", maxTokenField)
	if src := d.str("scenario text", MaxTokenSource); src != "" {
		tk.Source = []byte(src)
	}
	tk.SourceHash = d.str("scenario hash", maxTokenField)
	tk.Variant = d.str("variant", maxTokenField)
	tk.Strategy = d.str("strategy", maxTokenField)
	tk.Seed = d.uv("seed", ^uint64(0))
	tk.Schedule = int(d.uv("schedule", 1<<31-1))
	n := d.uv("decision count", MaxTokenDecisions)
	if d.err == nil && n > uint64(d.r.Len()) {
		d.err = badToken("%d decisions in %d bytes", n, d.r.Len())
	}
	if d.err == nil && n > 0 {
		tk.Decisions = make([]int, 0, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		tk.Decisions = append(tk.Decisions, int(d.uv("decision", maxThreadID)))
	}
	if d.err == nil && d.r.Len() != 0 {
		d.err = badToken("%d bytes after the decisions", d.r.Len())
	}
	if d.err != nil {
		return Token{}, d.err
	}
	if tk.Scenario == "" {
		return Token{}, badToken("it names no scenario")
	}
	return tk, nil
}

// tokenDecoder reads a token's fields; the first error sticks.
type tokenDecoder struct {
	r   *bytes.Reader
	err error
}

func (d *tokenDecoder) uv(what string, limit uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	if err != nil {
		d.err = badToken("%s: %v", what, err)
		return 0
	}
	if v > limit {
		d.err = badToken("%s %d is above the limit %d", what, v, limit)
		return 0
	}
	return v
}

func (d *tokenDecoder) str(what string, limit int) string {
	n := d.uv(what+" length", uint64(limit))
	if d.err != nil {
		return ""
	}
	if n > uint64(d.r.Len()) {
		d.err = badToken("%s of %d bytes, %d left", what, n, d.r.Len())
		return ""
	}
	b := make([]byte, n)
	io.ReadFull(d.r, b) // cannot fail: n bytes are left
	return string(b)
}

var buildID = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return buildIdentity(bi)
})

// buildIdentity is the VCS revision and dirty flag the go command stamped
// into the binary, and the Go version. Without VCS information (go test,
// -buildvcs=false, a build outside a repository) the revision is "no-vcs".
func buildIdentity(bi *debug.BuildInfo) string {
	rev, dirty := "no-vcs", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	return rev + dirty + " " + bi.GoVersion
}

// BuildHash identifies the running build: its VCS revision (12 hex digits,
// "+dirty" when the work tree had changes) and Go version, as the go
// command stamped them, so `go run` and `go build` of one commit agree and
// a token replayed by another build can say so. Builds without VCS
// information are "no-vcs" and cannot be told apart.
func BuildHash() string { return buildID() }
