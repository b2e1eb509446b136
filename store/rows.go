package store

import "fmt"

// scanner is a row to scan: *sql.Row, *sql.Rows, pgx.Row, pgx.Rows.
type scanner interface{ Scan(dest ...any) error }

// rowSet is a query's rows in either backend: *sql.Rows or pgx.Rows.
type rowSet interface {
	scanner
	Next() bool
	Err() error
}

// scanRows is the one row loop of both backends: it takes a query's rows
// and error, scans every row with scan and closes the rows. The result is
// never nil; errors are prefixed with what ("list alerts: ...").
func scanRows[T any, R rowSet](what string, rows R, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer closeRows(rows)
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// closeRows closes database/sql's rows (Close() error) or pgx's (Close()).
func closeRows(rows any) {
	switch r := rows.(type) {
	case interface{ Close() error }:
		_ = r.Close()
	case interface{ Close() }:
		r.Close()
	}
}

// appliedVersions reads the versions of schema_migrations (a query's rows
// and error) into a set.
func appliedVersions[R rowSet](rows R, err error) (map[int]bool, error) {
	versions, err := scanRows("migrate", rows, err, func(sc scanner) (v int, err error) { return v, sc.Scan(&v) })
	if err != nil {
		return nil, err
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}
