package series

import (
	"context"
	"hash/maphash"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilhq/vigil/exporter"
)

var (
	_ exporter.Sink     = (*Store)(nil)
	_ exporter.SpanSink = (*Store)(nil)
)

// Store is the windowed in-memory time-series store. It is safe for
// concurrent use: Append takes a write lock, queries a read lock.
type Store struct {
	cfg        Config
	step       int64 // ns
	ratio      int64 // coarse step / step
	fineCap    int
	coarseCap  int
	retention  int64 // fine steps
	staleSteps int64
	seed       maphash.Seed

	mu       sync.RWMutex
	families map[string]*family
	nSeries  int
	lastGC   int64
	hashBuf  []uint64 // appendParallel's scratch, under mu
	missBuf  []bool

	overflow atomic.Uint64
	rejected atomic.Uint64

	regexMu sync.Mutex
	regexes map[string]*compiledRegexp

	traces traces
}

type family struct {
	name     string
	kind     exporter.Kind
	series   []*series // by id; nil when free
	free     []int32
	byHash   map[uint64]int32   // attribute hash → series id
	dupHash  map[uint64][]int32 // further series whose hash collides; nil until needed
	postings map[string]map[string][]int32
	bounds   [][]float64 // distinct histogram boundaries, shared by series
}

type series struct {
	id        int32
	hash      uint64
	labels    []exporter.Attr
	bounds    []float64
	lastWrite int64     // newest fine step written
	lastSeen  time.Time // newest sample with a non-zero delta (any sample for gauges)
	firstT    time.Time // oldest sample written: FirstSample
	lastT     time.Time // gauges: time of lastVal
	lastVal   float64
	fine      ring
	coarse    ring
}

// New returns a Store configured by cfg (zero fields take defaults).
func New(cfg Config) (*Store, error) {
	cfg = cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ratio := int64(cfg.CoarseStep / cfg.Step)
	s := &Store{
		cfg:        cfg,
		step:       int64(cfg.Step),
		ratio:      ratio,
		fineCap:    int(int64(cfg.FineRetention/cfg.Step) + ratio),
		coarseCap:  int(cfg.Retention/cfg.CoarseStep) + 1,
		retention:  int64(cfg.Retention / cfg.Step),
		staleSteps: int64((cfg.Staleness + cfg.Step - 1) / cfg.Step),
		seed:       maphash.MakeSeed(),
		families:   map[string]*family{},
		regexes:    map[string]*compiledRegexp{},
	}
	s.traces.init(cfg.TracesPerRoute, cfg.MaxTraceRoutes)
	return s, nil
}

// Overflow reports how many samples were dropped because MaxSeries was
// reached.
func (s *Store) Overflow() uint64 { return s.overflow.Load() }

// Rejected reports how many samples were dropped because they were too old,
// their kind differed from their metric's or their histogram boundaries
// differed from their series'.
func (s *Store) Rejected() uint64 { return s.rejected.Load() }

// SeriesCount returns the number of live series.
func (s *Store) SeriesCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nSeries
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// stepOf returns the fine step whose interval ((i-1)·Step, i·Step] holds t.
func (s *Store) stepOf(t time.Time) int64 { return ceilDiv(t.UnixNano(), s.step) }

func (s *Store) stepEnd(i int64) time.Time { return time.Unix(0, i*s.step) }

// Append stores samples. The store keeps the samples' attribute slices.
func (s *Store) Append(ctx context.Context, samples []exporter.Sample) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	nowStep := s.stepOf(s.cfg.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(samples) >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		s.appendParallel(samples)
	} else {
		s.appendSerial(samples)
	}
	if nowStep-s.lastGC >= s.ratio {
		s.gc(nowStep)
		s.lastGC = nowStep
	}
	return nil
}

// parallelMin is the batch size from which Append spreads its work over
// two goroutines. Writing a sample is dominated by cache misses (its series,
// its ring slots), which two cores overlap.
const parallelMin = 2048

func (s *Store) familyFor(sm *exporter.Sample) *family {
	fam := s.families[sm.Name]
	if fam == nil {
		fam = &family{name: sm.Name, kind: sm.Kind, byHash: map[uint64]int32{}, postings: map[string]map[string][]int32{}}
		s.families[sm.Name] = fam
	}
	return fam
}

// appendOne stores one sample whose attribute hash is h, creating its
// family and series if needed. Callers hold the write lock exclusively.
func (s *Store) appendOne(sm *exporter.Sample, h uint64) {
	fam := s.familyFor(sm)
	if fam.kind != sm.Kind {
		s.rejected.Add(1)
		return
	}
	sr := s.find(fam, sm, h)
	if sr == nil {
		if sr = s.create(fam, sm, h); sr == nil {
			return
		}
	}
	s.write(sr, sm)
}

func (s *Store) appendSerial(samples []exporter.Sample) {
	for i := range samples {
		s.appendOne(&samples[i], s.hashAttrs(samples[i].Attrs))
	}
}

// appendParallel stores a large batch in three phases: two goroutines hash
// halves of the batch; then each writes the samples of existing series
// whose hash has its parity (so one series is written by one goroutine, in
// batch order) and marks the others; finally the marked samples (new
// families or series, kind mismatches) are stored serially, in batch
// order. Phase two only reads the family and series maps.
func (s *Store) appendParallel(samples []exporter.Sample) {
	n := len(samples)
	if cap(s.hashBuf) < n {
		s.hashBuf = make([]uint64, n)
		s.missBuf = make([]bool, n)
	}
	hashes, missed := s.hashBuf[:n], s.missBuf[:n]
	var wg sync.WaitGroup
	for w := range 2 {
		lo, hi := w*n/2, (w+1)*n/2
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				hashes[i] = s.hashAttrs(samples[i].Attrs)
			}
		})
	}
	wg.Wait()
	for w := range uint64(2) {
		wg.Go(func() {
			var (
				fam  *family
				idx  [touchChunk]int
				srs  [touchChunk]*series
				n    int
				sink uint32
			)
			flush := func() {
				// Load the slots the writes will touch first: the loads are
				// independent, so their cache misses overlap instead of
				// stalling each write in turn.
				for k := range n {
					sink += s.touch(srs[k], &samples[idx[k]])
				}
				for k := range n {
					s.write(srs[k], &samples[idx[k]])
				}
				n = 0
			}
			for i := range samples {
				if hashes[i]&1 != w {
					continue
				}
				sm := &samples[i]
				if fam == nil || fam.name != sm.Name {
					fam = s.families[sm.Name]
				}
				var sr *series
				if fam != nil && fam.kind == sm.Kind {
					sr = s.find(fam, sm, hashes[i])
				}
				if missed[i] = sr == nil; sr != nil {
					idx[n], srs[n] = i, sr
					if n++; n == touchChunk {
						flush()
					}
				}
			}
			flush()
			touchSink[w].Add(sink)
		})
	}
	wg.Wait()
	for i := range samples {
		if missed[i] {
			s.appendOne(&samples[i], hashes[i])
			missed[i] = false
		}
	}
}

func (s *Store) hashAttrs(attrs []exporter.Attr) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, a := range attrs {
		h.WriteString(a.Key)
		h.WriteByte(0xff)
		h.WriteString(a.Value)
		h.WriteByte(0xfe)
	}
	return h.Sum64()
}

// find returns the series of fam with sm's attributes (hash h), or nil.
// It only reads.
func (s *Store) find(fam *family, sm *exporter.Sample, h uint64) *series {
	if id, ok := fam.byHash[h]; ok {
		if sr := fam.series[id]; slices.Equal(sr.labels, sm.Attrs) {
			return sr
		}
		for _, id := range fam.dupHash[h] {
			if sr := fam.series[id]; slices.Equal(sr.labels, sm.Attrs) {
				return sr
			}
		}
	}
	return nil
}

// create adds the series of sm (attribute hash h) to fam; nil when the
// series limit is reached or the sample is malformed.
func (s *Store) create(fam *family, sm *exporter.Sample, h uint64) *series {
	if s.nSeries >= s.cfg.MaxSeries {
		s.overflow.Add(1)
		return nil
	}
	if sm.Kind == exporter.Histogram && len(sm.Counts) != len(sm.Bounds)+1 {
		s.rejected.Add(1)
		return nil
	}
	sr := &series{hash: h, labels: sm.Attrs, lastVal: math.NaN()}
	nb := 0
	if sm.Kind == exporter.Histogram {
		sr.bounds = fam.internBounds(sm.Bounds)
		nb = len(sm.Bounds) + 1
	}
	gauge := sm.Kind == exporter.Gauge
	var hist []uint32
	if nb > 0 {
		st := histStride(nb)
		hist = make([]uint32, (s.fineCap+s.coarseCap)*st)
		sr.coarse = newRing(s.coarseCap, gauge, nb, hist[s.fineCap*st:])
	} else {
		sr.coarse = newRing(s.coarseCap, gauge, nb, nil)
	}
	sr.fine = newRing(s.fineCap, gauge, nb, hist)
	if n := len(fam.free); n > 0 {
		sr.id = fam.free[n-1]
		fam.free = fam.free[:n-1]
		fam.series[sr.id] = sr
	} else {
		sr.id = int32(len(fam.series))
		fam.series = append(fam.series, sr)
	}
	if _, ok := fam.byHash[h]; !ok {
		fam.byHash[h] = sr.id
	} else {
		if fam.dupHash == nil {
			fam.dupHash = map[uint64][]int32{}
		}
		fam.dupHash[h] = append(fam.dupHash[h], sr.id)
	}
	for _, a := range sr.labels {
		vals := fam.postings[a.Key]
		if vals == nil {
			vals = map[string][]int32{}
			fam.postings[a.Key] = vals
		}
		vals[a.Value] = append(vals[a.Value], sr.id)
	}
	s.nSeries++
	return sr
}

// internBounds returns a shared copy of bounds: series of one family
// nearly always share their boundaries, and one copy stays in cache while
// a batch is written. Never modified.
func (fam *family) internBounds(bounds []float64) []float64 {
	for _, b := range fam.bounds {
		if slices.Equal(b, bounds) {
			return b
		}
	}
	c := slices.Clone(bounds)
	if len(fam.bounds) < 16 {
		fam.bounds = append(fam.bounds, c)
	}
	return c
}

// touchChunk is how many samples appendParallel looks up before it writes
// them: their slots (a few cache lines each) stay in cache in between.
const touchChunk = 32

// touchSink keeps touch's loads from being optimised away.
var touchSink [2]atomic.Uint32

// touch loads the first and last word of the slots a write of sm into sr
// will use, and returns them.
func (s *Store) touch(sr *series, sm *exporter.Sample) uint32 {
	fi := s.stepOf(sm.Time)
	return sr.fine.touch(fi) + sr.coarse.touch(ceilDiv(fi, s.ratio))
}

func (s *Store) write(sr *series, sm *exporter.Sample) {
	fi := s.stepOf(sm.Time)
	ci := ceilDiv(fi, s.ratio)
	fp, fok := sr.fine.slot(fi)
	cp, cok := sr.coarse.slot(ci)
	if !fok && !cok {
		s.rejected.Add(1)
		return
	}
	if fi > sr.lastWrite {
		sr.lastWrite = fi
	}
	if sr.firstT.IsZero() || sm.Time.Before(sr.firstT) {
		sr.firstT = sm.Time
	}
	switch sm.Kind {
	case exporter.Counter:
		if fok {
			sr.fine.vals[fp] += sm.Value
		}
		if cok {
			sr.coarse.vals[cp] += sm.Value
		}
		if sm.Value != 0 && sm.Time.After(sr.lastSeen) {
			sr.lastSeen = sm.Time
		}
	case exporter.Gauge:
		if fok {
			sr.fine.vals[fp] = sm.Value
		}
		if cok {
			sr.coarse.vals[cp] = sm.Value
		}
		if !sm.Time.Before(sr.lastT) {
			sr.lastT, sr.lastVal = sm.Time, sm.Value
		}
		if sm.Time.After(sr.lastSeen) {
			sr.lastSeen = sm.Time
		}
	case exporter.Histogram:
		if !slices.Equal(sr.bounds, sm.Bounds) || len(sm.Counts) != len(sr.bounds)+1 {
			s.rejected.Add(1)
			return
		}
		if fok {
			writeHist(&sr.fine, fi, fp, sm)
		}
		if cok {
			writeHist(&sr.coarse, ci, cp, sm)
		}
		if sm.Count > 0 && sm.Time.After(sr.lastSeen) {
			sr.lastSeen = sm.Time
		}
	}
}

func writeHist(r *ring, idx int64, p int, sm *exporter.Sample) {
	st := r.stride()
	a := r.hist[p*st : (p+1)*st]
	var n uint64
	for b, c := range sm.Counts {
		a[b] = satAdd(a[b], c)
		n += c
		if a[b] == math.MaxUint32 {
			r.sat = true
		}
	}
	r.addCount(idx, n)
	setF(a, r.nb, getF(a, r.nb)+sm.Sum)
	if n > 0 {
		mn, mx := extremeBounds(sm)
		setF(a, r.nb+2, nanMin(getF(a, r.nb+2), mn))
		setF(a, r.nb+4, nanMax(getF(a, r.nb+4), mx))
	}
}

// extremeBounds gives the tightest bounds of a histogram sample's
// observations that it proves: its Min and Max (exact, or a cumulative
// reader's wider bound) narrowed to the lowest and highest non-empty
// buckets, whose observations lie in (lower, upper]. An unbounded side is
// ±Inf, which every merge keeps (a NaN would be skipped) and queries
// report as NaN.
func extremeBounds(sm *exporter.Sample) (float64, float64) {
	lo, hi := -1, -1
	for b, c := range sm.Counts {
		if c > 0 {
			if lo < 0 {
				lo = b
			}
			hi = b
		}
	}
	mn, mx := sm.Min, sm.Max
	if math.IsNaN(mn) {
		mn = math.Inf(-1)
	}
	if math.IsNaN(mx) {
		mx = math.Inf(1)
	}
	if lo > 0 {
		mn = max(mn, sm.Bounds[lo-1])
	}
	if hi >= 0 && hi < len(sm.Bounds) {
		mx = min(mx, sm.Bounds[hi])
	}
	return mn, mx
}

// gc deletes series without samples for the retention period.
func (s *Store) gc(nowStep int64) {
	cutoff := nowStep - s.retention
	for name, fam := range s.families {
		live := 0
		for _, sr := range fam.series {
			if sr == nil {
				continue
			}
			if sr.lastWrite <= cutoff {
				s.remove(fam, sr)
				continue
			}
			live++
		}
		if live == 0 {
			delete(s.families, name)
		}
	}
}

func (s *Store) remove(fam *family, sr *series) {
	fam.series[sr.id] = nil
	fam.free = append(fam.free, sr.id)
	h := sr.hash
	dups := fam.dupHash[h]
	if fam.byHash[h] == sr.id {
		if n := len(dups); n > 0 {
			fam.byHash[h] = dups[n-1]
			dups = dups[:n-1]
		} else {
			delete(fam.byHash, h)
		}
	} else {
		dups = deleteID(dups, sr.id)
	}
	if len(dups) == 0 {
		delete(fam.dupHash, h)
	} else {
		fam.dupHash[h] = dups
	}
	for _, a := range sr.labels {
		vals := fam.postings[a.Key]
		vals[a.Value] = deleteID(vals[a.Value], sr.id)
		if len(vals[a.Value]) == 0 {
			delete(vals, a.Value)
		}
		if len(vals) == 0 {
			delete(fam.postings, a.Key)
		}
	}
	s.nSeries--
}

func deleteID(ids []int32, id int32) []int32 {
	for i, v := range ids {
		if v == id {
			ids[i] = ids[len(ids)-1]
			return ids[:len(ids)-1]
		}
	}
	return ids
}

func (sr *series) label(key string) string {
	for _, a := range sr.labels {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}
