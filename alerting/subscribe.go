package alerting

import "context"

// subscriberBuffer is how many events a subscriber may lag behind before
// events to it are dropped.
const subscriberBuffer = 64

// Subscribe returns a channel of alert events and a function that ends the
// subscription and closes the channel. Delivery never blocks the engine:
// events to a subscriber whose buffer is full are dropped and counted.
func (e *Engine) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	e.mu.Lock()
	id := e.nextID
	e.nextID++
	e.subs[id] = ch
	e.mu.Unlock()
	cancel := func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if c, ok := e.subs[id]; ok {
			delete(e.subs, id)
			close(c)
		}
	}
	return ch, cancel
}

func (e *Engine) publish(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ch := range e.subs {
		select {
		case ch <- ev:
		default:
			e.metrics.dropped.Add(context.Background(), 1)
		}
	}
}
