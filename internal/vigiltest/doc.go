// Package vigiltest runs the real vigil binary for end-to-end tests.
//
// It is the one harness shared by the test packages that drive `vigil
// serve` as a process (internal/app, replicatest, stacktest): build the
// binary once, start it on a free 127.0.0.1 port, wait until /ready
// answers, talk to it over HTTP, stop it with SIGTERM or crash it with
// SIGKILL, and receive its webhook notifications locally. It is imported
// only from _test files.
//
// # Building once
//
// Build compiles cmd/vigil into a temporary directory and returns its path
// and a cleanup function; it needs no *testing.T. Run wraps it for the
// common TestMain:
//
//	var vigilBin string
//
//	func TestMain(m *testing.M) { os.Exit(vigiltest.Run(m, &vigilBin)) }
//
// # Running a process
//
// Start launches `vigil serve --addr <free port> --data-dir <DataDir>
// <Args...>` with Env added to the environment and waits for /ready,
// failing the test at once if the process exits first. Launch starts
// without waiting, for tests that need several processes to start at the
// same instant; WaitReady then waits for each. The process's combined
// output is kept (Logs) and printed when the test fails. At cleanup a
// process still running gets SIGTERM and, after ten seconds, SIGKILL.
//
//	p := vigiltest.Start(t, vigilBin, vigiltest.Options{DataDir: t.TempDir(),
//		Env: []string{"VIGIL_ADMIN_TOKEN=" + token}})
//	resp, body := p.Do(http.MethodGet, "/api/alerts", token, nil)
//	require.NoError(t, p.Stop())
//
// # Receiving notifications
//
// NewHookReceiver serves an Alertmanager-style webhook on 127.0.0.1 and
// records every payload; Wait blocks until a payload with a given status
// arrives, Count counts notified alerts by status.
package vigiltest
