package server

import "github.com/vigilhq/vigil/apidocs"

// Operations documents every route this package serves ([New],
// [MountMetrics], [AlertsAPI.Register], [ReportsAPI.Register],
// [Stream.Handle]); each group is declared next to its handlers. A new
// operation goes into its group's function, a new group here.
func Operations() []apidocs.Operation {
	var out []apidocs.Operation
	for _, group := range [][]apidocs.Operation{
		healthOperations(), metricsOperations(), streamOperations(), referenceOperations(),
		alertsOperations(), silencesOperations(), reportsOperations(),
	} {
		out = append(out, group...)
	}
	return out
}
