// Package storetest is the contract every store.Store implementation must
// pass. An implementation's tests call Run with a function that opens a
// fresh, empty store:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "vigil.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Times in the suite carry microseconds at most where they are compared
// exactly, since both backends keep microsecond precision.
package storetest
