// Package fleettest proves fleet mode on real processes: Debian's
// Prometheus (2.42) scraping two real `vigil serve` replicas every second,
// the replicas sharing one PostgreSQL schema and reading the fleet's
// numbers from that Prometheus through a fault-injecting proxy.
//
// The tests need the prometheus binary (scripts/install-deps) and
// PostgreSQL (scripts/services); with the CI environment variable set
// they fail, not skip, without them:
//
//	CI=true go test -race -count=1 ./fleettest/
//
// Prometheus is killed and restarted on the same port with the same TSDB
// directory mid-test; the proxy makes it slow or failing on demand.
package fleettest
