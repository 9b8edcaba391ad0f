package cfsim

import "time"

// Demo credentials and accounts. They are fake, printed by cmd/cfsim, and
// accepted only by a simulator running DemoConfig.
const (
	// DemoAccountID is the first demo account; it holds jobs in all seven
	// states. It is the account ID of the Cloudflare SDK tests.
	DemoAccountID = "023e105f4ecef8ad9ca31a8372d0c353"
	// DemoSecondAccountID is the second demo account.
	DemoSecondAccountID = "9f0e6a1b2c3d4e5f60718293a4b5c6d7"
	// DemoReadToken may read both demo accounts.
	DemoReadToken = "cfsim-DEMO-read-only-token--not-a-secret"
	// DemoWriteToken may read, create, cancel and delete in both demo accounts.
	DemoWriteToken = "cfsim-DEMO-read-write-token-not-a-secret"
	// DemoLegacyEmail and DemoLegacyKey are a legacy global-key principal
	// with write access to DemoAccountID only.
	DemoLegacyEmail = "legacy-admin@demo.example"
	// DemoLegacyKey is the legacy principal's X-Auth-Key.
	DemoLegacyKey = "demo0cfsim0legacy0global0api0key00000"
)

// DemoConfig returns the documented demo data, with timestamps relative to
// now: jobs in every state, and PENDING, DISCOVERING and PROCESSING jobs whose
// plans keep them moving for several minutes of real time at the default
// one-second step.
func DemoConfig(now time.Time) Config {
	d := demo{now: now}
	return Config{
		Seed:     1,
		Accounts: []string{DemoAccountID, DemoSecondAccountID},
		Principals: []Principal{
			{Name: "demo-viewer", Token: DemoReadToken,
				Accounts: map[string]Permission{DemoAccountID: PermRead, DemoSecondAccountID: PermRead}},
			{Name: "demo-responder", Token: DemoWriteToken,
				Accounts: map[string]Permission{DemoAccountID: PermWrite, DemoSecondAccountID: PermWrite}},
			{Name: "demo-legacy", Email: DemoLegacyEmail, Key: DemoLegacyKey,
				Accounts: map[string]Permission{DemoAccountID: PermWrite}},
		},
		Jobs: d.jobs(),
	}
}

type demo struct{ now time.Time }

func (d demo) ago(x time.Duration) *time.Time { t := d.now.Add(-x); return &t }

func str(s string) *string { return &s }

func (d demo) search(days int, sp SearchParams) SearchParams {
	sp.DetectionsOnly = true
	sp.Start, sp.End = d.now.Add(-time.Duration(days)*24*time.Hour).Truncate(time.Hour), d.now.Truncate(time.Hour)
	return sp
}

func (d demo) jobs() []SeedJob {
	a, b := DemoAccountID, DemoSecondAccountID
	m := time.Minute
	return []SeedJob{
		{ID: "52fb7adc-02ed-4225-a484-c02787b1eed3", Account: a, Action: ActionMove,
			Destination: "RecoverableItemsDeletions", ExpectedDisposition: "MALICIOUS",
			Comment:      str("INC-2291: fake DocuSign 'Q3 payroll adjustment' lure, pull from every mailbox"),
			SearchParams: d.search(3, SearchParams{Subject: "Completed: Q3 payroll adjustment", FinalDisposition: "MALICIOUS", Domain: "docusign-notify.example"}),
			Status:       StatusProcessing, TotalDiscovered: 6400, Pending: 4112, Successful: 2251, Failed: 29, Skipped: 8,
			CreatedAt: d.ago(7 * m), StartedAt: d.ago(7*m - 3*time.Second),
			Plan: &Plan{Total: 6400, ProcessPerStep: 14, FailureRate: 0.012, RetryRate: 0.02}},
		{ID: "bc935aad-bcdc-4389-ae30-1e940d3af8ff", Account: a, Action: ActionMove,
			Destination: "DeletedItems", ExpectedDisposition: "MALICIOUS-BEC",
			Comment:      str("INC-2293: CEO gift-card request from look-alike domain examp1e-corp.example"),
			SearchParams: d.search(7, SearchParams{Sender: "ceo@examp1e-corp.example", FinalDisposition: "MALICIOUS-BEC"}),
			Status:       StatusDiscovering, TotalDiscovered: 1850, Pending: 1838, Skipped: 12,
			CreatedAt: d.ago(2 * m), StartedAt: d.ago(2*m - 2*time.Second),
			Plan: &Plan{Total: 5200, DiscoverPerStep: 20, ProcessPerStep: 20, FailureRate: 0.01, RetryRate: 0.02, SkipRate: 0.005}},
		{ID: "663467c8-c7be-4835-aece-2a62ed8fcbf9", Account: a, Action: ActionRelease,
			Comment:      str("False positives: partner invoices quarantined as SPOOF (ticket SEC-4410)"),
			SearchParams: d.search(2, SearchParams{DeliveryStatus: "quarantined", Domain: "partner-billing.example", FinalDisposition: "SPOOF"}),
			Status:       StatusPending, CreatedAt: d.ago(5 * time.Second),
			Plan: &Plan{PendingSteps: 20, Total: 2400, DiscoverPerStep: 80, ProcessPerStep: 10, FailureRate: 0.005, RetryRate: 0.01}},
		{ID: "393e0585-506f-4823-9de8-52eb2a0cda47", Account: a, Action: ActionMove,
			Destination: "RecoverableItemsPurges", ExpectedDisposition: "MALICIOUS",
			Comment:      str("INC-2288: purge HTML-smuggling attachments (demo: this job fails midway)"),
			SearchParams: d.search(5, SearchParams{Query: "attachment:html smuggling", FinalDisposition: "MALICIOUS"}),
			Status:       StatusProcessing, TotalDiscovered: 3000, Pending: 1960, Successful: 1012, Failed: 28,
			CreatedAt: d.ago(4 * m), StartedAt: d.ago(4*m - time.Second),
			Plan: &Plan{Total: 3000, ProcessPerStep: 8, FailureRate: 0.02, RetryRate: 0.02, Outcome: StatusFailed, FailAfter: 2200}},
		{ID: "3f6c2d1e-8a4b-4c7d-9e21-5b0a7c9d1e42", Account: a, Action: ActionMove,
			Destination: "JunkEmail", ExpectedDisposition: "SPAM",
			Comment:      str("Sweep spam campaign from bulk-sender.example"),
			SearchParams: d.search(7, SearchParams{Sender: "promo@bulk-sender.example", FinalDisposition: "SPAM"}),
			Status:       StatusCancelled, TotalDiscovered: 120, Successful: 78, Failed: 2, Cancelled: 40,
			CreatedAt: d.ago(26 * time.Hour), StartedAt: d.ago(26*time.Hour - 2*time.Second),
			CompletedAt: d.ago(26*time.Hour - 88*time.Second), StatusMessage: str("Cancelled by request")},
		{ID: "9b1e4f7a-2c3d-4e5f-8a6b-7c8d9e0f1a2b", Account: a, Action: ActionRelease,
			SearchParams: d.search(1, SearchParams{DeliveryStatus: "quarantined", Domain: "partner.example"}),
			Status:       StatusCompleted, TotalDiscovered: 15, Successful: 15,
			CreatedAt: d.ago(42 * time.Hour), StartedAt: d.ago(42*time.Hour - time.Second),
			CompletedAt: d.ago(42*time.Hour - 55*time.Second)},
		{ID: "d2ce2240-c390-4f4c-969b-af7cbb0e2a6e", Account: a, Action: ActionMove,
			Destination: "JunkEmail", ExpectedDisposition: "BULK",
			Comment:      str("Move the 'Summer deals' newsletter blast to Junk for all staff"),
			SearchParams: d.search(3, SearchParams{Subject: "Summer deals", FinalDisposition: "BULK"}),
			Status:       StatusCompleted, TotalDiscovered: 4820, Successful: 4779, Failed: 17, Skipped: 24,
			CreatedAt: d.ago(3 * time.Hour), StartedAt: d.ago(3*time.Hour - 2*time.Second),
			CompletedAt: d.ago(2*time.Hour + 51*m)},
		{ID: "d49bf567-eec8-42a4-ac71-d99270d95b59", Account: a, Action: ActionRelease,
			Comment:      str("Release quarantined payroll notices for the finance team"),
			SearchParams: d.search(2, SearchParams{DeliveryStatus: "quarantined", Recipient: "finance@customer.example"}),
			Status:       StatusFailed, TotalDiscovered: 640, Successful: 212, Failed: 18, Cancelled: 410,
			CreatedAt: d.ago(5 * time.Hour), StartedAt: d.ago(5*time.Hour - time.Second),
			CompletedAt:   d.ago(4*time.Hour + 48*m),
			StatusMessage: str("Job failed: Microsoft Graph returned 401 (tenant consent revoked)")},
		{ID: "a495dcdd-11db-4d9f-8a76-15a48dd52126", Account: a, Action: ActionMove,
			Destination: "DeletedItems", ExpectedDisposition: "MALICIOUS",
			Comment:      str("Sweep reported QR-code phish (no matches expected after the mail-flow rule)"),
			SearchParams: d.search(1, SearchParams{ExactSubject: "Action required: re-validate your MFA", FinalDisposition: "MALICIOUS"}),
			Status:       StatusSkipped, CreatedAt: d.ago(90 * m), StartedAt: d.ago(90*m - time.Second),
			CompletedAt: d.ago(90*m - 4*time.Second), StatusMessage: str("No messages matched the search")},
		{ID: "771d62c3-5341-400f-b532-ac61e84f6bf1", Account: a, Action: ActionMove,
			Destination:  "JunkEmail",
			SearchParams: d.search(1, SearchParams{Submissions: true, Subject: "Your parcel is waiting"}),
			Status:       StatusSkipped, TotalDiscovered: 12, Skipped: 12,
			CreatedAt: d.ago(70 * m), StartedAt: d.ago(70*m - time.Second), CompletedAt: d.ago(70*m - 3*time.Second),
			StatusMessage: str("All matched messages were phish submissions, which cannot be actioned")},
		{ID: "8a4a2689-7fef-4609-89a5-0977a344b556", Account: b, Action: ActionMove,
			Destination: "JunkEmail", ExpectedDisposition: "SUSPICIOUS",
			Comment:      str("Invoice-themed Qakbot lure: move to Junk pending analysis"),
			SearchParams: d.search(4, SearchParams{Subject: "Overdue invoice", FinalDisposition: "SUSPICIOUS"}),
			Status:       StatusProcessing, TotalDiscovered: 2600, Pending: 2100, Successful: 495, Failed: 5,
			CreatedAt: d.ago(3 * m), StartedAt: d.ago(3*m - time.Second),
			Plan: &Plan{Total: 2600, ProcessPerStep: 9, FailureRate: 0.004, RetryRate: 0.02}},
		{ID: "5df0b6d1-6aa0-4325-88dd-27a785c3a4fd", Account: b, Action: ActionRelease,
			Comment:      str("Release vendor statements held as BULK"),
			SearchParams: d.search(1, SearchParams{DeliveryStatus: "quarantined", FinalDisposition: "BULK", Domain: "statements.vendor.example"}),
			Status:       StatusCompleted, TotalDiscovered: 42, Successful: 42,
			CreatedAt: d.ago(20 * time.Hour), StartedAt: d.ago(20*time.Hour - time.Second),
			CompletedAt: d.ago(20*time.Hour - 40*time.Second)},
		{ID: "85bb1171-77f5-4f14-b346-5eb432682357", Account: b, Action: ActionMove,
			Destination: "DeletedItems", ExpectedDisposition: "SPAM",
			Comment:      str("Wrong search (all of sales@): cancelled"),
			SearchParams: d.search(30, SearchParams{Recipient: "sales@customer.example"}),
			Status:       StatusCancelled, TotalDiscovered: 300, Successful: 120, Cancelled: 180,
			CreatedAt: d.ago(8 * time.Hour), StartedAt: d.ago(8*time.Hour - time.Second),
			CompletedAt: d.ago(8*time.Hour - 50*time.Second), StatusMessage: str("Cancelled by request")},
	}
}
