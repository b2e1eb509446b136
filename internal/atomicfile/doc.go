// Package atomicfile writes files so that a crash leaves either the old
// content or the new, never a torn file: a temporary file in the same
// directory, fsynced, renamed over the target, and then the directory
// fsynced so that the rename itself is durable.
package atomicfile
