package series

import (
	"regexp"
	"sync"
)

// MatchType is the comparison of a Matcher.
type MatchType int

// Match types, as in Prometheus label matchers.
const (
	MatchEqual MatchType = iota
	MatchNotEqual
	MatchRegexp
	MatchNotRegexp
)

// Matcher selects series by one attribute. Regular expressions are fully
// anchored; a missing attribute has the value "".
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
}

type compiledRegexp struct {
	re  *regexp.Regexp
	err error
}

const maxCachedRegexps = 1024

type matcher struct {
	name         string
	eq           bool // MatchEqual: postings lookup
	value        string
	fn           func(string) bool
	matchesEmpty bool
}

func (s *Store) regexp(expr string) (*regexp.Regexp, error) {
	s.regexMu.Lock()
	defer s.regexMu.Unlock()
	if c, ok := s.regexes[expr]; ok {
		return c.re, c.err
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if len(s.regexes) >= maxCachedRegexps {
		clear(s.regexes)
	}
	s.regexes[expr] = &compiledRegexp{re: re, err: err}
	return re, err
}

// compile turns matchers into predicates; an invalid regexp or type matches
// nothing (ok false).
func (s *Store) compile(ms []Matcher) ([]matcher, bool) {
	out := make([]matcher, 0, len(ms))
	for _, m := range ms {
		c := matcher{name: m.Name, value: m.Value}
		switch m.Type {
		case MatchEqual:
			v := m.Value
			c.eq = true
			c.fn = func(x string) bool { return x == v }
		case MatchNotEqual:
			v := m.Value
			c.fn = func(x string) bool { return x != v }
		case MatchRegexp, MatchNotRegexp:
			re, err := s.regexp(m.Value)
			if err != nil {
				return nil, false
			}
			if m.Type == MatchRegexp {
				c.fn = re.MatchString
			} else {
				c.fn = func(x string) bool { return !re.MatchString(x) }
			}
		default:
			return nil, false
		}
		c.matchesEmpty = c.fn("")
		out = append(out, c)
	}
	return out, true
}

var markPool = sync.Pool{New: func() any { return new([]uint8) }}

// selectSeries calls fn for every series of fam matching ms. Matchers that
// do not match "" narrow the candidates through the postings index; the
// others are checked per candidate.
func (s *Store) selectSeries(fam *family, ms []Matcher, fn func(*series)) {
	cms, ok := s.compile(ms)
	if !ok {
		return
	}
	var pos, filt []matcher
	for _, m := range cms {
		if m.matchesEmpty {
			filt = append(filt, m)
		} else {
			pos = append(pos, m)
		}
	}
	if len(pos) > 200 { // marks are uint8
		filt = append(filt, pos[200:]...)
		pos = pos[:200]
	}
	emit := func(sr *series) {
		for _, m := range filt {
			if !m.fn(sr.label(m.name)) {
				return
			}
		}
		fn(sr)
	}
	if len(pos) == 0 {
		for _, sr := range fam.series {
			if sr != nil {
				emit(sr)
			}
		}
		return
	}
	lists := func(m matcher, visit func([]int32)) {
		vals := fam.postings[m.name]
		if m.eq {
			if ids := vals[m.value]; len(ids) > 0 {
				visit(ids)
			}
			return
		}
		for v, ids := range vals {
			if m.fn(v) {
				visit(ids)
			}
		}
	}
	if len(pos) == 1 {
		lists(pos[0], func(ids []int32) {
			for _, id := range ids {
				emit(fam.series[id])
			}
		})
		return
	}
	mp := markPool.Get().(*[]uint8)
	marks := *mp
	if cap(marks) < len(fam.series) {
		marks = make([]uint8, len(fam.series))
	}
	marks = marks[:len(fam.series)]
	last := len(pos) - 1
	for k, m := range pos {
		lists(m, func(ids []int32) {
			for _, id := range ids {
				if int(marks[id]) != k {
					continue
				}
				if k == last {
					emit(fam.series[id])
				} else {
					marks[id]++
				}
			}
		})
	}
	clear(marks)
	*mp = marks
	markPool.Put(mp)
}
