package store

import "time"

// UsageMinute counts one client's requests to one route in one minute: the
// fine rollups of the recent past, next to the hourly UsageRollup kept for
// the whole retention. AddUsageMinutes adds the counts to the minute's row
// and to its hour's rollup, in one transaction.
type UsageMinute struct {
	Minute      time.Time `json:"minute"` // truncated to the minute, UTC
	Client      string    `json:"client"`
	Route       string    `json:"route"`
	Method      string    `json:"method"`
	Requests    int64     `json:"requests"`
	Errors      int64     `json:"errors"`
	RateLimited int64     `json:"rate_limited"`
	Tokens      int64     `json:"tokens"`
}

// usageTable is one resolution of the usage rollups: its table, its time
// column and the period a row covers. Both share one row shape, carried
// as UsageRollup (Hour holding the period's start).
type usageTable struct {
	table, col string
	period     time.Duration
}

var (
	hourlyUsage = usageTable{"usage_rollups", "hour", time.Hour}
	minuteUsage = usageTable{"usage_minutes", "minute", time.Minute}
)

func (t usageTable) start(at time.Time) time.Time { return at.UTC().Truncate(t.period) }

func minutesToRows(ms []UsageMinute) []UsageRollup {
	rows := make([]UsageRollup, len(ms))
	for i, m := range ms {
		rows[i] = UsageRollup{Hour: m.Minute, Client: m.Client, Route: m.Route, Method: m.Method,
			Requests: m.Requests, Errors: m.Errors, RateLimited: m.RateLimited, Tokens: m.Tokens}
	}
	return rows
}

func rowsToMinutes(rows []UsageRollup) []UsageMinute {
	ms := make([]UsageMinute, len(rows))
	for i, r := range rows {
		ms[i] = UsageMinute{Minute: r.Hour, Client: r.Client, Route: r.Route, Method: r.Method,
			Requests: r.Requests, Errors: r.Errors, RateLimited: r.RateLimited, Tokens: r.Tokens}
	}
	return ms
}

// hoursOf sums minute rows into the hourly rollups they belong to, in the
// order their hours first appear.
func hoursOf(rows []UsageRollup) []UsageRollup {
	type key struct {
		hour                  time.Time
		client, route, method string
	}
	idx := map[key]int{}
	var out []UsageRollup
	for _, r := range rows {
		k := key{hourlyUsage.start(r.Hour), r.Client, r.Route, r.Method}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, UsageRollup{Hour: k.hour, Client: r.Client, Route: r.Route, Method: r.Method})
		}
		out[i].Requests += r.Requests
		out[i].Errors += r.Errors
		out[i].RateLimited += r.RateLimited
		out[i].Tokens += r.Tokens
	}
	return out
}

// minutesMigration is the migration that added usage_minutes: minute
// rollups are complete from the time it was applied.
const minutesMigration = 40
