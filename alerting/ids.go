package alerting

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Fingerprint is a stable hash of a label set.
func Fingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// alertID is an incident's ID, unique by construction: its source (rule
// alerts have none, Alertmanager's are prefixed "am-"), its full
// fingerprint and its start in microseconds (the store's precision), in
// hex. The store also refuses a second row with the same source,
// fingerprint and start. Rule fingerprints are hex, webhook fingerprints
// URL-safe (ParseWebhook), so the ID is a URL path segment as it is.
func alertID(source, fp string, start time.Time) string {
	id := fp + "-" + strconv.FormatInt(store.Truncate(start).UnixMicro(), 16)
	if source == store.SourceAlertmanager {
		return "am-" + id
	}
	return id
}
