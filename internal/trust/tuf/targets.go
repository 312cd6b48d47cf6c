package tuf

import (
	"iter"
	"maps"
	"slices"
)

// targetsIndex is the "targets" map of a file verified with VerifyOptions.LazyTargets,
// left undecoded: a large repository lists thousands of targets and a lookup needs one.
// canonical is the file's canonical "signed" object, the bytes its signatures verified;
// members are the offsets in it of the entries' names, which canonical JSON sorts, so
// a name is found by binary search. Every entry was checked to decode when the file was
// verified (cdec.index).
type targetsIndex struct {
	canonical []byte
	members   []int32
}

// Get returns the meta of the target name.
func (t *Targets) Get(name string) (FileMeta, bool) {
	if t.index == nil {
		m, ok := t.Targets[name]
		return m, ok
	}
	i, ok := slices.BinarySearchFunc(t.index.members, name, t.index.compare)
	if !ok {
		return FileMeta{}, false
	}
	_, m := t.index.entry(i)
	return m, true
}

// All yields the targets sorted by name.
func (t *Targets) All() iter.Seq2[string, FileMeta] {
	return func(yield func(string, FileMeta) bool) {
		if t.index == nil {
			for _, name := range slices.Sorted(maps.Keys(t.Targets)) {
				if !yield(name, t.Targets[name]) {
					return
				}
			}
			return
		}
		for i := range t.index.members {
			name, m := t.index.entry(i)
			if !yield(string(name), m) {
				return
			}
		}
	}
}

// Len is the number of targets.
func (t *Targets) Len() int {
	if t.index == nil {
		return len(t.Targets)
	}
	return len(t.index.members)
}

// names yields the target names in no particular order.
func (t *Targets) names() iter.Seq[string] {
	if t.index == nil {
		return maps.Keys(t.Targets)
	}
	return func(yield func(string) bool) {
		for _, off := range t.index.members {
			if !yield(string(t.index.name(off))) {
				return
			}
		}
	}
}

// name decodes the name of the entry at off.
func (x *targetsIndex) name(off int32) []byte {
	d := cdec{in: x.canonical, pos: int(off)}
	name, _ := d.str()
	return name
}

// compare orders the entry at off against name, the way canonical JSON sorts names.
func (x *targetsIndex) compare(off int32, name string) int {
	switch key := x.name(off); {
	case string(key) == name: // comparisons of string(key) do not copy it
		return 0
	case string(key) < name:
		return -1
	}
	return 1
}

// entry decodes the i-th entry.
func (x *targetsIndex) entry(i int) ([]byte, FileMeta) {
	d := cdec{in: x.canonical, pos: int(x.members[i])}
	var m FileMeta
	name, ok := d.str()
	if !ok || !d.eat(':') || !d.fileMeta(&m) {
		// The index was made only of entries that decode: wrong data must not pass
		// for a target's.
		panic("tuf: an indexed target does not decode")
	}
	return name, m
}
