// Package bolt is a FAKE Neo4j server for tests: it speaks enough of the
// Bolt protocol (version 5.4) for the official Go driver to connect, log
// on, run queries in auto-commit and explicit transactions, route, reset
// and say goodbye. What a query returns is scripted by a Handler. It is
// test code written here; the protocol facts (handshake, chunking,
// PackStream markers, message tags and the fields the driver reads) were
// taken from the driver, github.com/neo4j/neo4j-go-driver/v5 v5.28.4,
// and no Neo4j server was involved.
package bolt

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Message tags of Bolt 5.
const (
	msgHello     = 0x01
	msgGoodbye   = 0x02
	msgReset     = 0x0F
	msgRun       = 0x10
	msgBegin     = 0x11
	msgCommit    = 0x12
	msgRollback  = 0x13
	msgDiscard   = 0x2F
	msgPull      = 0x3F
	msgTelemetry = 0x54
	msgRoute     = 0x66
	msgLogon     = 0x6A
	msgLogoff    = 0x6B
	msgSuccess   = 0x70
	msgRecord    = 0x71
	msgIgnored   = 0x7E
	msgFailure   = 0x7F
)

// The version this fake speaks: 5.4 (LOGON since 5.1, TELEMETRY since
// 5.4; the driver offers 5.0 to 5.8).
const major, minor = 5, 4

// Neo4j status codes the fake sends.
const (
	CodeUnauthorized = "Neo.ClientError.Security.Unauthorized"
	CodeNotALeader   = "Neo.ClientError.Cluster.NotALeader"
	CodeUnavailable  = "Neo.TransientError.General.DatabaseUnavailable"
	CodeSyntax       = "Neo.ClientError.Statement.SyntaxError"
	// CodeRateLimit is a login refused after too many failed ones
	// (docs-status-codes: "The client has provided incorrect
	// authentication details too many times in a row").
	CodeRateLimit = "Neo.ClientError.Security.AuthenticationRateLimit"
	// CodeInvalidArguments is a command naming what does not exist, or
	// exists already.
	CodeInvalidArguments = "Neo.ClientError.General.InvalidArguments"
)

// Query is one RUN as the server received it.
type Query struct {
	DB, Text string
	Params   map[string]any
	// User is who the session logged on as.
	User string
	// InTx is true inside BEGIN … COMMIT.
	InTx bool
}

// Result is what a query returns.
type Result struct {
	Keys []string
	Rows [][]any
}

// Failure is a Neo4j error.
type Failure struct{ Code, Message string }

func (f *Failure) Error() string { return f.Code + ": " + f.Message }

// Handler scripts the server.
type Handler interface {
	// Authenticate answers LOGON (a handler that is also a Login answers
	// with Login instead).
	Authenticate(user, password string) bool
	// Run answers RUN; a Failure is sent as FAILURE.
	Run(q Query) (Result, *Failure)
}

// Server listens on loopback.
type Server struct {
	Handler Handler
	// Agent is the "server" field of HELLO's SUCCESS.
	Agent string
	// Delay holds every RUN's answer back, for timeout tests.
	Delay time.Duration
	// DropAfterRecords, when positive, closes the connection after that
	// many RECORDs of a stream: a connection lost mid-stream.
	DropAfterRecords int

	ln       net.Listener
	closed   bool
	mu       sync.Mutex
	received []Query
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
}

// Start listens on 127.0.0.1 on a free port and serves h.
func Start(h Handler) (*Server, error) {
	return StartTLS(h, nil)
}

// StartTLS serves h over TLS when certificate is not nil: the TLS
// handshake comes first, then Bolt's (bolt+s). certificate is asked at
// every handshake, so a server can start presenting a new one (a reload)
// without restarting.
func StartTLS(h Handler, certificate func() (*tls.Certificate, error)) (*Server, error) {
	var ln net.Listener
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if certificate != nil {
		ln = tls.NewListener(ln, &tls.Config{MinVersion: tls.VersionTLS12,
			GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return certificate() }})
	}
	s := &Server{Handler: h, Agent: "Neo4j/5.26.0", ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Received are the queries run so far.
func (s *Server) Received() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.received...)
}

// Close stops listening and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	_ = s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed { // accepted as Close ran: never served
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				_ = c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			if err := handshake(c); err != nil {
				return
			}
			(&session{s: s, c: c}).serve()
		}()
	}
}

// handshake: the magic 60 60 B0 17, then four proposals of four bytes
// (reserved, range, minor, major; a proposal covers minor-range … minor).
// The answer is the chosen version, or zero.
func handshake(c net.Conn) error {
	b := make([]byte, 20)
	if _, err := io.ReadFull(c, b); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(b) != 0x6060B017 {
		return errors.New("bolt: bad magic")
	}
	for i := 4; i < 20; i += 4 {
		rng, mi, ma := int(b[i+1]), int(b[i+2]), int(b[i+3])
		if ma == major && mi >= minor && mi-rng <= minor {
			_, err := c.Write([]byte{0, 0, minor, major})
			return err
		}
	}
	_, _ = c.Write([]byte{0, 0, 0, 0})
	return errors.New("bolt: no common version")
}

type session struct {
	s        *Server
	c        net.Conn
	failed   bool
	inTx     bool
	txDB     string
	pending  *Result
	queryDB  string
	user     string
	bookmark int
}

func (x *session) serve() {
	for {
		msg, err := readMessage(x.c)
		if err != nil {
			return
		}
		if !x.handle(msg) {
			return
		}
	}
}

// Login is a Handler that refuses a logon with its own failure (a
// locked-out account, say) rather than Unauthorized.
type Login interface {
	Login(user, password string) *Failure
}

// login answers a LOGON: nil to accept it.
func (s *Server) login(user, password string) *Failure {
	if l, ok := s.Handler.(Login); ok {
		return l.Login(user, password)
	}
	if s.Handler.Authenticate(user, password) {
		return nil
	}
	return &Failure{Code: CodeUnauthorized, Message: "The client is unauthorized due to authentication failure."}
}

// handle answers one message; false closes the connection.
func (x *session) handle(m Struct) bool {
	if x.failed && m.Tag != msgReset && m.Tag != msgGoodbye {
		return x.send(msgIgnored)
	}
	switch m.Tag {
	case msgHello:
		return x.send(msgSuccess, map[string]any{"server": x.s.Agent, "connection_id": "bolt-fake", "hints": map[string]any{}})
	case msgLogon:
		auth, _ := field(m, 0).(map[string]any)
		user, _ := auth["principal"].(string)
		password, _ := auth["credentials"].(string)
		if f := x.s.login(user, password); f != nil {
			x.send(msgFailure, map[string]any{"code": f.Code, "message": f.Message})
			return false
		}
		x.user = user
		return x.send(msgSuccess, map[string]any{})
	case msgLogoff, msgTelemetry, msgDiscard, msgRollback:
		x.pending = nil
		if m.Tag == msgRollback {
			x.inTx = false
		}
		return x.send(msgSuccess, map[string]any{})
	case msgReset:
		x.failed, x.inTx, x.pending = false, false, nil
		return x.send(msgSuccess, map[string]any{})
	case msgBegin:
		extra, _ := field(m, 0).(map[string]any)
		x.inTx, x.txDB = true, dbOf(extra)
		return x.send(msgSuccess, map[string]any{})
	case msgCommit:
		x.inTx = false
		x.bookmark++
		return x.send(msgSuccess, map[string]any{"bookmark": fmt.Sprintf("fake:%d", x.bookmark)})
	case msgRun:
		return x.run(m)
	case msgPull:
		return x.pull(m)
	case msgRoute:
		extra, _ := field(m, 2).(map[string]any)
		addr := []any{x.s.Addr()}
		servers := []any{}
		for _, role := range []string{"ROUTE", "READ", "WRITE"} {
			servers = append(servers, map[string]any{"addresses": addr, "role": role})
		}
		return x.send(msgSuccess, map[string]any{"rt": map[string]any{"ttl": int64(300), "db": dbOf(extra), "servers": servers}})
	case msgGoodbye:
		return false
	}
	x.failed = true
	return x.send(msgFailure, map[string]any{"code": "Neo.ClientError.Request.Invalid", "message": fmt.Sprintf("message %#x is not supported by the fake", m.Tag)})
}

func (x *session) run(m Struct) bool {
	text, _ := field(m, 0).(string)
	params, _ := field(m, 1).(map[string]any)
	extra, _ := field(m, 2).(map[string]any)
	q := Query{DB: dbOf(extra), Text: text, Params: params, InTx: x.inTx, User: x.user}
	if x.inTx {
		q.DB = x.txDB
	}
	x.s.mu.Lock()
	x.s.received = append(x.s.received, q)
	x.s.mu.Unlock()
	if x.s.Delay > 0 {
		time.Sleep(x.s.Delay)
	}
	res, fail := x.s.Handler.Run(q)
	if fail != nil {
		x.failed = true
		return x.send(msgFailure, map[string]any{"code": fail.Code, "message": fail.Message})
	}
	x.pending, x.queryDB = &res, q.DB
	meta := map[string]any{"fields": toAny(res.Keys), "t_first": int64(0)}
	if x.inTx {
		meta["qid"] = int64(0)
	}
	return x.send(msgSuccess, meta)
}

func (x *session) pull(m Struct) bool {
	if x.pending == nil {
		x.failed = true
		return x.send(msgFailure, map[string]any{"code": "Neo.ClientError.Request.Invalid", "message": "PULL without a result"})
	}
	extra, _ := field(m, 0).(map[string]any)
	n, _ := extra["n"].(int64)
	rows := x.pending.Rows
	for i, row := range rows {
		if n > 0 && int64(i) == n {
			x.pending.Rows = rows[i:]
			return x.send(msgSuccess, map[string]any{"has_more": true})
		}
		if x.s.DropAfterRecords > 0 && i == x.s.DropAfterRecords {
			return false // the connection is lost mid-stream
		}
		if !x.send(msgRecord, row) {
			return false
		}
	}
	x.pending = nil
	meta := map[string]any{"type": "r", "t_last": int64(0), "db": x.queryDB}
	if !x.inTx {
		x.bookmark++
		meta["bookmark"] = fmt.Sprintf("fake:%d", x.bookmark)
	}
	return x.send(msgSuccess, meta)
}

// send writes a message; a RECORD's one field is the row.
func (x *session) send(tag byte, fields ...any) bool {
	return writeMessage(x.c, Struct{Tag: tag, Fields: fields}) == nil
}

func field(m Struct, i int) any {
	if i < len(m.Fields) {
		return m.Fields[i]
	}
	return nil
}

func dbOf(extra map[string]any) string {
	if db, ok := extra["db"].(string); ok {
		return db
	}
	return "neo4j"
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Messages travel in chunks: a two-byte size, that many bytes, and a
// zero-size chunk at the end.
func readMessage(r io.Reader) (Struct, error) {
	var msg []byte
	head := make([]byte, 2)
	for {
		if _, err := io.ReadFull(r, head); err != nil {
			return Struct{}, err
		}
		n := int(binary.BigEndian.Uint16(head))
		if n == 0 {
			if len(msg) == 0 {
				continue // a NOOP chunk
			}
			break
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(r, chunk); err != nil {
			return Struct{}, err
		}
		msg = append(msg, chunk...)
	}
	v, err := Decode(msg)
	if err != nil {
		return Struct{}, err
	}
	s, ok := v.(Struct)
	if !ok {
		return Struct{}, fmt.Errorf("bolt: a message is a structure, got %T", v)
	}
	return s, nil
}

func writeMessage(w io.Writer, m Struct) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	var out []byte
	for len(b) > 0 {
		n := min(len(b), 0xFFFF)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
		out = append(out, b[:n]...)
		b = b[n:]
	}
	out = append(out, 0, 0)
	_, err = w.Write(out)
	return err
}
