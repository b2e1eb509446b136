// Package replicatest proves that several Vigil replicas behave as one.
//
// It holds no library code: its tests build the real vigil binary, start
// two (or more) `vigil serve` processes on one real PostgreSQL (a fresh
// schema per test, selected through the DSN's search_path) and one real
// Redis (a unique rate-limit client per test), drive faults through the
// reference API and count what a local webhook receives.
//
// # What the tests prove
//
//   - State is shared: acknowledgements, history, silences and security
//     events written through one replica are read through the other, and a
//     silence created on a follower mutes the leader's notifications.
//   - One replica evaluates and notifies at a time; when the leader is
//     killed with SIGKILL mid-incident another takes over within two
//     evaluation intervals, and every alert's firing and resolved
//     notification is received exactly once.
//   - Rate limits kept in Redis hold across replicas.
//   - Alertmanager payloads posted to any replica are deduplicated by
//     fingerprint.
//   - Replicas started at the same instant on an empty schema migrate it
//     once.
//
// # Running
//
//	go test ./replicatest/
//
// PostgreSQL comes from VIGIL_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), Redis from
// VIGIL_TEST_REDIS (default redis://127.0.0.1:6379/0). Without them the
// tests skip, unless CI is set, in which case they fail.
package replicatest
