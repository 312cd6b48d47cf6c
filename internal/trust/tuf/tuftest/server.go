package tuftest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/trustctl/trustctl/internal/trust/tuf"
)

// Server is a malicious or faulty notary-server stand-in on 127.0.0.1 (plain http): it
// serves the read side of the API (current files, files by sha256, roots by version)
// from what Serve was given, and records every request. For states and faults the real
// server cannot produce; the real one stays the judge of interop.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	current  map[string]map[string][]byte // by GUN, by role ("root", "targets/qa", "2.root")
	byHash   map[string][]byte            // every file ever served, by GUN + "/" + sha256 hex
	hook     func(w http.ResponseWriter, r *http.Request, file string) bool
	requests []string
}

// NewServer starts a server with no repositories; it stops when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{current: map[string]map[string][]byte{}, byHash: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Serve makes the files of r the repository's current state. Files served before stay
// downloadable by hash, as on notary-server.
func (s *Server) Serve(r *Repo) { s.ServeFiles(r.GUN, r.Files) }

// ServeFiles makes files (by role) the current state of gun.
func (s *Server) ServeFiles(gun string, files map[string][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	files = maps.Clone(files)
	var root tuf.Common
	if env, err := tuf.ParseEnvelope(files[tuf.RoleRoot]); err == nil && decodeCommon(env.Signed, &root) {
		files[strconv.Itoa(root.Version)+"."+tuf.RoleRoot] = files[tuf.RoleRoot]
	}
	s.current[gun] = files
	for _, b := range files {
		sum := sha256.Sum256(b)
		s.byHash[gun+"/"+hex.EncodeToString(sum[:])] = b
	}
}

// SetHook answers the requests hook returns true for instead of the files; file is the
// name asked for ("timestamp.json", "targets/qa.<sha256>.json", "2.root.json"), "" for
// other paths.
func (s *Server) SetHook(hook func(w http.ResponseWriter, r *http.Request, file string) bool) {
	s.mu.Lock()
	s.hook = hook
	s.mu.Unlock()
}

// Requests lists the files asked for so far, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

var byChecksum = regexp.MustCompile(`^(.+)\.([0-9a-f]{64})\.json$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/" {
		w.WriteHeader(http.StatusOK)
		return
	}
	gun, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/_trust/tuf/")
	s.mu.Lock()
	if ok {
		s.requests = append(s.requests, file)
	}
	hook := s.hook
	s.mu.Unlock()
	if hook != nil && hook(w, r, file) {
		return
	}
	if !ok || r.Method != http.MethodGet {
		http.Error(w, `{"errors":[{"code":"UNSUPPORTED"}]}`, http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	var body []byte
	if m := byChecksum.FindStringSubmatch(file); m != nil {
		body = s.byHash[gun+"/"+m[2]]
	} else {
		body = s.current[gun][strings.TrimSuffix(file, ".json")]
	}
	s.mu.Unlock()
	if body == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errors":[{"code":"METADATA_NOT_FOUND","message":"You have requested metadata that does not exist."}]}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func decodeCommon(signed []byte, c *tuf.Common) bool { return json.Unmarshal(signed, c) == nil }
