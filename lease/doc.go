// Package lease elects one leader among replicas that share a store: the
// replica holding a named lease evaluates alerts and sends notifications,
// the others stand by and take over when it stops renewing.
//
// The lease lives in the store (store.Store's AcquireLease and
// ReleaseLease, by the database's clock, so replicas with skewed clocks
// agree). A Leader renews it every fifth of an interval and trusts each
// renewal for one interval, half an interval less than the store grants:
// two replicas never both believe they lead, a dead leader is replaced
// within two intervals, and a clean shutdown hands over within a third of
// one.
//
// # Usage
//
//	l, err := lease.New(lease.Config{Store: st, Interval: 5 * time.Second})
//	go l.Run(ctx)
//	engine := alerting.New(cfg, alerting.Deps{IsLeader: l.IsLeader, ...})
package lease
