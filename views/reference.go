package views

import "context"

type referenceKey struct{}

// WithReference returns a context in which the error sentences the views
// render end with "(reference: id)". id is the request's ID, which its log
// line and its calls to Cloudflare carry too, so an analyst can quote it and
// an operator find both. web sets it for every request; it is never a secret.
func WithReference(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, referenceKey{}, id)
}

// Reference returns the reference set by WithReference, "" when none.
func Reference(ctx context.Context) string {
	id, _ := ctx.Value(referenceKey{}).(string)
	return id
}
