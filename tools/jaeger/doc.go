// Package jaeger pins Jaeger v2 as a Go tool for machines without Docker
// (scripts/stack and the stacktest integration tests). It lives in its own
// module so Jaeger's large dependency graph never enters Vigil's go.mod.
//
//	cd tools/jaeger && go tool jaeger --config file:config.yaml
package jaeger
