package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/host/internal/webhookdesk"
	"github.com/parley-dev/parley/plugins/slack/slackfake"
)

// replica is one parley process of a multi-replica installation.
type replica struct {
	name, config, public string
	mu                   sync.Mutex
	cmd                  *exec.Cmd
	logs                 bytes.Buffer
}

// postgresDSN creates a fresh database for one test and returns its DSN.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PARLEY_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("set PARLEY_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable to run the multi-replica tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to PARLEY_TEST_POSTGRES_DSN: %v", err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "parley_e2e_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// replicas writes n configs sharing e's fakes and one PostgreSQL database;
// mode is the Telegram intake mode, publicURL overrides each replica's own
// public URL (the load balancer in webhook mode).
func (e *env) replicas(t *testing.T, n int, dsn, mode, publicURL string) []*replica {
	t.Helper()
	base := readFile(t, e.config)
	var out []*replica
	for i := 0; i < n; i++ {
		r := &replica{name: fmt.Sprintf("r%d", i), public: "http://" + freeAddr(t)}
		cfg := base
		cfg = replaceLine(t, cfg, "[server]", "listen", strconv.Quote(strings.TrimPrefix(r.public, "http://")))
		pub := r.public
		if publicURL != "" {
			pub = publicURL
		}
		cfg = replaceLine(t, cfg, "[server]", "public_url", strconv.Quote(pub))
		cfg = replaceLine(t, cfg, "[admin]", "listen", strconv.Quote(freeAddr(t)))
		cfg = replaceLine(t, cfg, "[store]", "dsn", strconv.Quote(dsn)+"\ndriver = \"postgres\"")
		cfg = strings.Replace(cfg, "[telegram]\n", "[telegram]\nmode = \""+mode+"\"\n", 1)
		r.config = filepath.Join(e.dir, r.name+".toml")
		writeFile(t, r.config, cfg)
		out = append(out, r)
		t.Cleanup(func() { r.stop(t) })
	}
	return out
}

// replaceLine sets key's value in the given [section].
func replaceLine(t *testing.T, cfg, section, key, value string) string {
	t.Helper()
	i := strings.Index(cfg, section+"\n")
	if i < 0 {
		t.Fatalf("config has no %s", section)
	}
	re := regexp.MustCompile(`(?m)^` + key + ` = .*$`)
	loc := re.FindStringIndex(cfg[i:])
	if loc == nil {
		t.Fatalf("config has no %s in %s", key, section)
	}
	return cfg[:i+loc[0]] + key + " = " + value + cfg[i+loc[1]:]
}

func (r *replica) start(t *testing.T, e *env) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "parley"), "run", "--config", r.config)
	cmd.Env = append(os.Environ(), "E2E_TELEGRAM_TOKEN="+e.tg.Token(), "E2E_DESK_SECRET="+e.secret)
	for k, v := range e.opts.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout = &lockedWriter{w: &r.logs, mu: &r.mu}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()
	if !waitUntil(30*time.Second, func() bool {
		resp, err := http.Get(r.public + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	}) {
		t.Fatalf("replica %s did not start:\n%s", r.name, r.Logs())
	}
}

func (r *replica) pid() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return 0
	}
	return r.cmd.Process.Pid
}

func (r *replica) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	r.mu.Lock()
	cmd := r.cmd
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("replica %s did not stop within 30s of %v", r.name, sig)
	}
}

func (r *replica) kill(t *testing.T) { r.signal(t, syscall.SIGKILL) }
func (r *replica) stop(t *testing.T) { r.signal(t, syscall.SIGTERM) }

func (r *replica) Logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logs.String()
}

// poller returns the replica that holds the Telegram poller lease, as
// `parley status` reports it.
func (e *env) poller(t *testing.T, rs []*replica) *replica {
	t.Helper()
	var found *replica
	waitUntil(20*time.Second, func() bool {
		cmd := exec.Command(filepath.Join(binDir, "parley"), "status", "--config", rs[0].config)
		cmd.Env = append(os.Environ(), "E2E_TELEGRAM_TOKEN="+e.tg.Token(), "E2E_DESK_SECRET="+e.secret)
		out, _ := cmd.CombinedOutput()
		for _, line := range strings.Split(string(out), "\n") {
			f := strings.Fields(line)
			// REPLICA HOST PID VERSION ROLE... UP "<d> ago": a live poller has a fresh heartbeat.
			if len(f) < 7 || !strings.Contains(line, "telegram-poller") {
				continue
			}
			seen, err := time.ParseDuration(f[len(f)-2])
			if err != nil || seen > 6*time.Second {
				continue
			}
			pid, _ := strconv.Atoi(f[2])
			for _, r := range rs {
				if r.pid() == pid {
					found = r
					return true
				}
			}
		}
		return false
	})
	if found == nil {
		t.Fatal("no running replica reports polling Telegram")
	}
	return found
}

// checkDeliveries asserts that every conversation arrived in order (see
// checkOrder), across kills of replicas.
func checkDeliveries(t *testing.T, got []webhookdesk.Delivery, users, kills int) {
	t.Helper()
	st := checkOrder(t, got, orderRules{Users: users, RunLength: defaultRunLength, Kills: kills})
	t.Logf("%d distinct messages, %d deliveries, %d duplicates, %d steps back", st.Distinct, len(got), st.Duplicates, st.StepsBack)
}

// Three replicas on one PostgreSQL share the work while the polling replica
// is killed and another is stopped and restarted: everything is delivered,
// per conversation in order, duplicates only with the same message id.
func TestReplicasPolling(t *testing.T) {
	dsn := postgresDSN(t)
	const users, perUser = 100, 10
	e := newEnv(t, "")
	rs := e.replicas(t, 3, dsn, "polling", "")
	for _, r := range rs {
		r.start(t, e)
	}
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = e.tg.AddUser(telego.User{FirstName: fmt.Sprintf("U%d", i)}).ID
	}
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for j := 0; j < perUser; j++ {
			for i := 0; i < users; i++ {
				e.tg.SendText(ids[i], fmt.Sprintf("u%d-m%d", i, j))
			}
			time.Sleep(300 * time.Millisecond) // pacing: spread the traffic across the kill below
		}
	}()
	time.Sleep(time.Second) // pacing: kill the leader mid-stream, not before traffic starts
	leader := e.poller(t, rs)
	leader.kill(t)
	t.Logf("killed the polling replica %s", leader.name)
	var other *replica
	for _, r := range rs {
		if r != leader {
			other = r
			break
		}
	}
	other.stop(t)
	other.start(t, e)
	<-pushed
	if !e.desk.WaitFor(120*time.Second, func(r []webhookdesk.Delivery) bool { return distinct(r) >= users*perUser }) {
		t.Fatalf("only %d of %d messages delivered\n%s", distinct(e.desk.Received()), users*perUser, tail(other.Logs(), 30))
	}
	// The graceful stop counts too: a run still in flight after its grace
	// period is delivered again by the next owner.
	checkDeliveries(t, e.desk.Received(), users, 2)
	if next := e.poller(t, rs); next == leader {
		t.Fatal("the killed replica still holds the poller lease")
	}
}

// Webhook mode behind a round-robin load balancer: any replica takes any
// update, one replica dies, nothing is lost; a forged secret token is
// refused with 401 and nothing is stored.
func TestReplicasWebhook(t *testing.T) {
	dsn := postgresDSN(t)
	const users, perUser = 30, 5
	e := newEnv(t, "")
	var backends []*url.URL
	var next atomic.Int64
	lb := &http.Server{Handler: &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		b := backends[int(next.Add(1))%len(backends)]
		pr.SetURL(b)
	}}}
	lbAddr := freeAddr(t)
	rs := e.replicas(t, 3, dsn, "webhook", "http://"+lbAddr)
	for _, r := range rs {
		u, _ := url.Parse(r.public)
		backends = append(backends, u)
	}
	go func() { _ = listenAndServe(lb, lbAddr) }()
	t.Cleanup(func() { _ = lb.Close() })
	for _, r := range rs {
		r.start(t, e)
	}
	if !waitUntil(20*time.Second, func() bool { return e.tg.WebhookURL() != "" }) {
		t.Fatalf("no replica set the webhook\n%s", rs[0].Logs())
	}
	ids := make([]int64, users)
	for i := range ids {
		ids[i] = e.tg.AddUser(telego.User{FirstName: fmt.Sprintf("W%d", i)}).ID
	}
	for j := 0; j < perUser; j++ {
		for i := 0; i < users; i++ {
			e.tg.SendText(ids[i], fmt.Sprintf("u%d-m%d", i, j))
		}
		if j == 1 {
			rs[1].kill(t) // the balancer keeps sending it a third of the requests: 502s that Telegram retries
		}
	}
	if !e.desk.WaitFor(120*time.Second, func(r []webhookdesk.Delivery) bool { return distinct(r) >= users*perUser }) {
		t.Fatalf("only %d of %d messages delivered\n%s", distinct(e.desk.Received()), users*perUser, tail(rs[0].Logs(), 30))
	}
	checkDeliveries(t, e.desk.Received(), users, 1)

	forged := `{"update_id":987654321,"message":{"message_id":1,"date":1700000000,"chat":{"id":` + strconv.FormatInt(ids[0], 10) +
		`,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"X"},"text":"forged"}}`
	req, _ := http.NewRequest(http.MethodPost, rs[0].public+"/telegram/webhook", strings.NewReader(forged))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "not-the-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged secret token: status %d, want 401", resp.StatusCode)
	}
	// A sentinel from the same chat: a forged update that had been accepted
	// would have been committed before the 401 came back, and the sentinel
	// follows it in the conversation's lane.
	e.tg.SendText(ids[0], "sentinel")
	if !e.desk.WaitFor(60*time.Second, func(r []webhookdesk.Delivery) bool {
		return len(r) > 0 && r[len(r)-1].Message.Text == "sentinel"
	}) {
		t.Fatalf("the sentinel never reached the desk\n%s", tail(rs[0].Logs(), 30))
	}
	for _, d := range e.desk.Received() {
		if d.Message.Text == "forged" {
			t.Fatal("a forged update was stored and delivered")
		}
	}
}

func listenAndServe(s *http.Server, addr string) error {
	s.Addr = addr
	return s.ListenAndServe()
}

// Slack Socket Mode in every replica: Slack spreads envelopes over the
// replicas' connections, and each agent reply still reaches its user once;
// each customer gets one thread however many replicas deliver.
func TestReplicasSlackSocketMode(t *testing.T) {
	dsn := postgresDSN(t)
	e, fake := newSlackEnv(t, true)
	rs := e.replicas(t, 2, dsn, "polling", "")
	for _, r := range rs {
		r.start(t, e)
	}
	if !fake.WaitFor(30*time.Second, func() bool { _, open := fake.SocketConnections(); return open >= 2 }) {
		t.Fatalf("both replicas' plugins did not open Socket Mode\n%s", rs[0].Logs())
	}
	const users, replies = 4, 10
	ids := make([]int64, users)
	roots := make([]string, users)
	for i := range ids {
		ids[i] = e.tg.AddUser(telego.User{FirstName: fmt.Sprintf("S%d", i)}).ID
		e.tg.SendText(ids[i], fmt.Sprintf("question from %d", i))
		roots[i] = waitRoot(t, e, fake, i+1, fmt.Sprintf("question from %d", i)).TS
	}
	ctx := slackCtx(t)
	for j := 0; j < replies; j++ {
		for i := range ids {
			if _, _, err := fake.AgentReply(ctx, slackfake.ChannelID, roots[i], slackfake.AgentUserID, fmt.Sprintf("u%d-m%d", i, j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Replies that reach different replicas in the same instant are sent in
	// the order they were committed, which may differ from Slack's: what
	// must hold is that each one arrives, to the right user, exactly once.
	for i, id := range ids {
		seen := map[string]bool{}
		for _, s := range waitSentTo(t, e, id, replies) {
			if !strings.HasPrefix(s.Message.Text, fmt.Sprintf("u%d-", i)) || seen[s.Message.Text] {
				t.Fatalf("user %d got %q (wrong user or twice)", i, s.Message.Text)
			}
			seen[s.Message.Text] = true
		}
	}
	// No sentinel: replies reaching different replicas are committed in no
	// fixed order (see above), so nothing is guaranteed to come last.
	settle()
	for _, id := range ids {
		if n := len(e.tg.SentTo(id)); n != replies {
			t.Fatalf("a user got %d messages, want %d: a reply was sent twice", n, replies)
		}
	}
	if n := len(fake.Roots(slackfake.ChannelID)); n != users {
		t.Fatalf("%d Slack threads for %d customers", n, users)
	}
	if !fake.WaitFor(30*time.Second, func() bool { return len(fake.Unacked()) == 0 }) {
		t.Errorf("envelopes never acknowledged: %v", fake.Unacked())
	}
}
