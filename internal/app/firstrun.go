package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/store"
)

// FirstRunKeyName names the admin key created on a first run.
const FirstRunKeyName = "admin"

// firstRunKey creates the first-run admin key when nothing else grants
// access: no key in the config file, no VIGIL_ADMIN_TOKEN, and a store
// that has never held a key. It returns the key (to print once) or "" when
// no key was created. Replicas starting together on an empty store create
// one key between them.
func firstRunKey(ctx context.Context, cfg FileConfig, st store.KeyStore) (string, error) {
	if len(cfg.Auth.Keys) > 0 {
		return "", nil
	}
	if v, ok := os.LookupEnv(security.EnvAdminToken); ok && v != "" {
		return "", nil
	}
	key, err := security.GenerateKey()
	if err != nil {
		return "", err
	}
	created, err := st.CreateFirstAPIKey(ctx, store.APIKey{
		Name: FirstRunKeyName, Role: string(security.RoleAdmin), Hash: security.HashKey(key), CreatedBy: "first run",
	})
	if err != nil {
		return "", fmt.Errorf("create the first-run admin key: %w", err)
	}
	if !created {
		return "", nil
	}
	return key, nil
}

// consoleURL is the console's address for a listener: loopback names for
// unspecified addresses.
func consoleURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://localhost:8000/ui"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/ui"
}

// printFirstRunKey writes the key once, on stderr (not through the logger,
// so it never reaches a log pipeline), with the console's address.
func printFirstRunKey(w io.Writer, key string, addr net.Addr, dataDir, storeDSN string) {
	where := "the SQLite store in " + dataDir
	if storeDSN != "" {
		where = "the shared store"
	}
	fmt.Fprintf(w, `
vigil: first run: no API key was configured, so an admin key named %q was created.
vigil: it is shown this once and kept only as a hash (in %s):

    %s

vigil: open the alert console at %s and log in with it.
vigil: manage keys with "vigil keys list | create | revoke" (same --data-dir or --store).

`, FirstRunKeyName, where, key, consoleURL(addr))
}

// firstRun creates the first-run key if one is due and returns what prints
// it once the server listens; it also warns when no admin key exists at
// all.
func firstRun(ctx context.Context, opts Options, cfg FileConfig, st store.Store, logger *slog.Logger) (func(net.Addr), error) {
	key, err := firstRunKey(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	if key == "" {
		if !hasAdminKey(ctx, cfg, st) {
			logger.Warn("no admin key: write endpoints refuse every request; create one with vigil keys create --role admin, or set VIGIL_ADMIN_TOKEN")
		}
		return nil, nil
	}
	w := opts.Stderr
	if w == nil {
		w = os.Stderr
	}
	return func(addr net.Addr) { printFirstRunKey(w, key, addr, opts.DataDir, opts.Store) }, nil
}

// hasAdminKey reports whether any admin key exists: configured, in
// VIGIL_ADMIN_TOKEN, or unrevoked in the store.
func hasAdminKey(ctx context.Context, cfg FileConfig, st store.KeyStore) bool {
	if v, ok := os.LookupEnv(security.EnvAdminToken); ok && v != "" {
		return true
	}
	for _, k := range cfg.Auth.Keys {
		if k.Role == security.RoleAdmin {
			return true
		}
	}
	keys, err := st.ListAPIKeys(ctx)
	if err != nil {
		return true // unknown: do not warn on a guess
	}
	for _, k := range keys {
		if k.RevokedAt == nil && k.Role == string(security.RoleAdmin) {
			return true
		}
	}
	return false
}
