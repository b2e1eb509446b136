package series

import "math"

// ring holds the steps (head-cap, head] of one series at one resolution.
// Slot idx lives at idx mod cap. Steps after head hold no data yet.
type ring struct {
	head int64
	init bool
	nb   int       // histogram buckets per step; 0 otherwise
	size int64     // capacity in steps
	vals []float64 // counter delta | gauge last value (NaN: none); nil for histograms
	// hist interleaves, per step, nb bucket deltas then sum, min and max as
	// float64 bits (two uint32 each), then the cumulative observation
	// count up to and including the step (uint64, two uint32), so one
	// write touches one or two cache lines and the count of any window is
	// one subtraction.
	hist  []uint32
	gauge bool
	// base is the cumulative count of step head-cap (the newest evicted
	// one). sat is set once a bucket saturated: cumulative counts then
	// exceed the buckets' sum, and count sums buckets instead.
	base  uint64
	total uint64 // cumulative count of head: every observation written
	sat   bool
}

func (r *ring) stride() int { return histStride(r.nb) }

// histStride is the number of uint32 per step of a histogram ring with nb
// buckets.
func histStride(nb int) int { return nb + 8 }

func getU(a []uint32, i int) uint64 { return uint64(a[i]) | uint64(a[i+1])<<32 }

func setU(a []uint32, i int, v uint64) { a[i], a[i+1] = uint32(v), uint32(v>>32) }

// cumAt returns the cumulative count of step j, held or the newest evicted.
func (r *ring) cumAt(j int64) uint64 {
	if j <= r.head-r.cap() {
		return r.base
	}
	return getU(r.hist, r.pos(j)*r.stride()+r.nb+6)
}

// addCount adds n observations to step idx (held), carrying the
// cumulative count to the newer steps.
func (r *ring) addCount(idx int64, n uint64) {
	st := r.stride()
	for j := idx; j <= r.head; j++ {
		q := r.pos(j)*st + r.nb + 6
		setU(r.hist, q, getU(r.hist, q)+n)
	}
	r.total += n
}

func getF(a []uint32, i int) float64 {
	return math.Float64frombits(uint64(a[i]) | uint64(a[i+1])<<32)
}

func setF(a []uint32, i int, v float64) {
	b := math.Float64bits(v)
	a[i], a[i+1] = uint32(b), uint32(b>>32)
}

// newRing returns a ring of capacity steps. Histogram rings (nb > 0) use
// hist, which must hold capacity*(nb+8) values: the fine and coarse rings
// of a series share one allocation.
func newRing(capacity int, kindGauge bool, nb int, hist []uint32) ring {
	r := ring{nb: nb, gauge: kindGauge, size: int64(capacity)}
	if nb > 0 {
		r.hist = hist[: capacity*r.stride() : capacity*r.stride()]
		for p := range capacity {
			r.clear(p)
		}
		return r
	}
	r.vals = make([]float64, capacity)
	if kindGauge {
		fill(r.vals, math.NaN())
	}
	return r
}

func fill(s []float64, v float64) {
	for i := range s {
		s[i] = v
	}
}

func (r *ring) cap() int64 { return r.size }

func (r *ring) pos(idx int64) int {
	p := idx % r.cap()
	if p < 0 {
		p += r.cap()
	}
	return int(p)
}

// slot returns the slot of idx for writing, advancing head (and clearing the
// slots it passes) when idx is newer; false when idx is too old.
func (r *ring) slot(idx int64) (int, bool) {
	if !r.init {
		r.head, r.init = idx, true
		return r.pos(idx), true
	}
	if idx > r.head {
		from := r.head + 1
		total := r.total
		if idx-r.cap()+1 > from {
			from = idx - r.cap() + 1
			r.base = total // every held step is evicted
		}
		st := r.stride()
		for j := from; j <= idx; j++ {
			p := r.pos(j)
			if r.nb > 0 {
				q := p*st + r.nb + 6
				if j-r.cap() <= r.head {
					r.base = getU(r.hist, q) // held step j-cap is evicted
				}
				setU(r.hist, q, total)
			}
			r.clear(p)
		}
		r.head = idx
	}
	if idx <= r.head-r.cap() {
		return 0, false
	}
	return r.pos(idx), true
}

// touch loads the words of slot idx's first and last cache lines.
func (r *ring) touch(idx int64) uint32 {
	if r.cap() == 0 {
		return 0
	}
	p := r.pos(idx)
	if r.nb == 0 {
		return uint32(math.Float64bits(r.vals[p]))
	}
	st := r.stride()
	return r.hist[p*st] + r.hist[p*st+st-1]
}

func (r *ring) clear(p int) {
	switch {
	case r.nb > 0:
		st := r.stride()
		a := r.hist[p*st : (p+1)*st]
		for i := range r.nb + 2 {
			a[i] = 0
		}
		setF(a, r.nb+2, math.NaN())
		setF(a, r.nb+4, math.NaN())
	case r.gauge:
		r.vals[p] = math.NaN()
	default:
		r.vals[p] = 0
	}
}

// bounds clips (lo, hi] to the steps the ring holds.
func (r *ring) bounds(lo, hi int64) (int64, int64) {
	if !r.init {
		return 0, 0
	}
	if lo < r.head-r.cap() {
		lo = r.head - r.cap()
	}
	if hi > r.head {
		hi = r.head
	}
	return lo, hi
}

func (r *ring) sum(lo, hi int64) float64 {
	lo, hi = r.bounds(lo, hi)
	var s float64
	for j := lo + 1; j <= hi; j++ {
		s += r.vals[r.pos(j)]
	}
	return s
}

// count sums the histogram observation counts of (lo, hi].
func (r *ring) count(lo, hi int64) uint64 {
	lo, hi = r.bounds(lo, hi)
	if hi <= lo {
		return 0
	}
	if !r.sat {
		return r.cumAt(hi) - r.cumAt(lo)
	}
	var s uint64
	for j := lo + 1; j <= hi; j++ {
		p := r.pos(j) * r.stride()
		for _, c := range r.hist[p : p+r.nb] {
			s += uint64(c)
		}
	}
	return s
}

// last returns the newest gauge value in (lo, hi] and its step.
func (r *ring) last(lo, hi int64) (float64, int64, bool) {
	lo, hi = r.bounds(lo, hi)
	for j := hi; j > lo; j-- {
		if v := r.vals[r.pos(j)]; !math.IsNaN(v) {
			return v, j, true
		}
	}
	return 0, 0, false
}

// mergeHist adds the histogram steps (lo, hi] into h.
func (r *ring) mergeHist(h *Histogram, lo, hi int64) {
	lo, hi = r.bounds(lo, hi)
	if hi <= lo {
		return
	}
	st, nb := r.stride(), r.nb
	counts := h.Counts[:nb]
	sum, mn, mx, n := h.Sum, h.Min, h.Max, uint64(0)
	// The steps are at most two contiguous runs of slots.
	p, left := r.pos(lo+1), int(hi-lo)
	for left > 0 {
		run := min(left, int(r.cap())-p)
		for q := p * st; q < (p+run)*st; q += st {
			a := r.hist[q : q+st]
			b := a[:len(counts)]
			for k, c := range b {
				counts[k] += uint64(c)
				n += uint64(c)
			}
			sum += getF(a, nb)
			mn = nanMin(mn, getF(a, nb+2))
			mx = nanMax(mx, getF(a, nb+4))
		}
		left -= run
		p = 0
	}
	h.Sum, h.Min, h.Max = sum, mn, mx
	h.Count += n
}

func nanMin(a, b float64) float64 {
	if math.IsNaN(a) || (!math.IsNaN(b) && b < a) {
		return b
	}
	return a
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) || (!math.IsNaN(b) && b > a) {
		return b
	}
	return a
}

func satAdd(a uint32, b uint64) uint32 {
	s := uint64(a) + b
	if s > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}
