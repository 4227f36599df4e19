// Command iomaplab models, explores and reproduces stale-mapping races in
// Linux's iomap buffered I/O: on a userspace engine (explore, replay, fsx,
// bench) and on real filesystems (kernel). Each subcommand lives in its own
// file as a cobra command that root adds.
//
// The command line is spf13/cobra (with spf13/pflag): it gives one help
// system (`iomaplab help CMD` is `iomaplab CMD -h`), GNU-style flags that
// may come before or after the positional arguments, fsx.c's one-letter
// flags as shorthands, and bash/zsh/fish completions built in; it is the
// most widely used Go CLI library (kubectl, docker, gh, hugo).
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the collector's target when GOGC is unset. A controlled
// schedule leaves little live (about 0.6 MB allocated per schedule, almost
// all garbage at its end), so at Go's default of 100 the collector ran all
// the time and took the second core from a second world: measured with
// bench lab on explore-short-write-mkwrite (docs/bench.md), 800 makes one
// world 2.8x faster and lets --jobs 2 scale again, for 52 MB of peak RSS
// instead of 22 MB on a 3,000-schedule run.
const gcPercent = 800

// app is one invocation: where commands write, and how often long commands
// print their progress line when stderr is not a terminal.
type app struct {
	args           []string // the command line, without the program name
	stdout, stderr io.Writer
	// ticker starts the clock of the progress line; tests inject one they
	// drive by hand.
	ticker func() (ticks <-chan time.Time, stop func())
}

// progressEvery is the interval of the progress line off a terminal.
const progressEvery = 10 * time.Second

// run executes one command line and returns its exit code (exitFor).
func run(args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: &syncWriter{w: stderr}, ticker: func() (<-chan time.Time, func()) {
		t := time.NewTicker(progressEvery)
		return t.C, t.Stop
	}}
	return a.run(args)
}

func (a *app) run(args []string) int {
	a.args = args
	root := a.rootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	code := exitFor(err)
	if msg := errorMessage(err); msg != "" {
		if cmd == nil {
			cmd = root
		}
		for _, line := range strings.Split(truncateWords(msg), "\n") { // each of several errors
			fmt.Fprintf(a.stderr, "%s: %s\n", cmd.CommandPath(), line)
		}
	}
	return code
}

// usageTemplate is the help page after the description: cobra's default,
// less aliases and groups, plus each command's exit codes.
const usageTemplate = `Usage:
  {{if .HasAvailableSubCommands}}{{.CommandPath}} COMMAND [flags]{{else}}{{.UseLine}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

Global Flags:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{with index .Annotations "exit"}}

Exit codes:
{{. | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableSubCommands}}

{{if .HasParent}}"{{.CommandPath}} COMMAND -h"{{else}}"{{.CommandPath}} help COMMAND" is "{{.CommandPath}} COMMAND -h"{{end}}: each command's flags, examples and exit codes.{{end}}
`

// rootExit is the exit-code contract every subcommand follows.
const rootExit = `  0  ran, and nothing was violated (explore --matrix: every cell as expected)
  1  a violation, and only a violation (a broken oracle or expectation)
  2  bad usage or bad input: a flag, scenario, token or op log; nothing ran
     past the error, or a scenario did not run as written (scenario error)
  3  this environment cannot run it: no root, no mkfs, no loop devices,
     host ENOSPC/EIO on a backing file, interrupted by a signal
`

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "iomaplab",
		Short: "a race lab for stale mappings in Linux's iomap buffered I/O",
		Long: `iomaplab models Linux's iomap buffered I/O (the XFS and ext4 paths) in
userspace, explores its races under a controlled scheduler, replays any
schedule from a token, runs fstests' fsx concurrently with byte-exact
verification, and runs the same scenario files on real xfs, ext4 and btrfs.`,
		Example: `  iomaplab list
  iomaplab explore write-stale-unwritten --variant no-validate
  iomaplab explore --matrix
  iomaplab help fsx`,
		Annotations:   map[string]string{"exit": rootExit},
		SilenceErrors: true,
		SilenceUsage:  true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q (commands: %s)", args[0], strings.Join(commandNames(cmd), ", "))
			if len(args[0]) <= maxWord { // edit distance is quadratic
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, " or ") + "?"
				}
			}
			return badInput("%s", msg)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(a.stderr)
			cmd.Usage()
			return badInput("missing command")
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if strings.HasPrefix(err.Error(), "unknown") { // unknown flag or shorthand
			return badInput("%v (flags: %s; see %s -h)", err, strings.Join(flagNames(c), ", "), c.CommandPath())
		}
		return badInput("%v (see %s -h)", err, c.CommandPath())
	})
	root.SuggestionsMinimumDistance = 2
	root.SetUsageTemplate(usageTemplate)
	root.SetHelpCommand(helpCmd())
	root.AddCommand(a.listCmd(), a.exploreCmd(), a.replayCmd(), a.fsxCmd(), a.kernelCmd(), a.benchCmd(), a.mutantsCmd(), a.mergeCmd(), a.vmCmd())
	for _, c := range root.Commands() {
		c.Flags().SortFlags = false
	}
	return root
}

// helpCmd is `iomaplab help [COMMAND]`: cobra's, except that an unknown
// topic is bad usage (exit 2), not a help page.
func helpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "help about any command (the same as COMMAND -h)",
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return commandNames(c.Root()), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return badInput("unknown help topic %q (commands: %s)", strings.Join(args, " "), strings.Join(commandNames(c.Root()), ", "))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// flagNames are the flags c takes, as a user types them.
func flagNames(c *cobra.Command) []string {
	var names []string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
	})
	return names
}

// commandNames are the subcommands a user may type.
func commandNames(root *cobra.Command) []string {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return names
}
