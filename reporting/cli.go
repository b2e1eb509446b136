package reporting

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/internal/atomicfile"
	"github.com/vigilhq/vigil/internal/baseurl"
)

// Exit codes of Main.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// EnvToken names the environment variable Main reads the API key from when
// --token is absent.
const EnvToken = "VIGIL_TOKEN"

// maxReportBody bounds a fetched report.
const maxReportBody = 64 << 20

// CLIOptions are the flags of `vigil report`.
type CLIOptions struct {
	URL     string
	Minutes int
	Format  string
	Output  string
	Token   string
	Timeout time.Duration
}

// ParseArgs parses the flags of `vigil report`. Help gives flag.ErrHelp.
func ParseArgs(args []string, stderr io.Writer, lookupEnv func(string) (string, bool)) (CLIOptions, error) {
	fs := flag.NewFlagSet("vigil report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o CLIOptions
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8000", "base URL of the running Vigil server")
	fs.IntVar(&o.Minutes, "minutes", DefaultReportMins, fmt.Sprintf("report window in minutes (1..%d)", MaxMinutes))
	fs.StringVar(&o.Format, "format", FormatJSON, "json, csv or markdown")
	fs.StringVar(&o.Output, "output", "", "file to write (atomically); stdout when absent")
	fs.StringVar(&o.Token, "token", "", "API key with the viewer role (default $"+EnvToken+")")
	fs.DurationVar(&o.Timeout, "timeout", 30*time.Second, "request timeout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "Usage: vigil report [flags]\n\nFetch /api/reports from a running server.")
			fs.PrintDefaults()
		}
		return CLIOptions{}, err
	}
	if fs.NArg() > 0 {
		return CLIOptions{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	u, err := baseurl.Parse(o.URL)
	if err != nil {
		return CLIOptions{}, fmt.Errorf("--url %w", err)
	}
	o.URL = u.String()
	if o.Minutes < 1 || o.Minutes > MaxMinutes {
		return CLIOptions{}, fmt.Errorf("--minutes: must be from 1 to %d", MaxMinutes)
	}
	if o.Format, err = ParseFormat(o.Format); err != nil {
		return CLIOptions{}, errors.New("--format: must be json, csv or markdown")
	}
	if o.Timeout <= 0 {
		return CLIOptions{}, errors.New("--timeout: must be positive")
	}
	if o.Token == "" && lookupEnv != nil {
		o.Token, _ = lookupEnv(EnvToken)
	}
	return o, nil
}

// Main runs `vigil report` and returns the exit code: 2 with one line on a
// usage error, 1 when the fetch or the write fails.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args, stderr, os.LookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "vigil report:", err)
		return ExitUsage
	}
	body, err := Fetch(ctx, http.DefaultClient, o)
	if err != nil {
		fmt.Fprintln(stderr, "vigil report:", err)
		return ExitError
	}
	if o.Output == "" {
		if _, err := stdout.Write(body); err != nil {
			fmt.Fprintln(stderr, "vigil report: write stdout:", err)
			return ExitError
		}
		return ExitOK
	}
	if err := WriteFileAtomic(o.Output, body); err != nil {
		fmt.Fprintln(stderr, "vigil report:", err)
		return ExitError
	}
	return ExitOK
}

// Fetch gets the report described by o. A non-2xx answer is an error
// carrying the problem detail.
func Fetch(ctx context.Context, client *http.Client, o CLIOptions) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	base, err := baseurl.Parse(o.URL)
	if err != nil {
		return nil, fmt.Errorf("fetch report: --url: %w", err)
	}
	u := baseurl.Join(base, "/api/reports") + "?" + url.Values{
		"minutes": {strconv.Itoa(o.Minutes)}, "format": {o.Format}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch report: %w", err)
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch report: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReportBody+1))
	if err != nil {
		return nil, fmt.Errorf("fetch report: %w", err)
	}
	if len(body) > maxReportBody {
		return nil, fmt.Errorf("fetch report: response exceeds %d bytes", maxReportBody)
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(body, &p) == nil && p.Detail != "" {
			return nil, fmt.Errorf("fetch report: %s: %s", resp.Status, p.Detail)
		}
		return nil, fmt.Errorf("fetch report: %s", resp.Status)
	}
	return body, nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, fsynced, renamed over path, the directory fsynced
// (atomicfile.WriteFile), readable by all.
func WriteFileAtomic(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o644)
}
