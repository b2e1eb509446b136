package readiness

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON report schema.
const SchemaVersion = "1"

// Results of a check.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
	Skip = "skip"
	// Error is a check whose probe could not reach the target (no
	// connection, no answer, or a hop the allow-list refused): it proved
	// nothing, so it is neither a pass nor a fail and does not count.
	Error = "error"
)

// Severities of a check.
const (
	SevInfo     = "info"
	SevLow      = "low"
	SevMedium   = "medium"
	SevHigh     = "high"
	SevCritical = "critical"
)

// Category identifiers, in report order.
const (
	CatHealth         = "health"
	CatTLS            = "tls"
	CatHeaders        = "headers"
	CatCORS           = "cors"
	CatCookies        = "cookies"
	CatAuthentication = "authentication"
	CatExposure       = "exposure"
	CatRateLimit      = "ratelimit"
	CatPerformance    = "performance"
	CatErrors         = "errors"
	CatConventions    = "conventions"
	CatDocs           = "docs_observability"
)

type categoryInfo struct {
	id     string
	name   string
	weight float64
}

var categories = []categoryInfo{
	{CatHealth, "Health and readiness endpoints", 8},
	{CatTLS, "TLS and HTTPS redirect", 8},
	{CatHeaders, "Security headers (HTTP Observatory)", 10},
	{CatCORS, "CORS", 8},
	{CatCookies, "Cookies", 5},
	{CatAuthentication, "Authentication", 12},
	{CatExposure, "Admin and debug exposure", 12},
	{CatRateLimit, "Rate limiting and request limits", 8},
	{CatPerformance, "Performance", 8},
	{CatErrors, "Errors and disclosure", 8},
	{CatConventions, "HTTP conventions", 5},
	{CatDocs, "Documentation and observability", 8},
}

// Categories returns the category identifiers in report order.
func Categories() []string {
	out := make([]string, len(categories))
	for i, c := range categories {
		out[i] = c.id
	}
	return out
}

// Report is the result of one run. Its JSON form is the stable schema
// identified by Version.
type Report struct {
	Version         string           `json:"version"`
	Target          string           `json:"target"`
	StartedAt       time.Time        `json:"started_at"`
	FinishedAt      time.Time        `json:"finished_at"`
	Score           float64          `json:"score"`
	Grade           string           `json:"grade"`
	Capped          string           `json:"capped,omitempty"` // why the grade was capped
	Observatory     *Observatory     `json:"observatory"`
	Categories      []CategoryResult `json:"categories"`
	Summary         Summary          `json:"summary"`
	Recommendations []Recommendation `json:"recommendations"`
}

// CategoryResult is one category's checks and score.
type CategoryResult struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Weight  float64 `json:"weight"`
	Score   float64 `json:"score"`
	Skipped bool    `json:"skipped,omitempty"`
	Checks  []Check `json:"checks"`
}

// Check is the outcome of one probe.
type Check struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	Result         string     `json:"result"`
	Severity       string     `json:"severity"`
	Detail         string     `json:"detail"`
	Evidence       []Evidence `json:"evidence,omitempty"`
	Recommendation string     `json:"recommendation,omitempty"`
}

// Evidence is one request a check relied on.
type Evidence struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	Status      int               `json:"status,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	BodyExcerpt string            `json:"body_excerpt,omitempty"`
	DurationMS  float64           `json:"duration_ms,omitempty"`
	Error       string            `json:"error,omitempty"`
}

// Summary counts checks by result.
type Summary struct {
	Passed  int `json:"passed"`
	Warned  int `json:"warned"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	Errors  int `json:"errors"`
	Total   int `json:"total"`
}

// Recommendation is an action derived from a failed or warned check, most
// severe first.
type Recommendation struct {
	Category string `json:"category"`
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Result   string `json:"result"`
	Text     string `json:"text"`
}

var sevRank = map[string]int{SevInfo: 0, SevLow: 1, SevMedium: 2, SevHigh: 3, SevCritical: 4}

// Grade maps a 0..100 score to a letter grade (see the package doc).
func Grade(score float64) string {
	switch {
	case score >= 95:
		return "A+"
	case score >= 90:
		return "A"
	case score >= 85:
		return "A-"
	case score >= 80:
		return "B+"
	case score >= 70:
		return "B"
	case score >= 65:
		return "B-"
	case score >= 60:
		return "C+"
	case score >= 50:
		return "C"
	case score >= 45:
		return "C-"
	case score >= 40:
		return "D+"
	case score >= 30:
		return "D"
	case score >= 25:
		return "D-"
	}
	return "F"
}

// Grade caps applied when a check of that severity failed.
const (
	criticalCap = 55
	highCap     = 79
)

func categoryScore(checks []Check) (float64, bool) {
	var sum, n float64
	for _, c := range checks {
		switch c.Result {
		case Pass:
			sum++
		case Warn:
			sum += 0.5
		case Fail:
		default:
			continue
		}
		n++
	}
	if n == 0 {
		return 0, false
	}
	return round1(sum / n * 100), true
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// Finalize computes category scores, the summary, the overall score, grade
// and recommendations of r.
func (r *Report) Finalize() {
	r.Version = SchemaVersion
	r.Summary = Summary{}
	r.Recommendations = []Recommendation{}
	var wsum, total float64
	worst := -1
	for i := range r.Categories {
		cat := &r.Categories[i]
		if cat.Checks == nil {
			cat.Checks = []Check{}
		}
		s, ok := categoryScore(cat.Checks)
		if cat.ID == CatHeaders && r.Observatory != nil && ok {
			s = math.Max(0, math.Min(100, float64(r.Observatory.Score)))
		}
		cat.Score = s
		cat.Skipped = !ok
		if ok {
			wsum += cat.Weight
			total += cat.Weight * s
		}
		for _, c := range cat.Checks {
			r.Summary.Total++
			switch c.Result {
			case Pass:
				r.Summary.Passed++
			case Warn:
				r.Summary.Warned++
			case Fail:
				r.Summary.Failed++
			case Error:
				r.Summary.Errors++
			default:
				r.Summary.Skipped++
			}
			if c.Result == Fail && sevRank[c.Severity] > worst {
				worst = sevRank[c.Severity]
			}
			if (c.Result == Fail || c.Result == Warn) && c.Recommendation != "" {
				r.Recommendations = append(r.Recommendations, Recommendation{
					Category: cat.ID, Check: c.ID, Severity: c.Severity, Result: c.Result, Text: c.Recommendation,
				})
			}
		}
	}
	score := 0.0
	if wsum > 0 {
		score = round1(total / wsum)
	}
	r.Capped = ""
	switch {
	case worst == sevRank[SevCritical] && score > criticalCap:
		score, r.Capped = criticalCap, "a critical check failed: grade capped at C"
	case worst == sevRank[SevHigh] && score > highCap:
		score, r.Capped = highCap, "a high-severity check failed: grade capped at B"
	}
	r.Score = score
	r.Grade = Grade(score)
	sort.SliceStable(r.Recommendations, func(i, j int) bool {
		a, b := r.Recommendations[i], r.Recommendations[j]
		if sevRank[a.Severity] != sevRank[b.Severity] {
			return sevRank[a.Severity] > sevRank[b.Severity]
		}
		return a.Result == Fail && b.Result != Fail
	})
}

// Explained returns an error naming every warned or failed check without a
// recommendation: a report must explain each of its findings.
func Explained(r *Report) error {
	var missing []string
	for _, c := range r.Categories {
		for _, ch := range c.Checks {
			if (ch.Result == Warn || ch.Result == Fail) && (ch.Recommendation == "" || ch.Detail == "") {
				missing = append(missing, ch.ID)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("unexplained findings: %s", strings.Join(missing, ", "))
	}
	return nil
}
