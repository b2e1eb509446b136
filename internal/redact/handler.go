package redact

import (
	"context"
	"fmt"
	"log/slog"
)

// Handler returns a handler that applies the redaction rules to every
// record, and every attribute given to WithAttrs, before next sees it.
func Handler(next slog.Handler) slog.Handler {
	if h, ok := next.(*handler); ok {
		return h // already redacting
	}
	return &handler{next: next}
}

type handler struct{ next slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(Attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = Attr(a)
	}
	return &handler{next: h.next.WithAttrs(red)}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{next: h.next.WithGroup(name)}
}

// Attr returns a with the redaction rules applied: the whole value when
// the key names a secret, else every string inside it (groups included;
// errors, Stringers and LogValuers are resolved to their text first).
func Attr(a slog.Attr) slog.Attr {
	if Key(a.Key) {
		return slog.String(a.Key, Placeholder)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, String(v.String()))
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, ga := range g {
			red[i] = Attr(ga)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, String(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, String(x.String()))
		case []byte:
			return slog.String(a.Key, String(string(x)))
		}
		// Structs, maps, slices: masked as text only when they hold a
		// secret, so that JSON output keeps their shape otherwise.
		if s := fmt.Sprintf("%+v", v.Any()); String(s) != s {
			return slog.String(a.Key, String(s))
		}
		return slog.Attr{Key: a.Key, Value: v}
	default:
		return slog.Attr{Key: a.Key, Value: v}
	}
}
