// Package redact holds Vigil's one set of redaction rules, shared by every
// place that writes outside input or errors somewhere a person or another
// system reads them: readiness evidence, and log records on stderr and over
// OTLP.
//
// # Rules
//
//   - key=value and key: value pairs whose key names a password, secret,
//     token, API key, authorization or private key keep the key and lose
//     the value: "token=abc" becomes "token=[redacted]";
//   - AWS access key IDs (AKIA…) lose their last 16 characters;
//   - a URL's userinfo password is masked: postgres://u:[redacted]@host.
//
// [String] applies them to a string; [Handler] applies them to every
// record a [log/slog] handler receives: the message, every string, error
// and Stringer attribute value, and, for an attribute whose key itself
// names a secret ([Key]), the whole value.
package redact
