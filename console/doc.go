// Package console is the alert console served by Vigil at /ui: a small
// single-page application (plain HTML, CSS and JavaScript modules embedded
// in the binary, no CDN, no build step) for the engineer on call.
//
// # Screens
//
// The alert list (pending, firing, acknowledged, silenced, resolved), kept
// live over WS /ws/metrics, filtered by label matchers or text; an alert's
// labels, annotations, links (Grafana, Prometheus, its trace in Jaeger) and
// append-only history; acknowledge and resolve with a comment; silence
// from an alert's labels; the list of silences, with expiry; and a live
// overview of requests per second, error ratio and p95 latency per route,
// drawn from the stream. Viewers see; admins act: action buttons are shown
// to admins only, and the API refuses the others anyway.
//
// # Login and sessions
//
// POST /ui/login with the form field key (any configured or stored key of
// role viewer or admin) opens a session ([security.Sessions]) and sets an
// HttpOnly, SameSite=Strict cookie (Secure, with the __Host- prefix, over
// TLS or behind a proxy that says X-Forwarded-Proto: https). The cookie
// authenticates the API and the WebSocket like a key; state-changing
// requests made with it from another origin are refused (403). POST
// /ui/logout ends the session; revoking the key ends all of its sessions.
//
// # Security headers
//
// Every console page is served with [CSP]: scripts, styles and connections
// from the same origin only, no inline script or style, Trusted Types
// enforced, no framing.
//
// # Use
//
//	c, err := console.New(console.Config{Auth: auth, Links: links})
//	if err != nil { ... }
//	c.Register(e)
//	registry.Add(console.Operations()...)
package console
