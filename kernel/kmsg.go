package kernel

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Kmsg reads the kernel log from the point it was opened (/dev/kmsg seeked
// to the end), so only messages logged during this run are seen.
type Kmsg struct {
	fd     int
	ours   []string // device names ("loop3") and bdi names ("7:3") of our filesystems
	report []KmsgRecord
}

// KmsgRecord is one kernel log record.
type KmsgRecord struct {
	Level int // 0 emerg .. 7 debug
	Msg   string
}

func (r KmsgRecord) String() string { return fmt.Sprintf("<%d>%s", r.Level, r.Msg) }

// OpenKmsg opens /dev/kmsg at its current end.
func OpenKmsg() (*Kmsg, error) {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("open /dev/kmsg: %v", err)}
	}
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil {
		unix.Close(fd)
		return nil, &EnvError{fmt.Sprintf("seek /dev/kmsg: %v", err)}
	}
	return &Kmsg{fd: fd}, nil
}

// Watch adds a scratch device whose messages are ours.
func (k *Kmsg) Watch(s *Scratch) {
	k.ours = append(k.ours, s.DevName(), fmt.Sprintf("%d:%d", s.Major, s.Minor))
}

// Close closes the log.
func (k *Kmsg) Close() error { return unix.Close(k.fd) }

// read returns the records logged since the last read.
func (k *Kmsg) read() ([]KmsgRecord, error) {
	var out []KmsgRecord
	buf := make([]byte, 8192)
	for {
		n, err := unix.Read(k.fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			return out, nil
		}
		if errors.Is(err, unix.EPIPE) {
			continue // records were overwritten before we read them
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("read /dev/kmsg: %w", err)
		}
		if r, ok := parseKmsg(string(buf[:n])); ok {
			out = append(out, r)
		}
	}
}

// parseKmsg parses "prefix,seq,usec,flags[,...];message\n KEY=val...".
func parseKmsg(s string) (KmsgRecord, bool) {
	semi := strings.IndexByte(s, ';')
	if semi < 0 {
		return KmsgRecord{}, false
	}
	pri, err := strconv.Atoi(strings.SplitN(s[:semi], ",", 2)[0])
	if err != nil {
		return KmsgRecord{}, false
	}
	msg := s[semi+1:]
	if nl := strings.IndexByte(msg, '\n'); nl >= 0 {
		msg = msg[:nl]
	}
	return KmsgRecord{Level: pri & 7, Msg: msg}, true
}

// Problems reads the new records and returns the lines that make the run a
// failure: any WARN/BUG/Oops/hung-task report or filesystem error that
// concerns our devices or our threads. Kernel reports span many records; a
// report is ours if any of its lines names one of our devices or threads.
func (k *Kmsg) Problems(ourTIDs func(pid int) bool) ([]string, error) {
	recs, err := k.read()
	return classify(recs, k.ours, ourTIDs), err
}

var (
	reportStart = regexp.MustCompile(`^(WARNING:|BUG:|kernel BUG|Oops|INFO: task .* blocked for more than|general protection fault|------------\[ cut here \]|Unable to handle kernel)`)
	reportEnd   = regexp.MustCompile(`^---\[ end trace`)
	pidRE       = regexp.MustCompile(`(?:PID: |task [^ :]+:|Comm: \S+ PID: )(\d+)`)
	fsPrefixRE  = regexp.MustCompile(`^(XFS|EXT4-fs|BTRFS|iomap)\b`)
	fsErrorRE   = regexp.MustCompile(`(?i)(error|corrupt|WARNING|not cleared|shutting down|I/O|inconsisten|critical)`)
)

// classify implements Problems on a list of records (tested without root).
func classify(recs []KmsgRecord, ours []string, ourTIDs func(pid int) bool) []string {
	mentionsOurs := func(msg string) bool {
		for _, d := range ours {
			if containsWord(msg, d) {
				return true
			}
		}
		if ourTIDs != nil {
			for _, m := range pidRE.FindAllStringSubmatch(msg, -1) {
				if pid, err := strconv.Atoi(m[1]); err == nil && ourTIDs(pid) {
					return true
				}
			}
		}
		return false
	}
	var out []string
	var cur []string // lines of the report being collected
	curOurs := false
	flush := func() {
		if len(cur) > 0 && curOurs {
			out = append(out, strings.Join(cur, "\n"))
		}
		cur, curOurs = nil, false
	}
	for _, r := range recs {
		if len(cur) > 0 && fsPrefixRE.MatchString(r.Msg) {
			flush() // a filesystem message is not part of a stack dump
		}
		switch {
		case reportStart.MatchString(r.Msg):
			flush()
			cur = []string{r.String()}
			curOurs = mentionsOurs(r.Msg)
		case len(cur) > 0:
			cur = append(cur, r.String())
			curOurs = curOurs || mentionsOurs(r.Msg)
			if reportEnd.MatchString(r.Msg) {
				flush()
			}
		case mentionsOurs(r.Msg) && (r.Level <= 3 || fsErrorRE.MatchString(r.Msg)):
			out = append(out, r.String())
		}
	}
	flush()
	return out
}

// containsWord reports whether s holds w not glued to a longer name
// ("loop1" must not match "loop10").
func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		end := i + j + len(w)
		if end == len(s) || !isNameByte(s[end]) {
			if i+j == 0 || !isNameByte(s[i+j-1]) {
				return true
			}
		}
		i = i + j + 1
	}
}

func isNameByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// ourThread reports whether pid is a thread of this process.
func ourThread(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", pid))
	return err == nil
}
