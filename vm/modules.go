package vm

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Module is one kernel module to load in the guest, uncompressed.
type Module struct {
	Name string // as the kernel names it: dashes become underscores
	Path string // its file under the modules directory
	Data []byte // the .ko, decompressed
}

// moduleName normalises a module's name as the kernel does (modprobe
// treats - and _ alike).
func moduleName(s string) string { return strings.ReplaceAll(s, "-", "_") }

// koSuffixes are the module file names the kernel's build writes:
// uncompressed, or compressed by CONFIG_MODULE_COMPRESS_*.
var koSuffixes = []string{".ko", ".ko.xz", ".ko.zst", ".ko.gz"}

// ModuleDir is a kernel's lib/modules/RELEASE directory: its module files
// by name and the names built into the image (modules.builtin).
type ModuleDir struct {
	Dir     string
	files   map[string]string // name -> path
	builtin map[string]bool
}

// OpenModuleDir indexes dir, a kernel's lib/modules/RELEASE directory (as
// a package or `make modules_install INSTALL_MOD_PATH=...` leaves it; no
// modules.dep needed: dependencies come from each module's .modinfo).
func OpenModuleDir(dir string) (*ModuleDir, error) {
	md := &ModuleDir{Dir: dir, files: map[string]string{}, builtin: map[string]bool{}}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		for _, suf := range koSuffixes {
			if base, ok := strings.CutSuffix(d.Name(), suf); ok {
				md.files[moduleName(base)] = path
			}
		}
		return nil
	})
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("--modules %s: %v", dir, err)}
	}
	if len(md.files) == 0 {
		return nil, &EnvError{fmt.Sprintf("--modules %s: no kernel modules (*.ko) under it", dir)}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "modules.builtin")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			base := filepath.Base(strings.TrimSpace(sc.Text()))
			md.builtin[moduleName(strings.TrimSuffix(base, ".ko"))] = true
		}
	}
	return md, nil
}

// Resolve returns the modules to load, dependencies first, each once: the
// optional ones (those present) before the required ones, since a
// module's soft dependencies (libcrc32c's "pre: crc32c", an alias) are
// not followed. A name built into the image (modules.builtin) needs
// nothing; a required name that is neither a file nor built in is an
// error, an optional one is skipped.
func (md *ModuleDir) Resolve(required, optional []string) ([]Module, error) {
	var order []Module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, need bool, chain []string) error
	visit = func(name string, need bool, chain []string) error {
		name = moduleName(name)
		switch state[name] {
		case 1:
			return &EnvError{fmt.Sprintf("--modules %s: dependency cycle %s -> %s", md.Dir, strings.Join(chain, " -> "), name)}
		case 2:
			return nil
		}
		path, ok := md.files[name]
		if !ok {
			if md.builtin[name] || !need {
				state[name] = 2
				return nil
			}
			return &EnvError{fmt.Sprintf("--modules %s: module %s (needed by %s) is neither a file under it nor in modules.builtin", md.Dir, name, strings.Join(append(chain, "the guest"), " <- "))}
		}
		state[name] = 1
		data, err := readModule(path)
		if err != nil {
			return err
		}
		deps, err := modinfoDepends(data)
		if err != nil {
			return &EnvError{fmt.Sprintf("%s: %v", path, err)}
		}
		for _, d := range deps {
			if err := visit(d, true, append(chain, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, Module{Name: name, Path: path, Data: data})
		return nil
	}
	for _, n := range optional {
		if err := visit(n, false, nil); err != nil {
			return nil, err
		}
	}
	for _, n := range required {
		if err := visit(n, true, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// readModule reads a .ko, decompressing .ko.gz in Go and .ko.xz and .ko.zst
// with the xz and zstd programs.
func readModule(path string) ([]byte, error) {
	switch {
	case strings.HasSuffix(path, ".ko"):
		return os.ReadFile(path)
	case strings.HasSuffix(path, ".gz"):
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return io.ReadAll(zr)
	}
	tool := "xz"
	if strings.HasSuffix(path, ".zst") {
		tool = "zstd"
	}
	if _, err := exec.LookPath(tool); err != nil {
		return nil, &EnvError{fmt.Sprintf("%s is compressed: install %s to unpack it", path, tool)}
	}
	out, err := exec.Command(tool, "-dc", path).Output()
	if err != nil {
		return nil, &EnvError{fmt.Sprintf("%s -dc %s: %v", tool, path, err)}
	}
	return out, nil
}

// modinfoDepends reads the depends= field of a module's .modinfo section
// (modpost writes it: the modules whose symbols this one uses).
func modinfoDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, fmt.Errorf("not a kernel module: %v", err)
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("not a kernel module: no .modinfo section")
	}
	info, err := sec.Data()
	if err != nil {
		return nil, err
	}
	for _, kv := range bytes.Split(info, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			if len(v) == 0 {
				return nil, nil
			}
			return strings.Split(string(v), ","), nil
		}
	}
	return nil, nil
}
