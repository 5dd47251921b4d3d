// Package issue holds the one type of a problem the user must fix: the
// scaling decision, the certificates' decision and the plan report them
// alike, and the status turns them into the Degraded condition and an
// Event. It imports nothing, so every deciding package can use it.
package issue

// Issue is something that keeps the operator from matching the spec: a
// stable reason (the condition's) and a message that says what to do.
type Issue struct {
	Reason, Message string
}
