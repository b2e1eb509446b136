// Package app wires Vigil together: it is the one package that imports every
// other. Main parses the command line (serve, readiness, docs, rules, report)
// into options and Run starts the server with its store, telemetry, engine
// and background loops, and stops them in order on cancellation.
package app
