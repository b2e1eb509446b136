// Package baseurl parses the base URL that Vigil's client subcommands
// (health, report, docs, and readiness' same rules) take with --url, and
// joins API paths to it, so every subcommand reads --url the same way:
//
//	u, err := baseurl.Parse("http://host:8000/vigil/")
//	probe := baseurl.Join(u, "/health") // http://host:8000/vigil/health
//
// A base URL is http or https, names a host, carries no credentials, query
// or fragment, and may have a path prefix (a reverse proxy's mount point);
// trailing slashes are dropped.
package baseurl
