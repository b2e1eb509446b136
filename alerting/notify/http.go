package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// jsonPost is an integration that posts one JSON body, built from the
// notification, to one URL: the webhook, Slack, Discord, Teams and
// Telegram receivers differ only in name, URL, headers and body.
type jsonPost struct {
	name    string
	url     string // may hold a secret: never logged (postJSON keeps URLs out of errors)
	headers map[string]string
	client  *http.Client
	body    func(*Notification) any
}

func (j *jsonPost) Name() string { return j.name }

func (j *jsonPost) Notify(ctx context.Context, n *Notification) (bool, error) {
	return postJSON(ctx, j.client, j.url, j.headers, j.body(n))
}

// postJSON posts v to target and classifies the outcome: 2xx is success;
// 429, 5xx and transport errors may be retried; other statuses are final.
// Errors never carry the URL, which may hold a secret (Slack, Discord,
// Teams and Telegram URLs do).
func postJSON(ctx context.Context, c *http.Client, target string, headers map[string]string, v any) (bool, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("%w: encode: %w", ErrNotify, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%w: build request: %w", ErrNotify, stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-alerting")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("%w: %w", ErrNotify, stripURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry := resp.StatusCode == http.StatusTooManyRequests || httpapi.IsServerError(resp.StatusCode)
	return retry, fmt.Errorf("%w: unexpected status %d", ErrNotify, resp.StatusCode)
}

// stripURL drops the URL from a *url.Error, keeping the operation and
// the cause.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
