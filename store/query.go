package store

import (
	"strconv"
	"strings"
	"time"
)

// dialect is what the list queries of the two backends differ in: the
// placeholders ("?" or "$1") and how a time is bound.
type dialect struct {
	numbered bool
	time     func(time.Time) any
}

var (
	liteDialect = dialect{time: func(t time.Time) any { return sqliteTime(t) }}
	pgDialect   = dialect{numbered: true, time: func(t time.Time) any { return normTime(t) }}
)

// where builds a WHERE clause and its arguments in a dialect.
type where struct {
	d     dialect
	conds []string
	args  []any
}

// arg binds v and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	if w.d.numbered {
		return "$" + strconv.Itoa(len(w.args))
	}
	return "?"
}

// add appends the condition prefix followed by v's placeholder, and then
// suffix.
func (w *where) add(prefix string, v any, suffix ...string) {
	w.conds = append(w.conds, prefix+w.arg(v)+strings.Join(suffix, ""))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// alertsQuery is ListAlerts' statement: newest (ActiveAt) first.
func alertsQuery(d dialect, f AlertFilter) (string, []any) {
	w := &where{d: d}
	if f.State != "" {
		w.add("state = ", f.State)
	}
	if f.Fingerprint != "" {
		w.add("fingerprint = ", f.Fingerprint)
	}
	if f.ActiveOnly {
		w.conds = append(w.conds, "state IN ('pending', 'firing')")
	}
	q := `SELECT ` + alertCols + ` FROM alerts` + w.sql() + ` ORDER BY active_at DESC, id DESC LIMIT ` +
		w.arg(clampLimit(f.Limit, DefaultAlertLimit, MaxAlertLimit))
	return q, w.args
}

// securityEventsQuery is ListSecurityEvents' statement: newest first.
func securityEventsQuery(d dialect, f SecurityFilter) (string, []any) {
	w := &where{d: d}
	if f.Type != "" {
		w.add("type = ", f.Type)
	}
	if !f.Since.IsZero() {
		w.add("last_time >= ", d.time(f.Since))
	}
	if f.BeforeID > 0 {
		w.add("id < ", f.BeforeID)
	}
	q := `SELECT ` + securityCols + ` FROM security_events` + w.sql() + ` ORDER BY id DESC LIMIT ` +
		w.arg(clampLimit(f.Limit, DefaultSecurityLimit, MaxSecurityLimit))
	return q, w.args
}

// runsQuery is ListRuns' statement: newest first, before f.Before.
func runsQuery(d dialect, f RunFilter) (string, []any) {
	w := &where{d: d}
	if f.Before != "" {
		w.add("(created_at, id) < (SELECT created_at, id FROM readiness_runs WHERE id = ", f.Before, ")")
	}
	q := `SELECT ` + runCols + ` FROM readiness_runs` + w.sql() +
		` ORDER BY created_at DESC, id DESC LIMIT ` + w.arg(clampLimit(f.Limit, DefaultRunLimit, MaxRunLimit))
	return q, w.args
}

// usageQuery is the statement of a usage list over ut, oldest first.
func usageQuery(d dialect, ut usageTable, f UsageFilter) (string, []any) {
	w := &where{d: d}
	if !f.Since.IsZero() {
		w.add(ut.col+" >= ", d.time(f.Since))
	}
	if !f.Until.IsZero() {
		w.add(ut.col+" < ", d.time(f.Until))
	}
	if f.Client != "" {
		w.add("client = ", f.Client)
	}
	q := `SELECT ` + ut.col + `, client, route, method, requests, errors, rate_limited, tokens FROM ` + ut.table +
		w.sql() + ` ORDER BY ` + ut.col + `, client, route, method`
	if f.Limit > 0 {
		q += ` LIMIT ` + w.arg(f.Limit)
	}
	return q, w.args
}
