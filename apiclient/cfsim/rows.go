package cfsim

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// newJobRNG returns the job's own generator, derived from the server seed and
// the job ID so that a job's progress never depends on other jobs.
func newJobRNG(seed uint64, id string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// newUUID draws a version 4 UUID from r, in canonical lowercase form.
func newUUID(r *rand.Rand) string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], r.Uint64())
	binary.LittleEndian.PutUint64(b[8:], r.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

const postfixAlphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// newPostfixID draws an Email Security style identifier like "4Yk2Lm0Qz8z1xyz".
func newPostfixID(r *rand.Rand) string {
	var b strings.Builder
	b.WriteByte('4')
	for range 14 {
		b.WriteByte(postfixAlphabet[r.IntN(len(postfixAlphabet))])
	}
	return b.String()
}

var mailboxes = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
	"ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil",
	"trent", "victor", "walter", "finance", "hr", "it-helpdesk", "payroll", "sales",
}

// newRow draws a PENDING row discovered at t.
func (j *job) newRow(t time.Time) *row {
	recipient := j.search.Recipient
	if recipient == "" {
		recipient = mailboxes[j.rng.IntN(len(mailboxes))] + "@customer.example"
	}
	sender := "mail.example"
	if _, d, ok := strings.Cut(j.search.Sender, "@"); ok && d != "" {
		sender = d
	} else if j.search.Domain != "" {
		sender = j.search.Domain
	}
	return &row{
		id:             newUUID(j.rng),
		postfixID:      newPostfixID(j.rng),
		recipient:      recipient,
		emailMessageID: fmt.Sprintf("<%012x@%s>", j.rng.Uint64()>>16, sender),
		alertID:        j.search.AlertID,
		status:         StatusPending,
		createdAt:      t,
	}
}

// sortRows puts rows in E6 order: created_at ascending, then message_id.
func sortRows(rows []*row) {
	slices.SortFunc(rows, func(a, b *row) int {
		if c := a.createdAt.Compare(b.createdAt); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
}

// newSeededJob builds the engine record of a validated seed job at now.
func newSeededJob(s SeedJob, seed uint64, now time.Time, step time.Duration) *job {
	now = msTime(now)
	j := &job{
		id: s.ID, account: s.Account, action: s.Action,
		destination: s.Destination, expectedDisposition: s.ExpectedDisposition,
		comment: copyString(s.Comment), search: s.SearchParams, status: s.Status,
		statusMessage: copyString(s.StatusMessage),
		rng:           newJobRNG(seed, s.ID),
		step:          step,
		nextStep:      now.Add(step),
	}
	j.createdAt = now
	if s.CreatedAt != nil {
		j.createdAt = msTime(*s.CreatedAt)
	}
	if s.StartedAt != nil {
		t := msTime(*s.StartedAt)
		j.startedAt = &t
	} else if s.Status != StatusPending {
		t := j.createdAt
		j.startedAt = &t
	}
	if s.CompletedAt != nil {
		t := msTime(*s.CompletedAt)
		j.completedAt = &t
	} else if isTerminal(s.Status) {
		t := now
		if j.startedAt != nil && t.Before(*j.startedAt) {
			t = *j.startedAt
		}
		j.completedAt = &t
	}
	if s.Plan != nil {
		j.plan = s.Plan.withDefaults()
	} else {
		j.plan = defaultSeedPlan(s).withDefaults()
	}
	j.seedRows(s, now)
	return j
}

// seedRows generates rows that agree with the seed's counters: processed rows
// first (successes and failures shuffled), then cancelled, then pending rows,
// with skipped rows scattered among them.
func (j *job) seedRows(s SeedJob, now time.Time) {
	n := s.TotalDiscovered
	order := make([]string, 0, n)
	for range s.Successful {
		order = append(order, StatusCompleted)
	}
	for range s.Failed {
		order = append(order, StatusFailed)
	}
	j.rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	for range s.Cancelled {
		order = append(order, StatusCancelled)
	}
	for range s.Pending {
		order = append(order, StatusPending)
	}
	skip := make(map[int]bool, s.Skipped)
	for _, i := range j.rng.Perm(n)[:s.Skipped] {
		skip[i] = true
	}
	base := j.createdAt
	if j.startedAt != nil {
		base = *j.startedAt
	}
	end := now
	if j.completedAt != nil {
		end = *j.completedAt
	}
	if end.Before(base) {
		end = base
	}
	span := end.Sub(base)
	if s.Status != StatusDiscovering {
		span /= 2 // discovery took the first half, processing the rest
	}
	rows := make([]*row, 0, n)
	next := 0
	for i := range n {
		r := j.newRow(msTime(base.Add(time.Duration(int64(span) * int64(i) / int64(n)))))
		st := StatusSkipped
		if !skip[i] {
			st = order[next]
			next++
		}
		j.seedRowStatus(r, st, end, now)
		rows = append(rows, r)
	}
	sortRows(rows)
	j.rows = rows
	for i, r := range rows {
		if r.status == StatusPending {
			j.queue = append(j.queue, i)
		}
	}
	j.total, j.pending, j.successful = s.TotalDiscovered, s.Pending, s.Successful
	j.failed, j.skipped, j.cancelled = s.Failed, s.Skipped, s.Cancelled
}

// seedRowStatus gives a generated row its seeded status and the fields that
// go with it.
func (j *job) seedRowStatus(r *row, st string, end, now time.Time) {
	r.status = st
	processed := func() *time.Time {
		t := msTime(r.createdAt.Add(time.Duration(float64(end.Sub(r.createdAt)) * (0.2 + 0.8*j.rng.Float64()))))
		return &t
	}
	switch st {
	case StatusCompleted:
		r.processedAt = processed()
	case StatusFailed:
		r.processedAt = processed()
		r.retryCount = 3
		r.statusMessage = failureReasons[j.rng.IntN(len(failureReasons))]
	case StatusSkipped:
		r.statusMessage = "Phish submission: bulk actions do not apply"
	case StatusCancelled:
		r.statusMessage = "Cancelled by request"
		if j.status == StatusFailed {
			r.statusMessage = "Not processed: the job failed"
		}
	case StatusPending:
		if j.status == StatusProcessing && j.rng.Float64() < 0.05 {
			r.retryCount = 1 + j.rng.IntN(2)
			at := msTime(now.Add(time.Duration(1+j.rng.IntN(3)) * j.step))
			r.retryAfter = &at
			r.statusMessage = "Transient error from the mail provider, will retry"
		}
	}
}
