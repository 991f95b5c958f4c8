package job

import (
	"strings"
	"testing"
	"time"
)

func TestValidateMemory(t *testing.T) {
	cases := []struct {
		name string
		m    MemoryPlan
		want string // "" no error
	}{
		{"zero: no memory", MemoryPlan{}, ""},
		{"off ignores the memory options", MemoryPlan{Off: true, Path: "m.db", Retain: time.Hour, ReuseWithin: 2 * time.Hour}, ""},
		{"retain shorter than reuse", MemoryPlan{Path: "m.db", Endpoint: "https://x:443", Retain: time.Hour, ReuseWithin: 2 * time.Hour}, "--retain"},
		{"retain 0 keeps everything", MemoryPlan{Path: "m.db", Endpoint: "https://x:443", ReuseWithin: 2 * time.Hour}, ""},
		{"shared needs a key", MemoryPlan{Shared: "redis://h:6379/0", Endpoint: "https://x:443"}, "--memory-key"},
		{"negative per card", MemoryPlan{MaxPerCard: -1}, "--max-per-card"},
		{"negative budget", MemoryPlan{MaxCharged: -1}, "--max-charged"},
		{"no endpoint", MemoryPlan{Path: "m.db"}, "endpoint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := validateMemory(&c.m)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one naming %q", err, c.want)
			}
		})
	}
}

// A finished list is rerun when the memory answers it, refused when the
// memory is off or not read.
func TestRefuseRerunWithMemory(t *testing.T) {
	finished := earlier{exists: true, same: true}
	cases := []struct {
		name   string
		m      MemoryPlan
		refuse bool
	}{
		{"memory on", MemoryPlan{Path: "m.db", ReuseWithin: 12 * time.Hour}, false},
		{"shared memory on", MemoryPlan{Shared: "redis://h/0", ReuseWithin: 12 * time.Hour}, false},
		{"--no-memory", MemoryPlan{Off: true, Path: "m.db", ReuseWithin: 12 * time.Hour}, true},
		{"--reuse-within 0", MemoryPlan{Path: "m.db"}, true},
		{"no memory", MemoryPlan{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Plan{Out: "out.csv", Memory: c.m}
			if err := refuseRerun(p, finished); (err != nil) != c.refuse {
				t.Errorf("refuseRerun = %v, want refused %v", err, c.refuse)
			}
		})
	}
}
