package demo_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/parley-dev/parley/host/demo"
	"github.com/parley-dev/parley/host/internal/browsertest"
	"github.com/parley-dev/parley/internal/testwait"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// pluginsDir holds every desk's plugin, built once for the test binary.
var pluginsDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("demo: skipped in -short mode (it builds and runs the desk plugins)")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "parley-demo-plugins-")
	if err != nil {
		panic(err)
	}
	for _, p := range []string{"webhook", "slack", "helpscout", "hipchat", "telegramgroup"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "parley-channel-"+p), "./plugins/"+p)
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "demo: building the %s plugin: %v\n%s", p, err, out)
			os.Exit(1)
		}
	}
	pluginsDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startDemo runs the demo on a random port and returns its URLs; the demo
// is stopped, and must have stopped cleanly, when the test ends.
func startDemo(t *testing.T, desk string) demo.URLs {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan demo.URLs, 1)
	done := make(chan error, 1)
	var stdout strings.Builder
	go func() {
		done <- demo.Run(ctx, demo.Options{
			Listen: "127.0.0.1:0", Desk: desk, PluginsDir: pluginsDir, Stdout: &stdout, Stderr: io.Discard,
			Ready: func(u demo.URLs) { ready <- u },
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo.Run after Ctrl-C: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("demo did not stop within 30s of cancellation")
		}
	})
	select {
	case u := <-ready:
		if !strings.Contains(stdout.String(), u.Page) {
			t.Errorf("the page URL %s is not printed; stdout:\n%s", u.Page, stdout.String())
		}
		return u
	case err := <-done:
		t.Fatalf("demo.Run: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not start within 60s")
	}
	return demo.URLs{}
}

// waitJS waits until the JavaScript expression is true in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func TestDemoPageRoundTrip(t *testing.T) {
	b := browsertest.New(t)
	urls := startDemo(t, "webhook")

	browsertest.Do(t, b, 20*time.Second, "opening the demo page", chromedp.Navigate(urls.Page))
	waitJS(t, b, "the welcome message", `document.querySelector("#chat .msg.bot")?.innerText.includes("Parley demo")`)

	// The customer writes in the chat pane; the desk pane gets it through
	// the host and the plugin, under the customer's name.
	const question = "Hello, where is my order #1234?"
	browsertest.Do(t, b, 10*time.Second, "typing as the customer",
		chromedp.SendKeys(chromedp.CSS("#chat-input"), question), chromedp.Click(chromedp.CSS("#chat-send")))
	waitJS(t, b, "the question in the desk pane",
		fmt.Sprintf(`[...document.querySelectorAll("#desk .dmsg.customer")].some(e => e.innerText.includes(%q))`, question))
	if got := browsertest.Text(t, b, 5*time.Second, "#desk .thread h3"); !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("desk thread title = %q, want the contact's name", got)
	}

	// The agent answers in the desk pane; the chat pane shows the bot's message.
	const answer = "It left our warehouse this morning."
	browsertest.Do(t, b, 10*time.Second, "answering as the agent",
		chromedp.SendKeys(chromedp.CSS("#desk .reply-text"), answer), chromedp.Click(chromedp.CSS("#desk .reply-send")))
	waitJS(t, b, "the answer in the chat pane",
		fmt.Sprintf(`[...document.querySelectorAll("#chat .msg.bot")].some(e => e.innerText.includes(%q))`, answer))

	// A file: its desk link is the host's signed link and serves the bytes.
	file := filepath.Join(t.TempDir(), "receipt.txt")
	const content = "order 1234, paid in full"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, b, 10*time.Second, "sending a file", chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file}))
	waitJS(t, b, "the file link in the desk pane", `document.querySelector("#desk a.file-link")?.innerText.includes("receipt.txt")`)
	href, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#desk a.file-link").href`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(href, urls.Public+"/files/") {
		t.Errorf("file link %q is not a host /files/ link under %s", href, urls.Public)
	}
	if got := httpGet(t, href); got != content {
		t.Errorf("file link served %q, want %q", got, content)
	}

	// A too-large file becomes an alert, and a location its map link.
	browsertest.Do(t, b, 10*time.Second, "sending a too-large file and a location",
		chromedp.Click(chromedp.CSS("#send-large")), chromedp.Click(chromedp.CSS("#send-location")))
	waitJS(t, b, "the too-large alert", `document.querySelector("#desk .too-large")?.innerText.includes("site-recording.mp4")`)
	waitJS(t, b, "the location", `document.querySelector("#desk").innerText.includes("openstreetmap.org")`)
	// By now a delivery carried the customer's photo: the thread shows it,
	// loaded through the host's signed link.
	waitJS(t, b, "the customer's avatar",
		`(() => { const i = document.querySelector("#desk .thread h3 img.avatar"); return !!i && !i.hidden && i.complete && i.naturalWidth > 0 && i.src.includes("/files/"); })()`)
	browsertest.Screenshot(t, b, "demo-page")

	// The operator's page of the same host shows the plugin running.
	browsertest.Do(t, b, 20*time.Second, "opening the status page", chromedp.Navigate(urls.Admin+"/status"))
	if got := browsertest.Text(t, b, 10*time.Second, `#plugins tr[data-channel="desk"] .state`); got != "running" {
		t.Errorf("plugin state on /status = %q, want running", got)
	}
	if got := browsertest.Text(t, b, 5*time.Second, "#conversations"); !strings.Contains(got, "Ada") {
		t.Errorf("conversations table does not list the demo user:\n%s", got)
	}
	browsertest.Screenshot(t, b, "demo-status")

	// What flowed is counted in /metrics.
	fams := scrape(t, urls.Admin+"/metrics")
	if got := counter(fams, "parley_messages_delivered_total", "channel", "desk"); got < 4 {
		t.Errorf("parley_messages_delivered_total{channel=desk} = %v, want at least 4 (text, file, too-large, location)", got)
	}
	if got := counter(fams, "parley_replies_sent_total", "channel", "desk"); got < 1 {
		t.Errorf("parley_replies_sent_total{channel=desk} = %v, want at least 1", got)
	}
}

// TestDemoDesksThroughTheAPI plays both panes through the page's JSON API,
// for each desk the demo wires.
func TestDemoDesksThroughTheAPI(t *testing.T) {
	for _, desk := range []string{"webhook", "slack", "helpscout", "hipchat", "telegramgroup"} {
		t.Run(desk, func(t *testing.T) {
			urls := startDemo(t, desk)
			// A cross-site form cannot set the demo header: refused, nothing sent.
			resp, err := http.Post(urls.Page+"api/chat/text", "text/plain", strings.NewReader(`{"text":"forged"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST without %s: %s, want 403", "X-Parley-Demo", resp.Status)
			}
			post(t, urls.Page+"api/chat/text", `{"text":"Is the shop open on Sunday?"}`)
			var st pageState
			waitState(t, urls.Page, &st, "the question at the desk", func() bool {
				return len(st.Threads) == 1 && hasMessage(st.Threads[0].Messages, "customer", "Is the shop open on Sunday?") &&
					!strings.Contains(fmt.Sprint(st.Chat), "forged")
			})
			if th := st.Threads[0]; !strings.Contains(th.Contact, "Ada") {
				t.Errorf("desk thread %+v does not name the customer", th)
			}
			// The desk's markup (Help Scout HTML, HipChat's "#N" header) is
			// not what the pane shows.
			if got := fmt.Sprint(st.Threads[0].Messages); strings.ContainsAny(got, "<>") {
				t.Errorf("desk messages carry markup: %s", got)
			}
			post(t, urls.Page+"api/desk/reply", fmt.Sprintf(`{"thread":%q,"text":"Yes, from 10 to 4.\nAnd <b>not</b> on holidays."}`, st.Threads[0].ID))
			const answer = "Yes, from 10 to 4.\nAnd <b>not</b> on holidays."
			waitState(t, urls.Page, &st, "the answer in the chat and at the desk", func() bool {
				last := st.Chat[len(st.Chat)-1]
				return last.From == "bot" && last.Text == answer && hasMessage(st.Threads[0].Messages, "agent", answer)
			})
			if desk == "webhook" || desk == "slack" {
				// The desk shows the customer's profile photo: looked up off
				// the message path, so a later message carries it. (Help
				// Scout takes a photo only when its customer is created, and
				// only a link of at most 200 characters: the host's signed
				// links are longer.)
				photo := ""
				for i := 0; photo == "" && i < 10; i++ {
					text := fmt.Sprintf("one more thing (%d)", i)
					post(t, urls.Page+"api/chat/text", fmt.Sprintf(`{"text":%q}`, text))
					waitState(t, urls.Page, &st, "the message at the desk", func() bool {
						return hasMessage(st.Threads[0].Messages, "customer", text)
					})
					photo = st.Threads[0].Photo
				}
				if !strings.HasPrefix(photo, urls.Public) || !strings.Contains(photo, "/files/") {
					t.Fatalf("desk thread photo %q, want the host's signed file link", photo)
				}
				if img := httpGet(t, photo); !strings.HasPrefix(img, "\x89PNG") {
					t.Errorf("the photo link did not serve the customer's picture (%d bytes)", len(img))
				}
			}
			// An unknown thread is refused, and says so.
			req, _ := http.NewRequest(http.MethodPost, urls.Page+"api/desk/reply", strings.NewReader(`{"thread":"999999","text":"hello?"}`))
			req.Header.Set("X-Parley-Demo", "1")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway {
				t.Errorf("reply to an unknown thread: %s, want 502", resp.Status)
			}
		})
	}
}

// pageState is the part of /api/state the tests read.
type pageState struct {
	Chat []struct {
		From, Text string
		ID         int
		Buttons    [][]struct{ Text, Data string }
	}
	Threads []pageThread
}

type pageThread struct {
	ID, Contact, Label, State, Status, Photo string
	ClaimedBy                                string `json:"claimed_by"`
	Actions                                  []string
	Messages                                 []deskMessage
}

// thread returns the thread with a message from from containing text.
func (st *pageState) thread(from, text string) (pageThread, bool) {
	for _, th := range st.Threads {
		for _, m := range th.Messages {
			if m.From == from && strings.Contains(m.Text, text) {
				return th, true
			}
		}
	}
	return pageThread{}, false
}

type deskMessage struct{ From, Text string }

// hasMessage reports whether a desk thread holds text from from.
func hasMessage(ms []deskMessage, from, text string) bool {
	for _, m := range ms {
		if m.From == from && m.Text == text {
			return true
		}
	}
	return false
}

func post(t *testing.T, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Parley-Demo", "1")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s: %s", url, resp.Status, b)
	}
}

func waitState(t *testing.T, page string, st *pageState, what string, cond func() bool) {
	t.Helper()
	if !testwait.Poll(20*time.Second, func() bool {
		*st = pageState{}
		if err := json.Unmarshal([]byte(httpGet(t, page+"api/state")), st); err != nil {
			t.Fatal(err)
		}
		return cond()
	}) {
		t.Fatalf("no %s within 20s; state: %+v", what, *st)
	}
}

func TestDemoRefusesAMissingPluginAndUnknownDesk(t *testing.T) {
	tests := []struct {
		name string
		opts demo.Options
		want string
	}{
		{"missing plugin", demo.Options{PluginsDir: t.TempDir()}, "make build"},
		{"unknown desk", demo.Options{Desk: "zendesk"}, `unknown desk "zendesk"`},
		{"missing Help Scout plugin", demo.Options{Desk: "helpscout", PluginsDir: t.TempDir()}, "no helpscout plugin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Listen, tt.opts.Stdout, tt.opts.Stderr = "127.0.0.1:0", io.Discard, io.Discard
			err := demo.Run(t.Context(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("demo.Run = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b)
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(httpGet(t, url)))
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}

// counter sums a counter's samples whose label has the given value.
func counter(fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
	var sum float64
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label && l.GetValue() == value {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestDemoPageRendersTheDesks plays the Help Scout and HipChat desks in the
// browser: the desk pane shows each desk's conversation with its handle,
// files as the host's links, the too-large alert and the map link, and the
// agent's answer goes through the desk into the chat.
func TestDemoPageRendersTheDesks(t *testing.T) {
	for _, tt := range []struct{ desk, label string }{
		{"helpscout", " · Do you ship to Norway? · active"}, // "#<number> · subject · status"
		{"hipchat", "#1"},
		{"telegramgroup", "#1"},
	} {
		t.Run(tt.desk, func(t *testing.T) {
			b := browsertest.New(t)
			urls := startDemo(t, tt.desk)
			browsertest.Do(t, b, 20*time.Second, "opening the demo page", chromedp.Navigate(urls.Page))
			waitJS(t, b, "the desk's name", fmt.Sprintf(`document.querySelector("#plugin").innerText === %q`, tt.desk))

			const question = "Do you ship to Norway?"
			browsertest.Do(t, b, 10*time.Second, "typing as the customer",
				chromedp.SendKeys(chromedp.CSS("#chat-input"), question), chromedp.Click(chromedp.CSS("#chat-send")))
			waitJS(t, b, "the question in the desk pane",
				fmt.Sprintf(`[...document.querySelectorAll("#desk .dmsg.customer .text")].some(e => e.innerText === %q)`, question))
			if got := browsertest.Text(t, b, 5*time.Second, "#desk .thread h3"); !strings.Contains(got, "Ada Lovelace") || !strings.Contains(got, tt.label) {
				t.Errorf("desk thread title = %q, want the contact's name and %q", got, tt.label)
			}

			file := filepath.Join(t.TempDir(), "route.txt")
			const content = "Oslo, then Bergen"
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			browsertest.Do(t, b, 10*time.Second, "sending a file, a too-large file and a location",
				chromedp.SetUploadFiles(chromedp.CSS("#file-input"), []string{file}))
			waitJS(t, b, "the file link in the desk pane", `document.querySelector("#desk a.file-link")?.innerText.includes("route.txt")`)
			browsertest.Do(t, b, 10*time.Second, "sending a too-large file and a location",
				chromedp.Click(chromedp.CSS("#send-large")), chromedp.Click(chromedp.CSS("#send-location")))
			waitJS(t, b, "the too-large alert", `document.querySelector("#desk .too-large")?.innerText.includes("site-recording.mp4")`)
			waitJS(t, b, "the map link", `[...document.querySelectorAll("#desk .dmsg a")].some(a => a.href.startsWith("https://www.openstreetmap.org/"))`)
			href, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector("#desk a.file-link").href`))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(href, urls.Public+"/files/") {
				t.Errorf("file link %q is not a host /files/ link under %s", href, urls.Public)
			}
			if got := httpGet(t, href); got != content {
				t.Errorf("file link served %q, want %q", got, content)
			}

			const answer = "Yes, in 3 to 5 days."
			browsertest.Do(t, b, 10*time.Second, "answering as the agent",
				chromedp.SendKeys(chromedp.CSS("#desk .reply-text"), answer), chromedp.Click(chromedp.CSS("#desk .reply-send")))
			waitJS(t, b, "the answer in the chat pane",
				fmt.Sprintf(`[...document.querySelectorAll("#chat .msg.bot")].some(e => e.innerText.includes(%q))`, answer))
			waitJS(t, b, "the answer in the desk pane",
				fmt.Sprintf(`[...document.querySelectorAll("#desk .dmsg.agent .text")].some(e => e.innerText === %q)`, answer))
			browsertest.Screenshot(t, b, "demo-"+tt.desk)
		})
	}
}

// TestDemoLifecycleAndRating plays a ticket's life on the page: the agent
// claims and closes from the desk pane (the webhook plugin's signed action
// POSTs, Slack's header buttons, Help Scout's assignment and status, HipChat's
// "#N /close"), the rating keyboard appears in the chat pane, the customer's
// tap reaches the desk as "4/5", and the customer's next message opens
// conversation #2 in a thread of its own.
func TestDemoLifecycleAndRating(t *testing.T) {
	for _, tt := range []struct{ desk, label, claimNote string }{
		{"webhook", "#1", "Grace Hopper claimed conversation #1"},
		{"slack", "#1", "claimed conversation #1"},
		{"helpscout", "", ""}, // Help Scout numbers its own conversations; its notes are Parley's
		{"hipchat", "#1", "claimed by"},
		{"telegramgroup", "#1", "Claimed by Grace Hopper"},
	} {
		t.Run(tt.desk, func(t *testing.T) {
			b := browsertest.New(t)
			urls := startDemo(t, tt.desk)
			browsertest.Do(t, b, 20*time.Second, "opening the demo page", chromedp.Navigate(urls.Page))
			waitJS(t, b, "the welcome message", `document.querySelector("#chat .msg.bot")?.innerText.includes("Parley demo")`)

			const question = "My parcel never arrived."
			browsertest.Do(t, b, 10*time.Second, "typing as the customer",
				chromedp.SendKeys(chromedp.CSS("#chat-input"), question), chromedp.Click(chromedp.CSS("#chat-send")))
			waitJS(t, b, "conversation #1, open, in the desk pane",
				fmt.Sprintf(`(() => { const th = document.querySelector("#desk .thread"); return th?.querySelector("h3 small")?.innerText.startsWith(%q) && th.dataset.state === "open"; })()`, tt.label))

			browsertest.Do(t, b, 10*time.Second, "claiming", chromedp.Click(chromedp.CSS(`#desk .thread .act-claim`)))
			waitJS(t, b, "the claim in the thread's header",
				`(() => { const th = document.querySelector("#desk .thread"); return th.dataset.state === "claimed" && /claimed by \S/i.test(th.querySelector(".state").innerText); })()`)
			if tt.claimNote != "" {
				waitJS(t, b, "the claim notice in the thread",
					fmt.Sprintf(`[...document.querySelectorAll("#desk .dmsg.note")].some(e => e.innerText.includes(%q))`, tt.claimNote))
			}

			browsertest.Do(t, b, 10*time.Second, "closing", chromedp.Click(chromedp.CSS(`#desk .thread .act-close`)))
			waitJS(t, b, "the thread closed, with a Reopen button",
				`(() => { const th = document.querySelector("#desk .thread"); return th?.dataset.state === "closed" && !!th.querySelector(".act-reopen") && !th.querySelector(".act-close"); })()`)
			if tt.desk == "helpscout" {
				// Help Scout's label carries its own status: it follows the close.
				waitJS(t, b, "Help Scout's status in the label", `document.querySelector("#desk .thread h3 small").innerText.endsWith("· closed")`)
			}

			// The question with its five buttons, 1 to 5 in reading order.
			waitJS(t, b, "the rating keyboard in the chat pane", `document.querySelectorAll("#chat .kb-btn").length === 5`)
			labels, err := chromedp.Run(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#chat .kb-btn")].map(e => e.innerText)`))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(labels, " "); got != "1 2 3 4 5" {
				t.Errorf("rating buttons = %q, want 1 2 3 4 5", got)
			}
			if got := browsertest.Text(t, b, 5*time.Second, "#chat"); !strings.Contains(got, "How did we do?") {
				t.Errorf("chat pane has no rating question:\n%s", got)
			}
			browsertest.Screenshot(t, b, "demo-rating-keyboard-"+tt.desk)

			browsertest.Do(t, b, 10*time.Second, "tapping 4",
				chromedp.Click(`//div[@id="chat"]//button[contains(@class,"kb-btn")][normalize-space()="4"]`))
			// The bot edits the question: the thanks replaces it and its keyboard.
			waitJS(t, b, "the thanks in place of the keyboard",
				`document.querySelectorAll("#chat .kb-btn").length === 0 && document.querySelector("#chat").innerText.includes("Thank you for your feedback!")`)
			if got := browsertest.Text(t, b, 5*time.Second, "#chat"); strings.Contains(got, "How did we do?") {
				t.Errorf("the question is still in the chat after the tap:\n%s", got)
			}
			waitJS(t, b, "4/5 in the desk thread",
				`[...document.querySelectorAll("#desk .dmsg.note")].some(e => e.innerText.includes("4/5"))`)

			// The customer writes again: conversation #2, a new thread on top.
			const again = "Found it at my neighbour's, thanks!"
			browsertest.Do(t, b, 10*time.Second, "writing again",
				chromedp.SendKeys(chromedp.CSS("#chat-input"), again), chromedp.Click(chromedp.CSS("#chat-send")))
			want2 := "#2"
			if tt.label == "" {
				want2 = ""
			}
			waitJS(t, b, "conversation #2 in a new thread",
				fmt.Sprintf(`(() => { const ths = document.querySelectorAll("#desk .thread"); return ths.length === 2 && ths[0].querySelector("h3 small").innerText.startsWith(%q) && ths[0].dataset.state === "open" && ths[0].innerText.includes(%q) && !ths[1].innerText.includes(%q) && ths[1].dataset.state === "closed"; })()`, want2, again, again))
			browsertest.Screenshot(t, b, "demo-lifecycle-"+tt.desk)
		})
	}
}

// TestDemoLifecycleThroughTheAPI plays claim, close, the rating and the
// next conversation through the page's JSON API for every desk, each
// action sent the way that desk sends it (webhook: the signed action POST;
// Slack: a click on the header's buttons; Help Scout: assignment and status
// webhooks; HipChat: "#N /claim" typed into the room).
func TestDemoLifecycleThroughTheAPI(t *testing.T) {
	for _, desk := range []string{"webhook", "slack", "helpscout", "hipchat", "telegramgroup"} {
		t.Run(desk, func(t *testing.T) {
			urls := startDemo(t, desk)
			const first = "The app crashes on login."
			post(t, urls.Page+"api/chat/text", fmt.Sprintf(`{"text":%q}`, first))
			var st pageState
			var th pageThread
			waitState(t, urls.Page, &st, "the open conversation with Claim and Close", func() bool {
				var ok bool
				th, ok = st.thread("customer", first)
				return ok && th.State == "open" && slices.Equal(th.Actions, []string{"claim", "close"})
			})
			act := func(action, state string, actions ...string) {
				t.Helper()
				post(t, urls.Page+"api/desk/action", fmt.Sprintf(`{"thread":%q,"action":%q}`, th.ID, action))
				waitState(t, urls.Page, &st, "the thread "+state+" after "+action, func() bool {
					got, ok := st.thread("customer", first)
					return ok && got.State == state && slices.Equal(got.Actions, actions)
				})
			}
			// An action the desks do not have is refused, and changes nothing.
			req, _ := http.NewRequest(http.MethodPost, urls.Page+"api/desk/action", strings.NewReader(fmt.Sprintf(`{"thread":%q,"action":"archive"}`, th.ID)))
			req.Header.Set("X-Parley-Demo", "1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("action \"archive\": %s, want 400", resp.Status)
			}
			act("claim", "claimed", "unclaim", "close")
			if got, _ := st.thread("customer", first); got.ClaimedBy == "" && !strings.Contains(got.Status, "Claimed by") {
				t.Errorf("claimed thread names no agent: %+v", got)
			}
			act("unclaim", "open", "claim", "close")
			act("close", "closed", "reopen")

			// The rating question with five buttons in the chat.
			var msgID int
			var four string
			waitState(t, urls.Page, &st, "the rating keyboard in the chat", func() bool {
				for _, m := range st.Chat {
					if m.From == "bot" && len(m.Buttons) == 1 && len(m.Buttons[0]) == 5 {
						msgID, four = m.ID, m.Buttons[0][3].Data
						return m.Buttons[0][3].Text == "4"
					}
				}
				return false
			})
			// A button the message does not have is refused.
			req, _ = http.NewRequest(http.MethodPost, urls.Page+"api/chat/tap", strings.NewReader(fmt.Sprintf(`{"message_id":%d,"data":"forged"}`, msgID)))
			req.Header.Set("X-Parley-Demo", "1")
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("tap on a button the message lacks: %s, want 400", resp.Status)
			}
			post(t, urls.Page+"api/chat/tap", fmt.Sprintf(`{"message_id":%d,"data":%q}`, msgID, four))
			waitState(t, urls.Page, &st, "the thanks in place of the question, and 4/5 at the desk", func() bool {
				for _, m := range st.Chat {
					if m.ID == msgID && (m.Text != "Thank you for your feedback!" || len(m.Buttons) != 0) {
						return false
					}
				}
				_, rated := st.thread("note", "4/5")
				return rated
			})

			// The next message is conversation #2, in a thread of its own.
			// Help Scout labels conversations with its own numbers.
			const again = "It works now, thanks."
			wantLabel := "#2"
			if desk == "helpscout" {
				wantLabel = ""
			}
			post(t, urls.Page+"api/chat/text", fmt.Sprintf(`{"text":%q}`, again))
			waitState(t, urls.Page, &st, "conversation #2 in a new thread", func() bool {
				th2, ok := st.thread("customer", again)
				return ok && th2.ID != th.ID && th2.Label != th.Label && th2.State == "open" && strings.Contains(th2.Label, wantLabel)
			})
		})
	}
}
