package cfsim

import (
	"fmt"
	"net/url"
	"strconv"
)

// Paging limits (contract E1/E6, Q5). per_page is 1..1000 with default 20.
// page has only a documented minimum of 1; the simulator caps it at
// maxPage to keep arithmetic safe and answers a page past the end with an
// empty result.
const (
	defaultPerPage = 20
	maxPerPage     = 1000
	maxPage        = 1_000_000
)

// listQuery is a validated E1/E6 query.
type listQuery struct {
	page, perPage int
	status        string
	actionType    string
}

// parseListQuery validates page, per_page, status and, when withAction is
// set, action_type. Any of them repeated is a 400 (Q17); unknown parameters
// are ignored.
func parseListQuery(q url.Values, withAction bool) (listQuery, *reply) {
	lq := listQuery{page: 1, perPage: defaultPerPage}
	var rep *reply
	if lq.page, rep = intParam(q, "page", 1, maxPage, 1); rep != nil {
		return lq, rep
	}
	if lq.perPage, rep = intParam(q, "per_page", 1, maxPerPage, defaultPerPage); rep != nil {
		return lq, rep
	}
	if lq.status, rep = enumParam(q, "status", Statuses); rep != nil {
		return lq, rep
	}
	if withAction {
		if lq.actionType, rep = enumParam(q, "action_type", actions); rep != nil {
			return lq, rep
		}
	}
	return lq, nil
}

// single returns the one value of a query parameter; a repeat is a 400.
func single(q url.Values, name string) (string, bool, *reply) {
	vals, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vals) != 1 {
		rep := badRequest("/"+name, name+" must be given at most once")
		return "", false, &rep
	}
	return vals[0], true, nil
}

// intParam parses a decimal integer parameter within [lo, hi].
func intParam(q url.Values, name string, lo, hi, def int) (int, *reply) {
	v, ok, rep := single(q, name)
	if rep != nil || !ok {
		return def, rep
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi || !isDigits(v) {
		rep := badRequest("/"+name, fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
		return def, &rep
	}
	return n, nil
}

// enumParam parses an optional parameter restricted to allowed values.
func enumParam(q url.Values, name string, allowed []string) (string, *reply) {
	v, ok, rep := single(q, name)
	if rep != nil || !ok {
		return "", rep
	}
	if !oneOf(v, allowed) {
		rep := badRequest("/"+name, fmt.Sprintf("%s must be one of %s", name, enumList(allowed)))
		return "", &rep
	}
	return v, nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// pageBounds returns the [from, to) slice bounds of a page over n items.
func (lq listQuery) pageBounds(n int) (int, int) {
	from := (lq.page - 1) * lq.perPage
	if from >= n {
		return n, n
	}
	return from, min(from+lq.perPage, n)
}

// info builds result_info for a page of count items (Q7).
func (lq listQuery) info(count int) *resultInfo {
	return &resultInfo{Count: count, PerPage: lq.perPage}
}
