package guard

import "testing"

func TestEndpointOf(t *testing.T) {
	const bulk = "/client/v4/accounts/0123456789abcdef0123456789abcdef/email-security/investigate/bulk"
	const job = bulk + "/52fb7adc-02ed-4225-a484-c02787b1eed3"
	for _, tt := range []struct {
		method, path, want string
	}{
		{"GET", bulk, EndpointList},
		{"POST", bulk, EndpointCreate},
		{"GET", job, EndpointGet},
		{"DELETE", job, EndpointDelete},
		{"POST", job + "/cancel", EndpointCancel},
		{"GET", job + "/messages", EndpointMessages},
		{"PUT", job, EndpointOther},
		{"GET", job + "/cancel", EndpointOther},
		{"GET", job + "/messages/x", EndpointOther},
		{"GET", "/client/v4/user/tokens/verify", EndpointOther},
		{"GET", "/client/v4/email-security/investigate/bulk", EndpointOther}, // no account
	} {
		if got := endpointOf(tt.method, tt.path); got != tt.want {
			t.Errorf("endpointOf(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
