package store

import (
	"bytes"
	"encoding/json"
	"time"
)

// Alert states. An acknowledged or silenced alert keeps State "firing"; those
// are shown through AcknowledgedAt and Silenced.
const (
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Alert sources.
const (
	SourceRule         = "rule"         // evaluated in-process by alerting
	SourceAlertmanager = "alertmanager" // ingested from an Alertmanager webhook
)

// Alert is one incident of an alerting rule: it starts pending (or firing)
// and ends resolved. A new incident of the same labels gets a new ID and the
// same Fingerprint.
type Alert struct {
	ID           string            `json:"id"`
	Fingerprint  string            `json:"fingerprint"`
	RuleName     string            `json:"rule"`
	Source       string            `json:"source"`
	State        string            `json:"state"`
	Severity     string            `json:"severity"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	Value        float64           `json:"value"`
	TraceID      string            `json:"trace_id,omitempty"`
	GeneratorURL string            `json:"generator_url,omitempty"`

	ActiveAt        time.Time  `json:"active_at"`                   // condition first true (pending since)
	FiredAt         *time.Time `json:"fired_at,omitempty"`          // pending → firing
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`       // firing → resolved
	LastEvalAt      time.Time  `json:"last_eval_at"`                // last evaluation that saw the condition
	KeepFiringSince *time.Time `json:"keep_firing_since,omitempty"` // condition cleared while keep_firing_for holds

	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AckComment     string     `json:"ack_comment,omitempty"`
	ResolvedBy     string     `json:"resolved_by,omitempty"` // set on manual resolve
	Silenced       bool       `json:"silenced"`

	UpdatedAt time.Time `json:"updated_at"`
}

// AlertFilter selects alerts. Zero fields match everything.
type AlertFilter struct {
	State       string // pending|firing|resolved
	Fingerprint string
	ActiveOnly  bool // pending or firing
	Limit       int  // 0 means the store's default (1000)
}

// AlertEvent is one entry of an alert's append-only history.
type AlertEvent struct {
	ID          int64             `json:"id"`
	AlertID     string            `json:"alert_id"`
	Fingerprint string            `json:"fingerprint"`
	Time        time.Time         `json:"time"`
	Kind        string            `json:"kind"` // pending, firing, resolved, acknowledged, silenced, unsilenced, notified, notify_failed
	From        string            `json:"from,omitempty"`
	To          string            `json:"to,omitempty"`
	By          string            `json:"by,omitempty"`
	Comment     string            `json:"comment,omitempty"`
	Value       float64           `json:"value"`
	Details     map[string]string `json:"details,omitempty"`
}

// Matcher is an Alertmanager-style label matcher.
type Matcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// UnmarshalJSON decodes a matcher as Alertmanager's API does: isEqual
// defaults to true when absent; unknown fields are errors.
func (m *Matcher) UnmarshalJSON(b []byte) error {
	var v struct {
		Name    string `json:"name"`
		Value   string `json:"value"`
		IsRegex bool   `json:"isRegex"`
		IsEqual *bool  `json:"isEqual"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	*m = Matcher{Name: v.Name, Value: v.Value, IsRegex: v.IsRegex, IsEqual: v.IsEqual == nil || *v.IsEqual}
	return nil
}

// Silence mutes notifications of the alerts its matchers select while
// StartsAt <= now < EndsAt. Deleting a silence expires it (EndsAt = now).
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []Matcher `json:"matchers"`
	StartsAt  time.Time `json:"startsAt"`
	EndsAt    time.Time `json:"endsAt"`
	CreatedBy string    `json:"createdBy"`
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"createdAt"`
}

// NotificationEntry records what a receiver was last told about a group, so
// a restart (or another replica) neither repeats nor loses a notification.
type NotificationEntry struct {
	Receiver       string    `json:"receiver"`
	GroupKey       string    `json:"group_key"`
	FiringAlerts   []string  `json:"firing_alerts"`   // alert IDs notified as firing
	ResolvedAlerts []string  `json:"resolved_alerts"` // alert IDs notified as resolved
	SentAt         time.Time `json:"sent_at"`
	ExpiresAt      time.Time `json:"expires_at"`

	// A delivery that failed stays owed until it succeeds or its horizon
	// passes (see alerting/notify). OwedSince is zero when nothing is owed.
	OwedFiring  []string  `json:"owed_firing,omitempty"` // alert IDs tried as firing, never delivered
	OwedSince   time.Time `json:"owed_since,omitzero"`   // first failed delivery
	Attempts    int       `json:"attempts,omitempty"`    // failed deliveries since OwedSince
	AttemptedAt time.Time `json:"attempted_at,omitzero"` // the last failed delivery
	LastError   string    `json:"last_error,omitempty"`  // its error
}

// SecurityEvent uses OWASP Logging Vocabulary names in Type
// (authn_login_fail, authz_fail, authz_admin, excess_rate_limit_exceeded,
// input_validation_fail, malicious_excess_404, ...).
type SecurityEvent struct {
	ID      int64     `json:"id"`
	Time    time.Time `json:"time"`
	Type    string    `json:"type"`
	Level   string    `json:"level"` // INFO, WARN, CRITICAL
	Client  string    `json:"client"`
	IP      string    `json:"ip"`
	Method  string    `json:"method"`
	Route   string    `json:"route"`
	TraceID string    `json:"trace_id,omitempty"`
	Detail  string    `json:"detail,omitempty"`
}

// SecurityFilter selects security events, newest first. BeforeID pages
// backwards: only events with ID < BeforeID.
type SecurityFilter struct {
	Type     string
	Since    time.Time
	BeforeID int64
	Limit    int // 0 means 100
}

// UsageRollup counts one client's requests to one route in one hour.
// AddUsage adds the counts to an existing row.
type UsageRollup struct {
	Hour        time.Time `json:"hour"` // truncated to the hour, UTC
	Client      string    `json:"client"`
	Route       string    `json:"route"`
	Method      string    `json:"method"`
	Requests    int64     `json:"requests"`
	Errors      int64     `json:"errors"`
	RateLimited int64     `json:"rate_limited"`
	Tokens      int64     `json:"tokens"`
}

// UsageFilter selects rollups with Since <= Hour < Until.
type UsageFilter struct {
	Since  time.Time
	Until  time.Time
	Client string
}

// Readiness run states.
const (
	RunQueued  = "queued"
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// ReadinessRun is one production-readiness check and, once done, its report.
type ReadinessRun struct {
	ID         string          `json:"id"`
	Target     string          `json:"target"`
	Status     string          `json:"status"`
	Progress   int             `json:"progress"` // checks completed
	Total      int             `json:"total"`
	Score      float64         `json:"score"`
	Grade      string          `json:"grade,omitempty"`
	Error      string          `json:"error,omitempty"`
	Report     json.RawMessage `json:"report,omitempty"`
	CreatedBy  string          `json:"created_by,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}
