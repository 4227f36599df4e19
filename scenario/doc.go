// Package scenario is the race lab's scenario language: the parser, the
// embedded catalogue and the runner that drives a scenario on a Target.
//
// Nouns:
//   - Scenario: one parsed .scn file (docs/scenarios.md is the reference):
//     the fs line, setup ops, concurrent Threads of Ops, after ops, inject
//     rules, expectations (oracles and evidence), and the variants it
//     catches or must stay clean under.
//   - Directed scenarios spell out the interleaving with await/release;
//     exploratory ones leave it to the lab's strategies.
//   - Target: what the runner drives — a fresh filesystem per run (Mount),
//     its own oracles (Check), how to read an engine Thread.Fail (Classify)
//     and evidence counters (Evidence). scenario/model is the engine's;
//     the kernel target implements the same interface over real files.
//   - Verdict: one run's violations (safety oracles only), evidence, op
//     errors and the lab.Result (outcome, decisions, trace).
//
// API:
//
//	sc, err := scenario.Load("write-stale-unwritten") // or a path to a .scn
//	s := lab.NewRandom(seed)
//	for s.NewSchedule() {
//		v := scenario.Run(sc, model.New(variant.NoValidate), lab.Config{Controlled: true, Strategy: s})
//		if v.Violated() { ... v.Result.Decisions replays it ... }
//	}
//
// Parse errors are file:line:col messages (ErrorList); Parse never panics
// (FuzzParse). List and Lookup serve the catalogue (catalogue/*.scn); Load
// takes a catalogue name or a file path. Scenario.Expected says what the
// mutation matrix expects of a (scenario, variant) cell.
//
// The runner keeps a reference model per file (check.RefFile), applying
// each data-changing op when it returns, and a history of timed writes: a
// byte that differs from the reference is still right if some write that
// may have come last put it there (history.go). The parser's truncate rule
// keeps the file size order-independent.
// Runner state shared by free-mode threads is guarded by a sync.Mutex held
// only around reference updates, never across a call into the target; all
// waiting between scenario threads goes through lab (Event, park).
package scenario
