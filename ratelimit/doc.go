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
//	RateLimit: "default";r=3;t=12
//
// where t is the number of seconds until more quota is available, plus the
// widely deployed X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (seconds until the bucket is full again). Over the limit
// it sets Retry-After (seconds) and returns a 429 *echo.HTTPError.
package ratelimit
