package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// errNoSchema: search_path names no schema Vigil could create its tables
// in.
var errNoSchema = errors.New("no schema to create the tables in")

// migrationSchema names the schema the migrations write to, before the
// lock is taken: current_schema(), or, when the first schema of the
// search_path does not exist yet (current_schema() is NULL), that schema.
func migrationSchema(ctx context.Context, tx pgx.Tx) (schema string, exists bool, err error) {
	var cur *string
	var path string
	if err := tx.QueryRow(ctx, `SELECT current_schema(), current_setting('search_path')`).Scan(&cur, &path); err != nil {
		return "", false, fmt.Errorf("migrate: read search_path: %w", err)
	}
	if cur != nil {
		return *cur, true, nil
	}
	s, ok := firstSchema(path)
	if !ok {
		return "", false, fmt.Errorf("migrate: %w: search_path %q names none (set search_path=SCHEMA in the DSN)", errNoSchema, path)
	}
	return s, false, nil
}

// ensureSchema creates the search_path's missing first schema; the caller
// holds the migration lock, so replicas starting together create it once.
func ensureSchema(ctx context.Context, tx pgx.Tx, schema string) error {
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("migrate: schema %q named by search_path does not exist and could not be created "+
			"(create it, or grant CREATE on the database): %w", schema, err)
	}
	var cur *string
	if err := tx.QueryRow(ctx, `SELECT current_schema()`).Scan(&cur); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cur == nil || *cur != schema {
		return fmt.Errorf("migrate: %w: created schema %q but search_path does not select it", errNoSchema, schema)
	}
	return nil
}

// firstSchema returns the first schema a search_path setting names, as
// PostgreSQL reads identifiers: unquoted ones fold to lower case, quoted
// ones keep their case with "" for a quote. "$user" is skipped: it stands
// for a schema named after the role, which Vigil does not create.
func firstSchema(path string) (string, bool) {
	rest := path
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			return "", false
		}
		var name string
		quoted := rest[0] == '"'
		if quoted {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				if rest[i] == '"' {
					if i+1 < len(rest) && rest[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return "", false // unterminated quote
			}
			name, rest = b.String(), rest[i+1:]
			rest = strings.TrimLeft(rest, " \t\r\n")
			if rest != "" && rest[0] != ',' {
				return "", false
			}
		} else {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			name, rest = strings.ToLower(strings.TrimSpace(rest[:end])), rest[end:]
			if strings.ContainsAny(name, " \t\"") {
				return "", false
			}
		}
		rest = strings.TrimPrefix(rest, ",")
		if name != "" && name != "$user" && !strings.ContainsRune(name, 0) {
			return name, true
		}
	}
}
