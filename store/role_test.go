package store_test

import (
	"testing"

	"github.com/respond/bulkjobs/store"
)

func TestRoles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		want       store.Role
		wantErr    bool
		wantCancel bool
		wantAdmin  bool
	}{
		{in: "viewer", want: store.RoleViewer},
		{in: " Responder ", want: store.RoleResponder, wantCancel: true},
		{in: "ADMIN", want: store.RoleAdmin, wantCancel: true, wantAdmin: true},
		{in: "root", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := store.ParseRole(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRole(%q) = %q, %v, want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if got.CanCancel() != tt.wantCancel || got.CanAdmin() != tt.wantAdmin {
			t.Errorf("ParseRole(%q): CanCancel() = %v, CanAdmin() = %v, want %v, %v",
				tt.in, got.CanCancel(), got.CanAdmin(), tt.wantCancel, tt.wantAdmin)
		}
	}
}
