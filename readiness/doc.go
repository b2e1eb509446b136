// Package readiness is a black-box production-readiness checker for any HTTP
// API. It sends bounded, timed probes to a base URL, grades twelve
// categories and renders the result as JSON, Markdown or HTML.
//
// # Use
//
//	c, err := readiness.New(readiness.Config{BaseURL: "http://127.0.0.1:8000"})
//	rep, err := c.Run(ctx)
//	readiness.RenderMarkdown(os.Stdout, rep)
//
// The `vigil readiness` subcommand is [Main]; the management API's
// POST /api/readiness/runs, GET /api/readiness/runs and GET
// /api/readiness/runs/:id handlers are [Service.HandleStart],
// [Service.HandleList] and [Service.HandleGet]. The service only ever
// probes targets listed in `readiness.allowed_targets`.
//
// # What a run may contact
//
// Every request of a run, each redirect hop included, must go to the
// scheme, host and port of its target or of another allowed target
// (Config.AllowedTargets: the service's allow-list; the CLI's is its --url).
// The one derived probe, the http:// listener on port 80 of an https
// target, may use that endpoint and never follows a redirect. Anything else
// is refused before it is sent, and reported: the check is an error whose
// detail names the refused URL, and nothing of that URL is ever fetched
// (a 307 never replays a POST or DELETE there). Host names are resolved
// once when the run starts; the transport dials only those addresses and
// checks each socket's address again as it connects, so DNS cannot move a
// request elsewhere during the run.
//
// # Categories
//
// health, tls, headers, cors, cookies, authentication, exposure, ratelimit,
// performance, errors, conventions, docs_observability. Each is a set of
// checks with a result (pass, warn, fail, skip, error), a severity (info,
// low, medium, high, critical), evidence (request, status, headers, a short
// body excerpt) and a recommendation.
//
// A probe that got no answer proved nothing: its check is an error when it
// did not reach the target (no connection, or a refused hop) or when only
// an answer could tell (an exposure path, TRACE, CORS), and a failure when
// the target took the connection and an answer was due (health, errors,
// docs). It is never a pass, with one exception: port 80 refusing the
// connection shows that no plain-HTTP listener needs a redirect.
//
// The exposure category also looks for header-driven fault injection
// (exposure.fault_injection, high): Vigil's X-Demo-Fault and X-Demo-Delay,
// Envoy's x-envoy-fault-abort-request and x-envoy-fault-delay-request, and
// mock servers' x-mock-response-code and Prefer: code=. A header counts
// when it brings the status (or the 1.5 s delay) it asks for twice in a
// row between two normal answers, so neither a flaky nor a slow service is
// reported.
//
// # Unreachable targets and timeouts
//
// [Checker.Run] returns no report when the target cannot be reached
// ([ErrUnreachable]: its host does not resolve or refuses the connection,
// or no check could be judged) or when the run exceeds Config.RunTimeout
// (60 s by default, [ErrRunTimeout]): the CLI exits 1 with one line, the
// service marks the run failed with that reason and no score or grade.
//
// # Scoring
//
// A check counts 1 when it passes, 0.5 when it warns and 0 when it fails;
// skipped checks and errors do not count. A category's score is the mean times 100,
// except headers, whose score is the Mozilla HTTP Observatory score clamped
// to 0..100. The overall score is the weighted mean of the categories that
// ran (weights renormalised over them):
//
//	health 8, tls 8, headers 10, cors 8, cookies 5, authentication 12,
//	exposure 12, ratelimit 8, performance 8, errors 8, conventions 5,
//	docs_observability 8 (sum 100)
//
// Grades: ≥95 A+, ≥90 A, ≥85 A-, ≥80 B+, ≥70 B, ≥65 B-, ≥60 C+, ≥50 C,
// ≥45 C-, ≥40 D+, ≥30 D, ≥25 D-, else F. A failed check of severity
// critical caps the overall score at 55, so the grade is at most C; a failed
// check of severity high caps it at 79 (at most B).
//
// # Observatory
//
// The headers category reproduces the scoring of the Mozilla HTTP
// Observatory (mdn/mdn-http-observatory, src/grader/charts.js): baseline 100,
// every negative modifier applied, positive modifiers added only when the
// penalised score is still at least 90, grade from its chart (rounded down to
// a multiple of 5: 100+ A+, 90 A, 85 A-, 80 B+, 70 B, 65 B-, 60 C+, 50 C,
// 45 C-, 40 D+, 30 D, 25 D-, else F). Tests: content-security-policy,
// cookies, cross-origin-resource-sharing, redirection, referrer-policy,
// strict-transport-security, subresource-integrity (always "not HTML" for an
// API, modifier 0), x-content-type-options, x-frame-options,
// cross-origin-resource-policy. HSTS preload lists are not consulted.
//
// # Plain HTTP targets
//
// An https target gets certificate, expiry and protocol checks, and the
// http:// listener on port 80 of the same host is probed for a redirect.
// An http target on a loopback address (localhost, 127.0.0.0/8, ::1) is
// assumed to sit behind a TLS-terminating proxy: the TLS checks are skipped
// with that explanation, and the Observatory HSTS and redirection tests
// grade the Strict-Transport-Security header if the app sends one and are
// otherwise scored 0 ("not applicable on loopback") instead of -20. An http
// target on any other host fails the TLS category and gets the Observatory's
// -20 penalties.
//
// # Robustness
//
// Every probe runs under its own timeout (Config.Timeout, 5 s by default)
// and the run under Config.RunTimeout; bodies are read through a size cap;
// redirects are capped at 5 and a loop is a failed check; a panicking probe
// becomes a failed check. The burst and performance probes are bounded both
// in requests and in time.
package readiness
