// Package exampletest is the test every runnable example under examples/
// shares: the example serves a learner and Prometheus metrics carrying its
// route, answers with a trace ID, and shuts down when its context ends.
package exampletest
