package lab

import "testing"

// BenchmarkControlledSchedule measures one world's controlled schedules: two
// threads that take a lab mutex around a named point 20 times each, under
// a random walk (about the size of the catalogue's 2-thread scenarios),
// reported as schedules/s and decisions/s.
func BenchmarkControlledSchedule(b *testing.B) {
	var m Mutex
	body := func(t *Thread) {
		for range 20 {
			m.Lock(t)
			t.Point("p")
			t.Tracepoint("tp", F("x", 1))
			m.Unlock(t)
		}
	}
	main := func(t *Thread) {
		t.Go("b", body)
		body(t)
	}
	s := NewRandom(1)
	decisions := 0
	for b.Loop() {
		s.NewSchedule()
		r := NewWorld(Config{Controlled: true, Strategy: s}).Run(main)
		if !r.OK() {
			b.Fatal(r)
		}
		decisions += len(r.Decisions)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "schedules/s")
	b.ReportMetric(float64(decisions)/sec, "decisions/s")
}
