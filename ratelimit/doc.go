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
// clocks agree.
//
// A Redis that is down or frozen never slows a request down for long: every
// call is bounded by Config.RedisTimeout (50 ms by default), and a circuit
// breaker stops calling Redis after [DefaultBreakerFailures] failures in a
// row, for Config.RedisCooldown (5 s by default); then one request probes
// it (half-open) and its answer closes the breaker or opens it again. Every
// request Redis did not decide is decided by an in-memory limiter with the
// same limits (per replica, so a fleet of n replicas admits up to n times
// the budget meanwhile); the failure is logged (at most once per
// [DefaultLogEvery]) and counted in the vigil.ratelimit.errors counter,
// and [Redis.Health] reports "warn" with the reason, which /api/health
// shows as its ratelimit:backend component.
//
// # Login
//
// [LoginMiddleware] bounds POST /api/login twice: per client
// (Config.Login.PerClient, 10 per minute by default) and per username
// (Config.Login.PerUsername, 5 per minute), whichever client sends it. Both
// budgets live in the same backend as the other limits, under the keys
// [LoginClientRoute] and [LoginUsernameRoute].
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
