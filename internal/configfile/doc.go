// Package configfile decodes Vigil's YAML configuration file strictly and
// reports every problem as one [FieldError] naming its key path from the
// file's root, the way a user reads the file:
//
//	alerting.rules[2].threshold: must be > 0
//	auth.keys[0].role: unknown role "boss" (want admin, viewer or client)
//	server.body_limit: must be an integer
//
// # Decoding
//
// [Decode] checks a YAML node against a Go type before decoding it with
// go.yaml.in/yaml/v3: an unknown key, a key given twice, a list where a
// mapping belongs or a scalar that does not fit its field is a FieldError
// at that key (never a Go type name or a line-numbered library message).
// When the check passes the node is decoded by yaml/v3 itself, so merge
// keys, aliases, nulls and every type's own UnmarshalYAML behave exactly
// as they do there. A type whose UnmarshalYAML decodes its own node calls
// Decode on it, and its errors land under the key that holds it.
//
// # Errors
//
// A section's validation returns FieldErrors relative to the section
// ([Errorf]); [Under] puts them below the section's key; [Invalid] wraps
// them in a package's ErrInvalidConfig sentinel for errors.Is without
// adding its text twice; [Message] renders a tree of them on one line.
package configfile
