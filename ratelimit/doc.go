// Package ratelimit limits requests per client and per route class with the
// generic cell rate algorithm (GCRA), in memory by default or in Redis when
// several replicas must share one budget.
//
// # Limits
//
// A [Config] lists limits by route: `{route: /api/public, requests: 10,
// per: 1m}` admits a burst of 10 requests per client and then one request
// every 6 s, so that at most 10 requests are admitted in any minute. A route
// matches a limit when it equals the limit's route or starts with the
// limit's route followed by "/". A route that matches no limit is unlimited:
// [Limiter.Allow] admits it and returns a [Decision] whose Limit is 0, and
// the middleware sets no rate-limit headers on it.
//
// The defaults ([DefaultConfig]) are /api/public 10 per minute and /api/chat
// 60 per minute.
//
// # Backends
//
// [NewMemory] keeps one theoretical arrival time per (client, route) key and
// evicts keys whose bucket is full again, so memory stays bounded
// ([WithMaxKeys]). [NewRedis] runs the same algorithm atomically in a Lua
// script that reads the Redis server clock (TIME), so replicas with skewed
// clocks agree. When Redis is unreachable the Redis limiter fails open: the
// request is admitted, the error is logged (at most once per
// [DefaultLogEvery]) and counted in the vigil.ratelimit.errors counter, and
// [Redis.Health] reports "warn".
//
// # HTTP headers
//
// [Middleware] sets, on every response of a limited route, the fields of
// draft-ietf-httpapi-ratelimit-headers-10 (September 2025), whose policy
// names are Structured Field Strings:
//
//	RateLimit-Policy: "default";q=10;w=60
//	RateLimit: "default";r=3;t=6
//
// where r is the remaining quota and t, as section 4.1.2 of draft 10 says,
// the number of seconds until additional quota is made available: for GCRA,
// until the next request is regained (one emission interval at most). The
// same values satisfy draft 11 (May 2026), which calls t the effective
// window, the time within which no more than r requests will be admitted.
// The widely deployed X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset carry the same quota, remaining and t; over the limit
// the middleware adds Retry-After and returns a 429 *echo.HTTPError. Every
// field that names a time names one moment, [Decision.Seconds] from now
// (rounded up, at least 1 on a 429), so Retry-After, t and
// X-RateLimit-Reset never disagree: draft 10 section 6 asks that a
// Retry-After never be earlier than t.
package ratelimit
