package option

// When is the apply function of an option that changes a configuration C
// with set when ok, and leaves it as it is otherwise.
func When[C any](ok bool, set func(*C)) func(C) C {
	return func(c C) C {
		if ok {
			set(&c)
		}
		return c
	}
}
