package alerting

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/store"
)

// Event is one alert state change, as published to subscribers.
type Event struct {
	Alert store.Alert      `json:"alert"`
	Event store.AlertEvent `json:"event"`
}

// subscriberBuffer is how many events a subscriber may lag behind before
// events to it are dropped.
const subscriberBuffer = 64

// Publisher hands alert events to subscribers (the WebSocket stream). It
// never blocks a publisher: events to a subscriber whose buffer is full
// are dropped and counted (MetricSubscriberDrops).
type Publisher struct {
	mu      sync.Mutex
	subs    map[int]chan Event
	nextID  int
	dropped metric.Int64Counter
}

// EventPublisher is what the parts that change alerts need of a Publisher.
type EventPublisher interface {
	Publish(ev Event)
}

var _ EventPublisher = (*Publisher)(nil)

// NewPublisher returns a publisher counting drops with mp (nil: no-op).
func NewPublisher(mp metric.MeterProvider) (*Publisher, error) {
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	dropped, err := mp.Meter(meterName).Int64Counter(MetricSubscriberDrops, metric.WithUnit("{event}"),
		metric.WithDescription("Alert events dropped because a subscriber was slow."))
	if err != nil {
		return nil, err
	}
	return &Publisher{subs: map[int]chan Event{}, dropped: dropped}, nil
}

// Subscribe returns a channel of alert events and a function that ends the
// subscription and closes the channel.
func (p *Publisher) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	p.mu.Lock()
	id := p.nextID
	p.nextID++
	p.subs[id] = ch
	p.mu.Unlock()
	cancel := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if c, ok := p.subs[id]; ok {
			delete(p.subs, id)
			close(c)
		}
	}
	return ch, cancel
}

// Publish hands ev to every subscriber.
func (p *Publisher) Publish(ev Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ch := range p.subs {
		select {
		case ch <- ev:
		default:
			p.dropped.Add(context.Background(), 1)
		}
	}
}

// publishAll publishes the events a write stored for a; pub may be nil.
func publishAll(pub EventPublisher, a store.Alert, evs []store.AlertEvent) {
	if pub == nil {
		return
	}
	for _, ev := range evs {
		pub.Publish(Event{Alert: a, Event: ev})
	}
}

// stamp fills what history events take from their alert and the instant
// of the change: the time (at the store's precision) and, when unset, the
// alert's value.
func stamp(a *store.Alert, now time.Time, evs ...store.AlertEvent) []store.AlertEvent {
	for i := range evs {
		if evs[i].Time.IsZero() {
			evs[i].Time = store.Truncate(now)
		}
		if evs[i].Value == 0 {
			evs[i].Value = a.Value
		}
	}
	return evs
}

// PublishAlertEvent publishes an event already stored for a (the silences
// component's Publisher).
func (p *Publisher) PublishAlertEvent(a store.Alert, ev store.AlertEvent) {
	p.Publish(Event{Alert: a, Event: ev})
}
