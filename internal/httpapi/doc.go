// Package httpapi is the HTTP layer Vigil's handler packages share
// (server, security, readiness, apidocs, console, reporting): one of each
// chore every handler does, so each answers the same way.
//
//   - Request bodies: [DecodeJSON] and [UnmarshalJSON] read exactly one JSON
//     object, unknown fields refused; [ReadBody] bounds a body. Problems
//     are 415 for another media type, 413 past the limit, 400 naming the
//     field ("request body: field \"by\" must be string").
//   - Query parameters: [Int], [Int64], [OneOf] and [Strings] parse them;
//     a bad one is a [ParamError] ("query parameter \"limit\": must be an
//     integer from 1 to 1000") that [ParamProblem] turns into a 400.
//   - Health: [HealthResponse] and [HealthComponent] are the
//     application/health+json document of draft-inadarei-api-health-check,
//     written by [WriteHealth]; [WorseStatus] orders pass < warn < fail.
//   - Status classes: [IsServerError] is "the server failed" (5xx), and
//     [ServerErrorPattern] is the same class as a label regexp for series
//     matchers and PromQL.
//   - Content negotiation: [PrefersJSON] tells script clients from
//     browsers.
package httpapi
