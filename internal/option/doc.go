// Package option is what the sealed functional options of Vigil's library
// packages (exporter, ratelimit, store) share: each package keeps its own
// unexported config and Option interface, and builds every WithX from
// When, so that "a zero or invalid value keeps the default" is said once.
package option
