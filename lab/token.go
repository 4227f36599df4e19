package lab

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// TokenVersion is the replay-token format version.
const TokenVersion = 1

const tokenPrefix = "iml1-"

// Token identifies one schedule of one scenario so that `iomaplab replay`
// can re-run it exactly: the scenario, the engine variant, how the schedule
// was found, and the decisions themselves.
type Token struct {
	Build     string // BuildHash of the binary that found it
	Scenario  string
	Variant   string
	Strategy  string
	Seed      uint64
	Schedule  int // which schedule of the strategy's sequence
	Decisions []int
}

// Encode renders the token as a short printable string.
func (tk Token) Encode() string {
	var raw bytes.Buffer
	putString := func(s string) {
		raw.Write(binary.AppendUvarint(nil, uint64(len(s))))
		raw.WriteString(s)
	}
	raw.WriteByte(TokenVersion)
	putString(tk.Build)
	putString(tk.Scenario)
	putString(tk.Variant)
	putString(tk.Strategy)
	raw.Write(binary.AppendUvarint(nil, tk.Seed))
	raw.Write(binary.AppendUvarint(nil, uint64(tk.Schedule)))
	raw.Write(binary.AppendUvarint(nil, uint64(len(tk.Decisions))))
	for _, d := range tk.Decisions {
		raw.Write(binary.AppendUvarint(nil, uint64(d)))
	}
	var z bytes.Buffer
	fw, _ := flate.NewWriter(&z, flate.BestCompression)
	fw.Write(raw.Bytes())
	fw.Close()
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(z.Bytes())
}

// ErrBadToken is wrapped by every token decoding error.
var ErrBadToken = errors.New("bad replay token")

// DecodeToken parses a string made by Encode.
func DecodeToken(s string) (Token, error) {
	var tk Token
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, tokenPrefix) {
		return tk, fmt.Errorf("%w: it does not start with %q", ErrBadToken, tokenPrefix)
	}
	z, err := base64.RawURLEncoding.DecodeString(s[len(tokenPrefix):])
	if err != nil {
		return tk, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil {
		return tk, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	r := bytes.NewReader(raw)
	if v, _ := r.ReadByte(); v != TokenVersion {
		return tk, fmt.Errorf("%w: format version %d, this build reads version %d", ErrBadToken, v, TokenVersion)
	}
	uv := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binary.ReadUvarint(r)
		return v
	}
	str := func() string {
		n := uv()
		if err != nil || n > uint64(r.Len()) {
			err = io.ErrUnexpectedEOF
			return ""
		}
		b := make([]byte, n)
		io.ReadFull(r, b)
		return string(b)
	}
	tk.Build, tk.Scenario, tk.Variant, tk.Strategy = str(), str(), str(), str()
	tk.Seed = uv()
	tk.Schedule = int(uv())
	n := uv()
	if err == nil && n > uint64(r.Len()) {
		err = io.ErrUnexpectedEOF
	}
	for i := uint64(0); i < n && err == nil; i++ {
		tk.Decisions = append(tk.Decisions, int(uv()))
	}
	if err != nil {
		return Token{}, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	return tk, nil
}

var buildHash = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:6])
})

// BuildHash identifies the running binary (a hash of its executable), so a
// token replayed by another build can say so instead of silently diverging.
func BuildHash() string { return buildHash() }
