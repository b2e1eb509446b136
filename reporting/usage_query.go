package reporting

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Usage report resolutions and sources.
const (
	ResolutionMinute = "minute"
	ResolutionHour   = "hour"
	SourceMemory     = "memory"
	SourceStore      = "store"
)

// DefaultUsageTop bounds the clients and endpoints listed in a UsageReport.
const DefaultUsageTop = 50

// UsageQuery selects a usage report.
type UsageQuery struct {
	Minutes int    // window, 1..MaxUsageMinutes
	Client  string // "" for every client
	Top     int    // clients and endpoints listed; 0 means DefaultUsageTop
}

// EndpointUsage is the usage of one route and method.
type EndpointUsage struct {
	Route  string `json:"route"`
	Method string `json:"method"`
	Counts
}

// ClientUsage is the usage of one client, with its top endpoints.
type ClientUsage struct {
	Client string `json:"client"`
	Counts
	Endpoints []EndpointUsage `json:"endpoints"`
}

// Peak is the busiest bucket of a usage window.
type Peak struct {
	Start    time.Time `json:"start"`
	Requests int64     `json:"requests"`
}

// UsageReport is the body of GET /api/usage. Clients and Endpoints are the
// Top busiest (by requests); ClientCount and EndpointCount say how many
// there were; Totals cover all of them.
type UsageReport struct {
	WindowMinutes int             `json:"window_minutes"`
	Since         time.Time       `json:"since"`
	Until         time.Time       `json:"until"`
	Resolution    string          `json:"resolution"` // minute or hour
	Source        string          `json:"source"`     // memory or store
	Client        string          `json:"client,omitempty"`
	Totals        Counts          `json:"totals"`
	Peak          *Peak           `json:"peak"`
	ClientCount   int             `json:"client_count"`
	EndpointCount int             `json:"endpoint_count"`
	Clients       []ClientUsage   `json:"clients"`
	Endpoints     []EndpointUsage `json:"endpoints"`
}

// Query answers a usage report: from the minute buckets overlapping the
// window (rounded outward to whole minutes) in memory when they
// cover the whole window (the process is older than the window, or the store
// held nothing of the window when it started: see LoadHistory), otherwise from the hourly rollups in the store
// (after flushing), whose hours overlapping the window are counted whole.
func (u *Usage) Query(ctx context.Context, q UsageQuery) (UsageReport, error) {
	if q.Top <= 0 {
		q.Top = DefaultUsageTop
	}
	now := u.cfg.Now()
	window := time.Duration(q.Minutes) * time.Minute
	rep := UsageReport{WindowMinutes: q.Minutes, Client: q.Client, Until: now}
	agg := map[UsageKey]Counts{}
	peaks := map[int64]int64{}
	u.mu.Lock()
	fromMemory := window <= u.cfg.MemorySpan &&
		(!now.Add(-window).Before(u.started) || u.prior.IsZero() || u.prior.Add(time.Hour).Before(now.Add(-window)))
	u.mu.Unlock()
	if fromMemory {
		rep.Resolution, rep.Source = ResolutionMinute, SourceMemory
		nowMin := floorDiv(now.Unix(), 60)
		from := floorDiv(now.Add(-window).Unix(), 60) // first minute overlapping the window
		rep.Since = time.Unix(from*60, 0).UTC()
		u.mu.Lock()
		for _, b := range u.buckets {
			if b.minute < from || b.minute > nowMin {
				continue
			}
			for k, c := range b.counts {
				if q.Client != "" && k.Client != q.Client {
					continue
				}
				a := agg[k]
				a.add(*c)
				agg[k] = a
				peaks[b.minute*60] += c.Requests
			}
		}
		u.mu.Unlock()
	} else {
		rep.Resolution, rep.Source = ResolutionHour, SourceStore
		if err := u.Flush(ctx); err != nil {
			return UsageReport{}, err
		}
		since := now.Add(-window).Truncate(time.Hour)
		rep.Since = since.UTC()
		rows, err := u.cfg.Store.ListUsage(ctx, store.UsageFilter{Since: since, Until: now.Truncate(time.Hour).Add(time.Hour), Client: q.Client})
		if err != nil {
			return UsageReport{}, fmt.Errorf("usage query: %w", err)
		}
		for _, r := range rows {
			k := UsageKey{Client: r.Client, Route: r.Route, Method: r.Method}
			a := agg[k]
			a.add(Counts{Requests: r.Requests, Errors: r.Errors, RateLimited: r.RateLimited, Tokens: r.Tokens})
			agg[k] = a
			peaks[r.Hour.Unix()] += r.Requests
		}
	}
	for t, n := range peaks {
		if rep.Peak == nil || n > rep.Peak.Requests || (n == rep.Peak.Requests && t < rep.Peak.Start.Unix()) {
			rep.Peak = &Peak{Start: time.Unix(t, 0).UTC(), Requests: n}
		}
	}
	buildUsage(&rep, agg, q.Top)
	return rep, nil
}

func buildUsage(rep *UsageReport, agg map[UsageKey]Counts, top int) {
	clients := map[string]*ClientUsage{}
	endpoints := map[[2]string]*EndpointUsage{}
	for k, c := range agg {
		rep.Totals.add(c)
		cu := clients[k.Client]
		if cu == nil {
			cu = &ClientUsage{Client: k.Client}
			clients[k.Client] = cu
		}
		cu.add(c)
		cu.Endpoints = append(cu.Endpoints, EndpointUsage{Route: k.Route, Method: k.Method, Counts: c})
		ek := [2]string{k.Route, k.Method}
		eu := endpoints[ek]
		if eu == nil {
			eu = &EndpointUsage{Route: k.Route, Method: k.Method}
			endpoints[ek] = eu
		}
		eu.add(c)
	}
	rep.ClientCount, rep.EndpointCount = len(clients), len(endpoints)
	rep.Clients = make([]ClientUsage, 0, len(clients))
	for _, cu := range clients {
		sortEndpoints(cu.Endpoints)
		cu.Endpoints = cu.Endpoints[:min(len(cu.Endpoints), top)]
		rep.Clients = append(rep.Clients, *cu)
	}
	slices.SortFunc(rep.Clients, func(a, b ClientUsage) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Client, b.Client))
	})
	rep.Clients = rep.Clients[:min(len(rep.Clients), top)]
	rep.Endpoints = make([]EndpointUsage, 0, len(endpoints))
	for _, eu := range endpoints {
		rep.Endpoints = append(rep.Endpoints, *eu)
	}
	sortEndpoints(rep.Endpoints)
	rep.Endpoints = rep.Endpoints[:min(len(rep.Endpoints), top)]
}

func sortEndpoints(es []EndpointUsage) {
	slices.SortFunc(es, func(a, b EndpointUsage) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Method, b.Method))
	})
}

// RouteCounts sums the rollups of the routes match selects (every client
// and method) with hours in [since, now], after flushing, for SLO
// availability.
func (u *Usage) RouteCounts(ctx context.Context, match func(route string) bool, since time.Time) (Counts, error) {
	if err := u.Flush(ctx); err != nil {
		return Counts{}, err
	}
	rows, err := u.cfg.Store.ListUsage(ctx, store.UsageFilter{Since: since.Truncate(time.Hour)})
	if err != nil {
		return Counts{}, fmt.Errorf("usage query: %w", err)
	}
	var c Counts
	for _, r := range rows {
		if match(r.Route) {
			c.add(Counts{Requests: r.Requests, Errors: r.Errors, RateLimited: r.RateLimited, Tokens: r.Tokens})
		}
	}
	return c, nil
}
