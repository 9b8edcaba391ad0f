package cfsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// The admin endpoints exist only with Config.EnableAdmin; otherwise their
// paths are unknown routes (404 code 7003). They need no credentials (the
// simulator is a local test tool), are not rate limited, not faulted and not
// written to the request log. They answer plain JSON, not the v4 envelope:
//
//	POST   /__admin/faults       inject a fault (body: faultJSON) → 201 {"id": "fault-1"}
//	GET    /__admin/faults       list active faults → 200 [faultJSON…]
//	DELETE /__admin/faults       remove every fault → 204
//	DELETE /__admin/faults/{id}  remove one fault → 204, or 404
//	GET    /__admin/requests     the request log → 200 [LoggedRequest…]
//	DELETE /__admin/requests     empty the request log → 204

// faultJSON is a Fault on the admin wire, with durations as Go duration
// strings ("250ms", "2s"), e.g.
//
//	{"endpoint": "cancel", "kind": "status", "status": 503, "count": 1, "after": true}
type faultJSON struct {
	ID          string    `json:"id,omitempty"`
	Endpoint    string    `json:"endpoint"`
	Kind        FaultKind `json:"kind"`
	Status      int       `json:"status,omitempty"`
	Latency     duration  `json:"latency,omitempty"`
	RetryAfter  duration  `json:"retry_after,omitempty"`
	Probability float64   `json:"probability,omitempty"`
	Count       int       `json:"count,omitempty"`
	After       bool      `json:"after,omitempty"`
}

var endpointNames = []string{
	EndpointList, EndpointCreate, EndpointGet, EndpointDelete, EndpointCancel, EndpointMessages,
}

func (s *Server) adminRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /__admin/faults", s.adminInjectFault)
	m.HandleFunc("GET /__admin/faults", s.adminListFaults)
	m.HandleFunc("DELETE /__admin/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("DELETE /__admin/faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !s.RemoveFault(r.PathValue("id")) {
			adminJSON(w, http.StatusNotFound, map[string]string{"error": "no such fault"})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET /__admin/requests", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, s.Requests())
	})
	m.HandleFunc("DELETE /__admin/requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	})
}

// adminInjectFault handles POST /__admin/faults.
func (s *Server) adminInjectFault(w http.ResponseWriter, r *http.Request) {
	var fj faultJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	err := dec.Decode(&fj)
	if err == nil {
		err = fj.validate()
	}
	if err != nil {
		adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	id := s.InjectFault(Fault{
		Endpoint: fj.Endpoint, Kind: fj.Kind, Status: fj.Status,
		Latency: time.Duration(fj.Latency), RetryAfter: time.Duration(fj.RetryAfter),
		Probability: fj.Probability, Count: fj.Count, After: fj.After,
	})
	adminJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func (fj faultJSON) validate() error {
	switch {
	case fj.ID != "":
		return errors.New("id is assigned by the simulator")
	case fj.Kind == 0:
		return errors.New("kind is required")
	case fj.Endpoint != "" && !slices.Contains(endpointNames, fj.Endpoint):
		return fmt.Errorf("endpoint must be empty or one of %s", enumList(endpointNames))
	case fj.Probability < 0 || fj.Probability > 1 || fj.Count < 0:
		return errors.New("probability must be in [0,1] and count not negative")
	case fj.Status != 0 && (fj.Status < 100 || fj.Status > 599):
		return errors.New("status must be an HTTP status code")
	case fj.Latency < 0 || fj.RetryAfter < 0:
		return errors.New("durations must not be negative")
	}
	return nil
}

// adminListFaults handles GET /__admin/faults.
func (s *Server) adminListFaults(w http.ResponseWriter, r *http.Request) {
	s.faults.mu.Lock()
	out := make([]faultJSON, 0, len(s.faults.list))
	for _, e := range s.faults.list {
		f := e.fault
		out = append(out, faultJSON{
			ID: e.id, Endpoint: f.Endpoint, Kind: f.Kind, Status: f.Status,
			Latency: duration(f.Latency), RetryAfter: duration(f.RetryAfter),
			Probability: f.Probability, Count: f.Count, After: f.After,
		})
	}
	s.faults.mu.Unlock()
	adminJSON(w, http.StatusOK, out)
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
