package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/store"
)

const keysUsage = `Usage: vigil keys COMMAND [flags]

Commands:
  list                       the keys: stored ones (vigil keys, first run) and, with --config, configured ones
  create NAME --role ROLE    a new random key of role admin, viewer or client, printed once on stdout
  revoke NAME                revoke a stored key and end its console sessions

Keys live in the same store as vigil serve's: give the same --data-dir or --store.
Only SHA-256 hashes are stored; a key is shown once, when it is created.
`

// keyFlags are the flags every keys command takes.
type keyFlags struct {
	opts       Options
	configPath string
	role       string
	asJSON     bool
}

func keysMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, keysUsage)
			return ExitUsage
		}
		fmt.Fprint(stdout, keysUsage)
		return ExitOK
	}
	sub, rest := args[0], args[1:]
	opts, err := DefaultOptions()
	if err != nil {
		fmt.Fprintf(stderr, "vigil keys: %v\n", err)
		return ExitUsage
	}
	kf := keyFlags{opts: opts}
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.StringVar(&kf.opts.DataDir, "data-dir", kf.opts.DataDir, "directory of the embedded SQLite store, as for vigil serve (env VIGIL_DATA_DIR)")
	fs.StringVar(&kf.opts.Store, "store", kf.opts.Store, "postgres://... store shared by replicas, as for vigil serve (env VIGIL_STORE)")
	var synopsis string
	switch sub {
	case "list":
		synopsis = "vigil keys list [--data-dir DIR | --store DSN] [--config FILE] [--json]"
		fs.StringVar(&kf.configPath, "config", envOr("VIGIL_CONFIG", ""), "also list the keys of this config file and VIGIL_ADMIN_TOKEN (env VIGIL_CONFIG)")
		fs.BoolVar(&kf.asJSON, "json", false, "print JSON")
	case "create":
		synopsis = "vigil keys create NAME --role admin|viewer|client [--data-dir DIR | --store DSN]"
		fs.StringVar(&kf.role, "role", "", "role of the key: admin, viewer or client (required)")
	case "revoke":
		synopsis = "vigil keys revoke NAME [--data-dir DIR | --store DSN]"
	default:
		fmt.Fprintf(stderr, "vigil keys: unknown command %q (want list, create or revoke)\n", sub)
		return ExitUsage
	}
	fs.Usage = usageFunc(fs, synopsis)
	names, done, code := parseInterspersed(fs, rest, stdout, stderr)
	if done {
		return code
	}
	want := map[string]int{"list": 0, "create": 1, "revoke": 1}[sub]
	if len(names) != want {
		if want == 0 {
			fmt.Fprintf(stderr, "vigil keys %s: unexpected argument %q (see vigil keys %s --help)\n", sub, names[0], sub)
		} else {
			fmt.Fprintf(stderr, "vigil keys %s: give exactly one key name (see vigil keys %s --help)\n", sub, sub)
		}
		return ExitUsage
	}
	switch sub {
	case "list":
		err = keysList(ctx, kf, stdout)
	case "create":
		err = keysCreate(ctx, kf, names[0], stdout, stderr)
	case "revoke":
		err = keysRevoke(ctx, kf, names[0], stdout)
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "vigil keys %s: %s\n", sub, ue.msg)
		return ExitUsage
	case err != nil:
		fmt.Fprintf(stderr, "vigil keys %s: %s\n", sub, oneLine(err))
		return ExitError
	}
	return ExitOK
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// parseInterspersed parses flags anywhere among the arguments (vigil keys
// create ci --role viewer) and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, bool, int) {
	var pos []string
	for {
		fs.SetOutput(io.Discard)
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, true, ExitOK
		case err != nil:
			fmt.Fprintf(stderr, "vigil %s: %v (see vigil %s --help)\n", fs.Name(), err, fs.Name())
			return nil, true, ExitUsage
		}
		if fs.NArg() == 0 {
			return pos, false, ExitOK
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openKeyStore opens serve's store; with must false a missing SQLite file
// is an error rather than a new, empty store.
func openKeyStore(ctx context.Context, opts Options, create bool) (store.Store, error) {
	if opts.Store == "" {
		path := filepath.Join(opts.DataDir, "vigil.db")
		if _, err := os.Stat(path); err != nil && !create {
			return nil, fmt.Errorf("no store at %s: give the --data-dir (or --store) of vigil serve", path)
		}
		if err := ensureDataDir(opts.DataDir); err != nil {
			return nil, err
		}
	}
	st, err := openStore(ctx, opts, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

// keyRow is one key as vigil keys list shows it.
type keyRow struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Source    string     `json:"source"` // store, config or env
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func keysList(ctx context.Context, kf keyFlags, stdout io.Writer) error {
	var rows []keyRow
	if kf.configPath != "" {
		cfg, err := LoadConfig(kf.configPath)
		if err != nil {
			return err
		}
		for _, k := range cfg.Auth.Keys {
			rows = append(rows, keyRow{Name: k.Name, Role: string(k.Role), Source: "config"})
		}
	}
	if v, ok := os.LookupEnv(security.EnvAdminToken); ok && v != "" {
		rows = append(rows, keyRow{Name: security.AdminKeyName, Role: string(security.RoleAdmin), Source: "env " + security.EnvAdminToken})
	}
	st, err := openKeyStore(ctx, kf.opts, false)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := st.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		rows = append(rows, keyRow{Name: k.Name, Role: k.Role, Source: "store", CreatedBy: k.CreatedBy, CreatedAt: &k.CreatedAt, RevokedAt: k.RevokedAt})
	}
	if kf.asJSON {
		if rows == nil {
			rows = []keyRow{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(stdout, "no keys: vigil serve creates an admin key on its first run; vigil keys create makes one")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSOURCE\tCREATED\tSTATUS")
	for _, r := range rows {
		created, status := "-", "active"
		if r.CreatedAt != nil {
			created = r.CreatedAt.Local().Format(time.DateTime)
			if r.CreatedBy != "" {
				created += " (" + r.CreatedBy + ")"
			}
		}
		if r.RevokedAt != nil {
			status = "revoked " + r.RevokedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Role, r.Source, created, status)
	}
	return tw.Flush()
}

func keysCreate(ctx context.Context, kf keyFlags, name string, stdout, stderr io.Writer) error {
	if !security.ValidKeyName(name) {
		return usageError{fmt.Sprintf("key name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)}
	}
	role := security.Role(kf.role)
	if !role.Valid() {
		return usageError{fmt.Sprintf("--role %q: want admin, viewer or client", kf.role)}
	}
	key, err := security.GenerateKey()
	if err != nil {
		return err
	}
	st, err := openKeyStore(ctx, kf.opts, true)
	if err != nil {
		return err
	}
	defer st.Close()
	err = st.CreateAPIKey(ctx, store.APIKey{Name: name, Role: string(role), Hash: security.HashKey(key), CreatedBy: "vigil keys"})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("an active key is already named %q: revoke it first or choose another name", name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key)
	fmt.Fprintf(stderr, "vigil keys: created key %q (role %s); it is shown only this once and stored as a hash\n", name, role)
	return nil
}

func keysRevoke(ctx context.Context, kf keyFlags, name string, stdout io.Writer) error {
	st, err := openKeyStore(ctx, kf.opts, false)
	if err != nil {
		return err
	}
	defer st.Close()
	k, err := st.RevokeAPIKey(ctx, name, time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no active key named %q in the store (keys of the config file and %s are removed there)", name, security.EnvAdminToken)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked key %q (role %s) and ended its console sessions\n", k.Name, k.Role)
	return nil
}
