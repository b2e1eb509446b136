package fleet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// Instrument names of the client.
const (
	// MetricQueryFailures counts failed queries by reason
	// (vigil_fleet_query_failures_total in Prometheus).
	MetricQueryFailures = "vigil.fleet.query.failures"
	// MetricQueryDuration is the duration of every query, by endpoint
	// (query, query_range, query_exemplars) and outcome (success, failure).
	MetricQueryDuration = "vigil.fleet.query.duration"
	// AttrReason and AttrEndpoint are the attributes of the instruments.
	AttrReason   = "reason"
	AttrEndpoint = "endpoint"
	attrOutcome  = "outcome"
)

// Endpoints of the API, as the endpoint attribute.
const (
	EndpointQuery          = "query"
	EndpointQueryRange     = "query_range"
	EndpointQueryExemplars = "query_exemplars"
)

// Deps are what a Client needs besides its configuration.
type Deps struct {
	// MeterProvider records the failure counter and the duration
	// histogram. Optional. Default value: none recorded.
	MeterProvider metric.MeterProvider
	// Logger logs failed queries at debug level and failure transitions at
	// warn level. Optional. Default value discards.
	Logger *slog.Logger
	// Transport is the base HTTP transport (TLS and credentials are added
	// on top). Optional. Default value: a clone of http.DefaultTransport.
	Transport *http.Transport
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
}

// Client queries a Prometheus-compatible API with the fleet section's
// bounds: every query has the configured timeout, a result of more than
// max_series series is an error, a response body is capped before it is
// read, and every failure is a *QueryError whose reason is counted.
// It is safe for concurrent use.
type Client struct {
	api       v1.API
	transport *http.Transport
	timeout   time.Duration
	maxSeries int
	bodyLimit int64
	matchers  Matchers
	url       string
	logger    *slog.Logger
	now       func() time.Time

	failures metric.Int64Counter
	duration metric.Float64Histogram

	mu   sync.Mutex
	last outcome
}

// outcome is the result of the latest query, for Health.
type outcome struct {
	at       time.Time
	err      error
	duration time.Duration
}

// loadCA reads a PEM file of CA certificates.
func loadCA(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path) //nolint:gosec // the operator's configured file
	if err != nil {
		return nil, &ConfigError{Key: "prometheus.tls_config.ca_file", Reason: "cannot read " + path}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &ConfigError{Key: "prometheus.tls_config.ca_file", Reason: path + " holds no PEM certificate"}
	}
	return pool, nil
}

// bodyLimitFor derives the response cap from max_series: 4 KiB per series
// (labels and a value, or a few hundred points of a range) plus 1 MiB.
func bodyLimitFor(maxSeries int) int64 { return 1<<20 + int64(maxSeries)*4<<10 }

// NewClient returns a client of cfg.URL. cfg must come from ParseConfig
// (and WithDefaults); the CA file is read here.
func NewClient(cfg PrometheusConfig, deps Deps) (*Client, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = Duration(maxDefaultTimeout)
	}
	if cfg.MaxSeries <= 0 {
		cfg.MaxSeries = DefaultMaxSeries
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.MeterProvider == nil {
		deps.MeterProvider = noop.NewMeterProvider()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	tr := deps.Transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	} else {
		tr = tr.Clone()
	}
	tr.DialContext = (&net.Dialer{Timeout: cfg.Timeout.D(), KeepAlive: 30 * time.Second}).DialContext
	if cfg.TLS.CAFile != "" || cfg.TLS.InsecureSkipVerify {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.TLS.InsecureSkipVerify} //nolint:gosec // the operator's explicit choice
		if cfg.TLS.CAFile != "" {
			pool, err := loadCA(cfg.TLS.CAFile)
			if err != nil {
				return nil, err
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	c := &Client{
		transport: tr,
		timeout:   cfg.Timeout.D(),
		maxSeries: cfg.MaxSeries,
		bodyLimit: bodyLimitFor(cfg.MaxSeries),
		matchers:  cfg.ExtraMatchers,
		url:       cfg.URL,
		logger:    deps.Logger,
		now:       deps.Now,
	}
	rt := &roundTripper{next: tr, limit: c.bodyLimit}
	switch {
	case cfg.bearerToken != "":
		rt.auth = "Bearer " + cfg.bearerToken
	case cfg.BasicAuth != nil:
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(cfg.BasicAuth.Username, cfg.password)
		rt.auth = req.Header.Get("Authorization")
	}
	ac, err := api.NewClient(api.Config{Address: cfg.URL, RoundTripper: rt})
	if err != nil {
		return nil, &ConfigError{Key: "prometheus.url", Reason: "not a usable URL"}
	}
	c.api = v1.NewAPI(ac)
	m := deps.MeterProvider.Meter("github.com/vigilhq/vigil/fleet")
	if c.failures, err = m.Int64Counter(MetricQueryFailures, metric.WithUnit("{query}"),
		metric.WithDescription("Failed queries to the fleet's Prometheus, by reason.")); err != nil {
		return nil, fmt.Errorf("fleet metrics: %w", err)
	}
	if c.duration, err = m.Float64Histogram(MetricQueryDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of queries to the fleet's Prometheus."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)); err != nil {
		return nil, fmt.Errorf("fleet metrics: %w", err)
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close(context.Context) error {
	c.transport.CloseIdleConnections()
	return nil
}

// URL is the configured base URL (it never holds credentials).
func (c *Client) URL() string { return c.url }

// Matchers are the extra matchers, rendered for a PromQL builder.
func (c *Client) Matchers() []string { return c.matchers.Strings() }

// Timeout is the bound of each query.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Query evaluates an instant query at ts. A scalar result is returned as
// one sample without labels; a string or range result is a bad_response.
func (c *Client) Query(ctx context.Context, q string, ts time.Time) (model.Vector, error) {
	var out model.Vector
	err := c.do(ctx, EndpointQuery, func(ctx context.Context) error {
		v, _, _, err := c.api.Query(ctx, q, ts, v1.WithTimeout(c.timeout))
		if err != nil {
			return err
		}
		switch r := v.(type) {
		case model.Vector:
			out = r
		case *model.Scalar:
			out = model.Vector{{Metric: model.Metric{}, Value: r.Value, Timestamp: r.Timestamp}}
		default:
			return &QueryError{Reason: ReasonBadResponse, Detail: fmt.Sprintf("want an instant vector, got %s", typeOf(v))}
		}
		return c.bound(len(out))
	})
	return out, err
}

// QueryRange evaluates a range query.
func (c *Client) QueryRange(ctx context.Context, q string, r v1.Range) (model.Matrix, error) {
	var out model.Matrix
	err := c.do(ctx, EndpointQueryRange, func(ctx context.Context) error {
		v, _, _, err := c.api.QueryRange(ctx, q, r, v1.WithTimeout(c.timeout))
		if err != nil {
			return err
		}
		m, ok := v.(model.Matrix)
		if !ok {
			return &QueryError{Reason: ReasonBadResponse, Detail: fmt.Sprintf("want a range vector, got %s", typeOf(v))}
		}
		out = m
		return c.bound(len(out))
	})
	return out, err
}

// QueryExemplars returns the exemplars of the series q selects between
// start and end (Prometheus needs --enable-feature=exemplar-storage).
func (c *Client) QueryExemplars(ctx context.Context, q string, start, end time.Time) ([]v1.ExemplarQueryResult, error) {
	var out []v1.ExemplarQueryResult
	err := c.do(ctx, EndpointQueryExemplars, func(ctx context.Context) error {
		r, err := c.api.QueryExemplars(ctx, q, start, end)
		if err != nil {
			return err
		}
		out = r
		return c.bound(len(out))
	})
	return out, err
}

func (c *Client) bound(n int) error {
	if n > c.maxSeries {
		return &QueryError{Reason: ReasonTooManySeries, Detail: fmt.Sprintf("%d series, more than max_series %d", n, c.maxSeries)}
	}
	return nil
}

func typeOf(v model.Value) string {
	if v == nil {
		return "nothing"
	}
	return v.Type().String()
}

// do runs one query with the timeout, classifies its error, records it and
// remembers the outcome.
func (c *Client) do(ctx context.Context, endpoint string, run func(context.Context) error) error {
	qctx, cancel := context.WithTimeoutCause(context.WithValue(ctx, timeoutKey{}, Duration(c.timeout)), c.timeout, errTimeout)
	defer cancel()
	start := c.now()
	err := run(qctx)
	took := c.now().Sub(start)
	if err != nil {
		if _, ok := err.(*QueryError); !ok { //nolint:errorlint // our own bound checks return it unwrapped
			err = classify(qctx, err, c.bodyLimit)
		}
		if ctx.Err() != nil && ReasonOf(err) == "" {
			// The caller gave up (shutdown, client gone): not a failure of Prometheus.
			return err
		}
	}
	outcomeAttr := "success"
	if err != nil {
		outcomeAttr = "failure"
		reason := ReasonOf(err)
		c.failures.Add(ctx, 1, metric.WithAttributes(attribute.String(AttrReason, string(reason))))
		c.logger.Debug("fleet query failed", "endpoint", endpoint, "reason", reason, "error", err)
	}
	c.duration.Record(ctx, took.Seconds(), metric.WithAttributes(attribute.String(AttrEndpoint, endpoint), attribute.String(attrOutcome, outcomeAttr)))
	c.record(outcome{at: c.now(), err: err, duration: took})
	return err
}

func (c *Client) record(o outcome) {
	c.mu.Lock()
	prev := c.last
	c.last = o
	c.mu.Unlock()
	switch {
	case o.err != nil && (prev.at.IsZero() || prev.err == nil):
		c.logger.Warn("fleet: prometheus queries failing", "url", c.url, "reason", ReasonOf(o.err), "error", o.err)
	case o.err == nil && prev.err != nil:
		c.logger.Info("fleet: prometheus queries succeed again", "url", c.url)
	}
}

// roundTripper adds the credentials and caps the response body.
type roundTripper struct {
	next  http.RoundTripper
	auth  string
	limit int64
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if rt.auth != "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", rt.auth)
	}
	resp, err := rt.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: rt.limit}
	return resp, nil
}

// cappedBody fails with errBodyTooLarge once more than its limit is read.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a larger one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errBodyTooLarge
		}
		return b.rc.Read(p)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
