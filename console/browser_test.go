package console_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// TestBrowserConsole walks the console in headless Chromium as an on-call
// engineer would: first-run key, login with the keyboard, an alert firing
// into the page over the stream without a reload, acknowledge with the
// keyboard, silence another from its labels, the silences list and expiry,
// an alert's history and links, the live overview, the keyboard-only path,
// an accessibility pass on each screen, and a viewer who sees but cannot act.
func TestBrowserConsole(t *testing.T) {
	b := newBrowser(t)
	env := startConsoleEnv(t)
	url := env.p.URL

	// The login page.
	b.do("open /ui", chromedp.Navigate(url+"/ui"), chromedp.WaitVisible(chromedp.ID("key")))
	b.shot("login")
	b.audit("login", false)
	b.keys("a wrong key", "wrong-key-0123456789", kb.Enter)
	b.wait("the login page says why", `document.querySelector('#login-error') !== null`, 10*time.Second)
	assert.Contains(t, eval[string](b, `document.querySelector('#login-error').textContent`), "not valid")
	assert.Equal(t, "true", eval[string](b, `document.querySelector('#key').getAttribute('aria-invalid')`))
	b.audit("login error", false)

	b.login(url, env.adminKey)
	b.wait("the stream is live", `document.querySelector('#conn').dataset.state === 'live'`, 30*time.Second)
	assert.Equal(t, "admin (admin)", eval[string](b, `document.querySelector('#who').textContent`))
	b.shot("alerts-empty")
	b.audit("alerts, empty", true)

	// The page's own modules answer correctly in the browser.
	checks := eval[[]string](b, `(async () => {
		const m = await import('/ui/assets/matchers.js');
		const f = await import('/ui/assets/format.js');
		const bad = [];
		const a = {rule: 'HighErrorRate', severity: 'critical', state: 'firing', labels: {alertname: 'HighErrorRate', route: '/api/chat'}, annotations: {summary: 'chat is failing'}};
		const ok = (q, want) => { if (m.filterAlert(m.parseFilter(q), a) !== want) bad.push('filter ' + q); };
		ok('severity=critical route=~/api/.*', true); ok('route!=/api/chat', false); ok('team=~.+', false);
		ok('team=~.*', true); ok('"chat is"', true); ok('alertname=HighErrorRate failing', true); ok('nothere', false);
		if (m.silenceState({status: {state: 'pending'}, startsAt: '2000-01-01T00:00:00Z', endsAt: '2000-01-02T00:00:00Z'}) !== 'pending') bad.push('server status wins');
		if (m.silenceState({startsAt: '2000-01-01T00:00:00Z', endsAt: '2000-01-02T00:00:00Z'}) !== 'expired') bad.push('expired from endsAt');
		if (m.silenceState({startsAt: '2999-01-01T00:00:00Z', endsAt: '2999-01-02T00:00:00Z'}) !== 'pending') bad.push('pending from startsAt');
		if (m.displayState({state: 'firing', acknowledged_at: 'x'}) !== 'acknowledged') bad.push('acknowledged');
		if (m.displayState({state: 'firing', silenced: true, acknowledged_at: 'x'}) !== 'silenced') bad.push('silenced wins');
		if (f.ago(Date.now() - 200 * 60000) !== '3h 20m ago') bad.push('ago ' + f.ago(Date.now() - 200 * 60000));
		if (f.span(86400 * 2 + 5) !== '2d') bad.push('span');
		if (f.ratio(0.0512) !== '5.1%') bad.push('ratio');
		if (f.seconds(0.2345) !== '235 ms') bad.push('seconds');
		return bad;
	})()`)
	assert.Empty(t, checks, "console modules")

	// A firing alert appears without a reload.
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__vigilNoReload = 'still here'`))
	for range 20 {
		resp, _ := env.p.Do("GET", "/api/users/1", "", nil, "X-Demo-Fault", "error")
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	}
	b.wait("HighErrorRate fires into the page", `[...document.querySelectorAll('#alert-list li.alert')].some(li =>
		li.dataset.state === 'firing' && li.dataset.source === 'stream' && li.textContent.includes('HighErrorRate'))`, 30*time.Second)
	assert.Equal(t, "still here", eval[string](b, `window.__vigilNoReload`), "the page was not reloaded")
	assert.Equal(t, 1, eval[int](b, `performance.getEntriesByType('navigation').length`))
	b.wait("the count in the navigation follows", `document.querySelector('#count-active').textContent === '1'`, 10*time.Second)
	b.shot("alert-firing")
	b.audit("alerts, firing", true)

	// Acknowledge with the keyboard: j selects, a opens the dialog with the
	// comment focused, Tab reaches the button, Space presses it.
	b.do("focus the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	b.keys("select the first alert", "j")
	assert.Equal(t, "name", b.active(), "j focuses the alert's name")
	b.keys("open the acknowledge dialog", "a")
	b.wait("the dialog opens", `document.querySelector('#dlg-action').open`, 10*time.Second)
	assert.Equal(t, "action-comment", b.active())
	assert.Contains(t, eval[string](b, `document.querySelector('#dlg-action-title').textContent`), "Acknowledge HighErrorRate")
	b.keys("write a comment", "looking into it")
	b.shot("acknowledge-dialog")
	b.audit("acknowledge dialog", true)
	b.keys("tab to the button", kb.Tab)
	assert.Equal(t, "action-submit", b.active())
	b.keys("press it with Space", " ")
	b.wait("the alert shows as acknowledged", `[...document.querySelectorAll('#alert-list li.alert')].some(li =>
		li.dataset.state === 'acknowledged' && li.textContent.includes('acknowledged by admin'))`, 20*time.Second)
	acked := env.find(t, "HighErrorRate")
	require.NotNil(t, acked.AcknowledgedAt)
	assert.Equal(t, "admin", acked.AcknowledgedBy)
	assert.Equal(t, "looking into it", acked.AckComment)
	assert.False(t, eval[bool](b, `document.querySelector('#dlg-action').open`))

	// A second alert, silenced from its labels with the mouse.
	for range 8 {
		resp, _ := env.p.Do("GET", "/api/users/2", "", nil, "X-Demo-Delay", "300ms")
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	b.wait("HighLatencyP95 fires into the page", `[...document.querySelectorAll('#alert-list li.alert')].some(li =>
		li.dataset.state === 'firing' && li.dataset.source === 'stream' && li.textContent.includes('HighLatencyP95'))`, 30*time.Second)
	b.do("open the silence dialog", chromedp.Click(chromedp.CSS(`button[aria-label="Silence HighLatencyP95"]`)),
		chromedp.WaitVisible(chromedp.ID("silence-comment")))
	slow := env.find(t, "HighLatencyP95")
	rows := eval[int](b, `document.querySelectorAll('#matchers li').length`)
	assert.Equal(t, len(slow.Labels), rows, "one matcher per label")
	assert.Contains(t, eval[string](b, `document.querySelector('#silence-preview').textContent`), "Matches 1 of 2 active alerts")
	b.do("comment", chromedp.SendKeys(chromedp.ID("silence-comment"), "deploying a fix"))
	b.shot("silence-dialog")
	b.audit("silence dialog", true)
	b.do("create the silence", chromedp.Click(chromedp.ID("silence-submit")))
	b.wait("the dialog closes", `!document.querySelector('#dlg-silence').open`, 20*time.Second)
	b.wait("the alert shows as silenced", `[...document.querySelectorAll('#alert-list li.alert')].some(li =>
		li.dataset.state === 'silenced' && li.textContent.includes('HighLatencyP95'))`, 30*time.Second)
	resp, body := env.p.Do("GET", "/api/silences", env.adminKey, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var sl server.SilenceList
	require.NoError(t, json.Unmarshal(body, &sl))
	require.Len(t, sl.Silences, 1)
	assert.Contains(t, sl.Silences[0].Matchers, store.Matcher{Name: "alertname", Value: "HighLatencyP95", IsEqual: true})
	assert.Equal(t, "admin", sl.Silences[0].CreatedBy)
	assert.Equal(t, "deploying a fix", sl.Silences[0].Comment)
	assert.InDelta(t, 2*time.Hour, sl.Silences[0].EndsAt.Sub(sl.Silences[0].StartsAt), float64(time.Minute))
	b.shot("alert-silenced")

	// The silences list, and expiring one.
	b.keys("go to the silences", "2")
	b.wait("the silence is listed as active", `document.querySelector('#silences tbody tr[data-state="active"]') !== null`, 10*time.Second)
	assert.Contains(t, eval[string](b, `document.querySelector('#silences tbody').textContent`), `alertname="HighLatencyP95"`)
	b.shot("silences")
	b.audit("silences", true)
	b.do("expire it", chromedp.Click(chromedp.CSS(`#silences tbody button[data-id]`)))
	b.wait("it leaves the list", `document.querySelector('#silences tbody tr') === null`, 10*time.Second)
	b.do("show expired silences", chromedp.Click(chromedp.ID("show-silence-expired")))
	b.wait("it is listed as expired", `document.querySelector('#silences tbody tr[data-state="expired"]') !== null`, 10*time.Second)
	_, body = env.p.Do("GET", "/api/silences/"+sl.Silences[0].ID, env.adminKey, nil)
	var got silence.Silence
	require.NoError(t, json.Unmarshal(body, &got))
	require.Equal(t, sl.Silences[0].ID, got.ID)
	assert.False(t, got.EndsAt.After(time.Now()), "expired")

	// The live overview.
	b.keys("go to the overview", "3")
	b.wait("routes are drawn from the stream", `document.querySelector('#routes tbody tr[data-route="/api/users/:id"]') !== null &&
		document.querySelectorAll('#cards polyline').length > 0`, 30*time.Second)
	assert.Contains(t, eval[string](b, `document.querySelector('#card-errors .value').textContent`), "%")
	assert.Equal(t, "http://127.0.0.1:3000/d/vigil-endpoint?var-route=%2Fapi%2Fusers%2F%3Aid",
		eval[string](b, `document.querySelector('#routes tbody tr a').getAttribute('href')`))
	b.shot("overview")
	b.audit("overview", true)

	// An alert's page: history and links, opened with Enter.
	b.keys("back to the alerts", "1")
	// The view switch focuses its heading when the hashchange is handled:
	// wait for that, or it takes the focus given next away.
	b.wait("the alerts view is back", `!document.getElementById('view-alerts').hidden &&
		document.activeElement === document.getElementById('h-alerts')`, 10*time.Second)
	b.do("focus HighErrorRate", chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('#alert-list li.alert')]
		.find(li => li.textContent.includes('HighErrorRate')).querySelector('[data-focus="name"]').focus()`))
	b.keys("open it with Enter", kb.Enter)
	b.wait("its history lists the acknowledgement", `location.hash.startsWith('#/alerts/') &&
		[...document.querySelectorAll('#history tbody td')].some(td => td.textContent === 'acknowledged')`, 10*time.Second)
	assert.Equal(t, "http://127.0.0.1:16686/trace/"+acked.TraceID,
		eval[string](b, `[...document.querySelectorAll('#alert-detail a')].find(a => a.textContent.startsWith('Jaeger')).getAttribute('href')`))
	assert.Contains(t, eval[string](b, `document.querySelector('#history tbody').textContent`), "looking into it")
	detail := eval[string](b, `document.querySelector('#alert-detail').textContent`)
	assert.NotContains(t, detail, "[object", "every value is rendered as text")
	assert.Contains(t, detail, "looking into it", "the acknowledgement's comment")
	assert.Contains(t, detail, acked.Fingerprint)
	b.shot("alert-history")
	b.audit("alert page", true)

	// Resolve from the alert's page with a comment.
	b.do("resolve", chromedp.Click(chromedp.CSS(`#alert-detail button[data-action="resolve"]`)),
		chromedp.WaitVisible(chromedp.ID("action-comment")),
		chromedp.SendKeys(chromedp.ID("action-comment"), "fixed by rollback"),
		chromedp.Click(chromedp.ID("action-submit")))
	b.wait("the page shows it resolved", `document.querySelector('#alert-detail .st-resolved') !== null`, 20*time.Second)
	resolved, body := env.p.Do("GET", "/api/alerts/"+acked.ID, env.adminKey, nil)
	require.Equal(t, http.StatusOK, resolved.StatusCode)
	var ra store.Alert
	require.NoError(t, json.Unmarshal(body, &ra))
	assert.Equal(t, store.StateResolved, ra.State)
	assert.Equal(t, "admin", ra.ResolvedBy)

	// The keyboard-only path: from the top, Tab reaches the skip link, the
	// navigation, the logout button, the filter, the state checkboxes and
	// the alerts in that order, each with a visible focus ring; Space
	// toggles a checkbox; Enter follows a link.
	b.do("load the console afresh", chromedp.Navigate(url+"/ui"))
	b.wait("ready", `document.body.dataset.ready === 'true' && document.querySelector('#alert-list li.alert') !== null`, 30*time.Second)
	var order []string
	for range 14 {
		b.keys("tab", kb.Tab)
		order = append(order, b.active())
		ring := eval[string](b, `(() => { const e = document.activeElement; const cs = getComputedStyle(e);
			return (e.matches(':focus-visible') ? 'visible' : 'hidden') + ' ' + cs.outlineStyle + ' ' + cs.outlineWidth; })()`)
		assert.Regexp(t, `^visible solid [2-9]`, ring, "focus ring on %s", order[len(order)-1])
	}
	t.Logf("tab order: %q", order)
	want := []string{"Skip to content", "nav-alerts", "nav-silences", "nav-overview", "logout", "filter",
		"show-firing", "show-pending", "show-acknowledged", "show-silenced", "show-resolved"}
	assert.Equal(t, want, order[:len(want)])
	assert.Equal(t, "name", order[len(want)], "then the first alert")
	b.do("focus the resolved checkbox", chromedp.Focus(chromedp.ID("show-resolved")))
	b.keys("Space toggles it", " ")
	assert.True(t, eval[bool](b, `document.querySelector('#show-resolved').checked`))
	b.wait("resolved alerts are shown", `document.querySelector('#alert-list li[data-state="resolved"]') !== null`, 10*time.Second)
	b.keys("? opens the shortcuts", "?")
	b.wait("the help dialog opens", `document.querySelector('#dlg-help').open`, 5*time.Second)
	b.audit("shortcuts", true)
	b.keys("Escape closes it", kb.Escape)
	b.wait("the help dialog closes", `!document.querySelector('#dlg-help').open`, 5*time.Second)
	b.keys("slash focuses the filter", "/")
	assert.Equal(t, "filter", b.active())
	b.keys("filter by text", "HighLatency")
	b.wait("only HighLatencyP95 is left", `[...document.querySelectorAll('#alert-list li.alert')].every(li => li.textContent.includes('HighLatencyP95'))`, 5*time.Second)

	// A viewer sees but cannot act; the API refuses anyway.
	b.do("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("key")))
	b.login(url, env.viewerKey)
	b.wait("alerts are listed", `document.querySelector('#alert-list li.alert') !== null`, 20*time.Second)
	assert.Equal(t, "dash (viewer)", eval[string](b, `document.querySelector('#who').textContent`))
	assert.Zero(t, eval[int](b, `document.querySelectorAll('button[data-action]').length`), "no action buttons for a viewer")
	assert.False(t, eval[bool](b, `document.querySelector('#readonly').hidden`), "the read-only banner")
	assert.True(t, eval[bool](b, `document.querySelector('#new-silence').hidden`))
	status := eval[int](b, fmt.Sprintf(`fetch('/api/alerts/%s/acknowledge', {method: 'POST', headers: {'Content-Type': 'application/json'},
		body: JSON.stringify({by: 'dash', comment: 'sneaky'})}).then(r => r.status)`, slow.ID))
	assert.Equal(t, http.StatusForbidden, status, "the API refuses a viewer's session")
	b.shot("viewer")
	b.audit("viewer", true)

	// The audit itself must be able to fail.
	findings := eval[[]string](b, fmt.Sprintf(`(() => { %s;
		const probe = document.createElement('div');
		const p = document.createElement('p'); p.textContent = 'faint text'; p.style.color = '#bbbbbb';
		const i = document.createElement('input');
		probe.append(p, i); document.querySelector('main').append(probe);
		const out = window.vigilAudit(probe, {}); probe.remove(); return out; })()`, auditJS))
	require.Len(t, findings, 2, "%q", findings)
	assert.Contains(t, findings[0]+findings[1], "without an accessible name")
	assert.Contains(t, findings[0]+findings[1], "contrast")

	// The pages kept their CSP: no violation, no exception, and an inline
	// script is refused.
	assert.Empty(t, b.problems(), "browser console:\n%s", b.console())
	blocked := eval[string](b, `(() => {
		const s = document.createElement('script');
		try { s.textContent = 'window.__ran = true'; } catch (e) { return 'refused: ' + e.message; }
		document.body.append(s);
		return window.__ran ? 'ran' : 'not run'; })()`)
	assert.Contains(t, blocked, "refused: ", "Trusted Types (require-trusted-types-for) refuse an inline script")
	assert.False(t, eval[bool](b, `window.__ran === true`))
}
