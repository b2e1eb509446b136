// Package silence keeps Vigil's silences: label matchers that mute
// notifications for a while, as Alertmanager's silences do.
//
// [Silences] is one component over a small store interface ([Store]). It
// creates, lists (with each silence's state: pending, active or expired),
// and expires silences; as the evaluator's Silencer it marks a cycle's
// active alerts silenced or unsilenced ([Silences.Apply]); as the
// notification pipeline's Muter it says whether an alert is muted
// ([Silences.Mutes]).
//
// # Cost
//
// A silence is bounded ([MaxMatchers] matchers, values of at most
// [MaxValueLength] bytes) and its matchers are compiled once, the first
// time it is read. Whether an alert is silenced is remembered per alert
// until the set of active silences changes, so a cycle costs one read of
// the silences and a map lookup per alert however the silences are
// written; only a change of the active set re-matches the alerts.
//
//	sil, err := silence.New(silence.Config{Store: st, Publisher: publisher})
//	created, err := sil.Create(ctx, store.Silence{Matchers: ..., EndsAt: ...})
//	err = sil.Apply(ctx, active, now) // each evaluation cycle
package silence
