package replicatest_test

import (
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

var firstKeyRE = regexp.MustCompile(`vigil_[A-Za-z0-9_-]{43}`)

// TestFirstRunKeyIsSharedByReplicas starts three replicas at once on an
// empty PostgreSQL schema with no key configured: exactly one of them
// creates and prints the first-run admin key, and every replica accepts
// it, and a console session opened on one is accepted by the others.
func TestFirstRunKeyIsSharedByReplicas(t *testing.T) {
	dsn, _ := pgSchema(t)
	var (
		procs []*vigiltest.Proc
		wg    sync.WaitGroup
	)
	for _, name := range []string{"a", "b", "c"} {
		p := vigiltest.Launch(t, vigilBin, vigiltest.Options{
			Name: name,
			Env:  []string{"VIGIL_ADMIN_TOKEN=", "VIGIL_STORE=" + dsn},
		})
		procs = append(procs, p)
	}
	for _, p := range procs {
		wg.Go(p.WaitReady)
	}
	wg.Wait()

	var key string
	printed := 0
	require.Eventually(t, func() bool {
		printed, key = 0, ""
		for _, p := range procs {
			if ks := firstKeyRE.FindAllString(p.Logs(), -1); len(ks) > 0 {
				printed += len(ks)
				key = ks[0]
			}
		}
		return printed > 0
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, printed, "one replica creates and prints the key")

	for _, p := range procs {
		resp, _ := p.Do("GET", "/admin/security/events", key, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "every replica accepts the key")
	}

	// A key made with vigil keys on the shared store works on every replica.
	out, err := exec.Command(vigilBin, "keys", "create", "ci", "--role", "viewer", "--store", dsn).Output()
	require.NoError(t, err)
	viewer := strings.TrimSpace(string(out))
	for _, p := range procs {
		resp, _ := p.Do("GET", "/api/alerts", viewer, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	_, err = exec.Command(vigilBin, "keys", "revoke", "ci", "--store", dsn).Output()
	require.NoError(t, err)
	for _, p := range procs {
		resp, _ := p.Do("GET", "/api/alerts", viewer, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "revoked on every replica at once")
	}

	// A console session opened on one replica is accepted by another.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, procs[0].URL+"/ui/login",
		strings.NewReader("key="+key))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cookies := resp.Cookies()
	require.Len(t, cookies, 1)
	for _, p := range procs[1:] {
		r, body := p.Do("GET", "/ui/session", "", nil, "Cookie", cookies[0].Name+"="+cookies[0].Value)
		assert.Equal(t, http.StatusOK, r.StatusCode, string(body))
		assert.Contains(t, string(body), `"name":"admin"`)
	}
}
