package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/host/store"
	"github.com/parley-dev/parley/sdk"
)

// ErrUserBlocked is returned (wrapped) by a Telegram implementation when the
// user blocked the bot or deleted their account: the reply can never arrive.
var ErrUserBlocked = errors.New("the user blocked the bot")

// Channels finds the running plugin behind a channel name.
type Channels interface {
	Channel(name string) (sdk.Channel, bool)
}

// OpenAttachment fetches the bytes of a file an agent attached.
type OpenAttachment func(ctx context.Context, a sdk.ReplyAttachment) (io.ReadCloser, sdk.FileInfo, error)

// SendResult is what reached Telegram.
type SendResult struct {
	// MessageIDs are the Telegram ids of the messages sent, in order.
	MessageIDs []int64
	// Failed lists attachments that could not be sent (the text still was).
	Failed []FailedAttachment
	// Progress says how far the reply got, also (above all) when an error
	// is returned: one entry per part handled in order, the Telegram id of
	// the message it became or 0 for a part that sent nothing. Given back
	// as sent, it makes SendReply resume after those parts.
	Progress []int64
}

// FailedAttachment names a file that did not reach the user, and why.
type FailedAttachment struct {
	Name   string
	Reason string
}

// Telegram sends agent replies to users. Errors carry the SDK's markers:
// sdk.RetryAfter for "try later", sdk.Permanent for "never", ErrUserBlocked.
// SendReply resumes after the parts in sent (an earlier attempt's
// SendResult.Progress), so a reply that failed half way sends no part twice.
type Telegram interface {
	SendReply(ctx context.Context, chatID int64, r sdk.Reply, open OpenAttachment, sent []int64) (SendResult, error)
	EditReply(ctx context.Context, chatID, messageID int64, r sdk.Reply) error
}

// RatingAsker sends a rating question with its five buttons; a Telegram
// that is one sends the host replies store.RatingOf names that way (the
// others send the question as plain text).
type RatingAsker interface {
	AskRating(ctx context.Context, chatID int64, ratingID, question string) (int64, error)
}

// MenuAsker sends a routing menu's question with its buttons; a Telegram
// that is one sends the host replies store.MenuOf names that way (the
// others send the question as plain text).
type MenuAsker interface {
	AskMenu(ctx context.Context, chatID int64, menuID, question string) (int64, error)
}

// Links turns a Telegram file into a link a desk can open.
type Links interface {
	Link(a sdk.Attachment) string
}

// Routes lists the channels a conversation's notices go to.
type Routes interface {
	Route(c store.Conversation) []string
}

// Observer is told the outcome of every delivery and reply (metrics).
type Observer interface {
	Delivered(channel string, latency time.Duration)
	DeliveryFailed(channel string, permanent bool)
	ReplySent(channel string, latency time.Duration)
	ReplyFailed(channel string, permanent bool)
}

// Options tune a Dispatcher. Zero values take the defaults in brackets.
type Options struct {
	// Owner names this worker in leases (unique per process).
	Owner string
	// Concurrency is how many lanes are worked on at once [64].
	Concurrency int
	// MaxAttempts before a row is marked failed [12].
	MaxAttempts int
	Backoff     Backoff
	// Lease is how long a claimed delivery stays ours [CallTimeout+15s]; a
	// reply's lease is 3*CallTimeout longer (its call may upload files). It
	// outlasts the call so a slow call is not worked on twice, and is short
	// so a replica that dies hands its lanes over within it.
	Lease time.Duration
	// CallTimeout bounds one Deliver call [30s]; a reply (uploads) gets 4x.
	CallTimeout time.Duration
	// PollInterval is how often the queues are looked at when nothing woke
	// the dispatcher [500ms]: it picks up retries that came due.
	PollInterval time.Duration
	// Grace is how long in-flight work may finish after shutdown begins [5s].
	Grace time.Duration
	// CompleteWindow is the longest a finished delivery waits for others
	// to share its store transaction [1ms]; only while other deliveries
	// are in progress, and only with a store.DeliveryCompleter.
	CompleteWindow time.Duration
	// CompleteBatch is the most deliveries recorded in one transaction
	// [Concurrency].
	CompleteBatch int
	// RunLength is the most rows of one lane handed to its channel in one
	// call [32], when the store claims runs (store.RunClaimer): a
	// conversation's backlog costs one round trip to the plugin per run
	// instead of one per message. 1 turns runs off.
	RunLength int
	// RunBudget is how long a run may keep starting new items [250ms]; the
	// rest go back to the lane. It keeps a run to a slow desk inside the
	// call deadline and the lease, and bounds how long the first row of a
	// run waits for its completion to be recorded.
	RunBudget time.Duration
	// ClaimWindow is the longest the claim loop waits for a quarter of
	// the workers to be free before claiming for fewer, while the others
	// are busy [1ms].
	ClaimWindow time.Duration
	// ChannelConcurrency is how many lanes of one channel are worked on
	// at once [Concurrency]: below Concurrency, a desk that hangs holds
	// only that many workers, and the claims pass its lanes by while the
	// other channels' lanes are still claimed.
	ChannelConcurrency int
	// Unavailable tells an error that means the channel's plugin is not
	// running (starting, restarting, failed) from the desk's own failure
	// [errors.Is(err, ErrChannelUnavailable)]. Such a delivery waits for
	// the channel without spending an attempt.
	Unavailable func(error) bool
	// Redact removes secrets from error text before it is stored
	// (last_error) or sent to a desk in a notice [none].
	Redact func(string) string
}

// ErrChannelUnavailable marks an error meaning a channel cannot be called
// right now (no process behind it), as opposed to a failure of the desk.
// A Channels implementation whose Channel reports false is unavailable too.
var ErrChannelUnavailable = errors.New("channel unavailable")

func (o *Options) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	if o.Lease <= 0 {
		o.Lease = o.CallTimeout + 15*time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Grace <= 0 {
		o.Grace = 5 * time.Second
	}
	if o.CompleteWindow <= 0 {
		o.CompleteWindow = time.Millisecond
	}
	if o.CompleteBatch <= 0 {
		o.CompleteBatch = o.Concurrency
	}
	if o.RunLength <= 0 {
		o.RunLength = 32
	}
	if o.RunBudget <= 0 {
		o.RunBudget = 250 * time.Millisecond
	}
	if o.ClaimWindow <= 0 {
		o.ClaimWindow = time.Millisecond
	}
	if o.ChannelConcurrency <= 0 || o.ChannelConcurrency > o.Concurrency {
		o.ChannelConcurrency = o.Concurrency
	}
	if o.Unavailable == nil {
		o.Unavailable = func(err error) bool { return errors.Is(err, ErrChannelUnavailable) }
	}
	if o.Redact == nil {
		o.Redact = func(s string) string { return s }
	}
	if o.Owner == "" {
		o.Owner = fmt.Sprintf("parley-%d", time.Now().UnixNano())
	}
}

// Dispatcher works the delivery and reply queues.
type Dispatcher struct {
	store    store.Store
	channels Channels
	telegram Telegram
	bots     func(bot string) (Telegram, bool)
	links    Links
	routes   Routes
	observer Observer
	log      hclog.Logger
	opts     Options

	wakeDeliveries chan struct{}
	wakeReplies    chan struct{}
	// completions groups delivery completions; nil when the store cannot
	// complete several in one transaction.
	completions *completer
	// gate keeps the per-channel limits of the delivery queue.
	gate *channelGate
	// accounts caches Business connections for deliveries.
	accounts accounts
}

// Config gathers a Dispatcher's dependencies.
type Config struct {
	Store    store.Store
	Channels Channels
	// Telegram sends the replies of conversations of every bot, unless
	// Bots is set.
	Telegram Telegram
	// Bots, when set, finds the Telegram of a bot by name: a reply leaves
	// through the bot its conversation came from. A bot it does not know
	// (removed from the config) fails the attempt; the reply is retried.
	Bots     func(bot string) (Telegram, bool)
	Links    Links
	Routes   Routes
	Observer Observer // optional
	Logger   hclog.Logger
	Options  Options
}

// New returns a Dispatcher; call Run to start it.
func New(c Config) *Dispatcher {
	c.Options.defaults()
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	d := &Dispatcher{
		store: c.Store, channels: c.Channels, telegram: c.Telegram, bots: c.Bots, links: c.Links, routes: c.Routes,
		observer: c.Observer, log: c.Logger, opts: c.Options,
		wakeDeliveries: make(chan struct{}, 1), wakeReplies: make(chan struct{}, 1),
		gate: newChannelGate(c.Options.ChannelConcurrency),
	}
	if dc, ok := c.Store.(store.DeliveryCompleter); ok {
		d.completions = newCompleter(dc, c.Options.Owner, c.Options.CompleteBatch, c.Options.CompleteWindow)
	}
	return d
}

// Notify wakes the dispatcher after new work was committed, so it does not
// wait for the next poll.
func (d *Dispatcher) Notify() {
	wake(d.wakeDeliveries)
	wake(d.wakeReplies)
}

func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Run works both queues until ctx is cancelled, then gives in-flight work
// Options.Grace to finish and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	// Work runs on its own context so shutdown lets calls in flight finish
	// (bounded by Grace) instead of cutting a delivery in half.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	if d.completions != nil {
		// Stopped only after every delivery worker has returned, so no
		// completion is ever handed in with nobody to commit it.
		stop := make(chan struct{})
		stopped := make(chan struct{})
		go func() { defer close(stopped); d.completions.run(work, stop) }()
		defer func() { close(stop); <-stopped }()
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		runLoop(ctx, work, d, d.wakeDeliveries, "delivery", d.claimDeliveries, d.deliver)
	}()
	go func() {
		defer wg.Done()
		runLoop(ctx, work, d, d.wakeReplies, "reply", d.claimReplies, d.sendReply)
	}()
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.opts.Grace):
		d.log.Warn("shutdown: cancelling deliveries still in flight; they will be retried")
		cancelWork()
		<-done
	}
	return nil
}

// runLoop claims rows while there is capacity and hands each to process.
func runLoop[T any](ctx, work context.Context, d *Dispatcher, wakeCh chan struct{}, kind string,
	claim func(context.Context, int) ([]T, error), process func(context.Context, T)) {
	sem := make(chan struct{}, d.opts.Concurrency)
	// A fixed set of workers rather than a goroutine per row: a delivery's
	// call path (gRPC to the plugin) is deep, and a fresh goroutine grows
	// and copies its stack on every row, about 4% of the host's CPU under
	// load. A worker's stack stays grown. The buffer holds every claimed row
	// (a row is only claimed for a free slot), so handing one over never
	// blocks; workers drain it before returning, as each row had its own
	// goroutine before.
	jobs := make(chan T, d.opts.Concurrency)
	var workers sync.WaitGroup
	for range d.opts.Concurrency {
		workers.Go(func() {
			for it := range jobs {
				process(work, it)
				<-sem
				wake(wakeCh)
			}
		})
	}
	defer func() {
		close(jobs)
		workers.Wait()
	}()
	timer := time.NewTimer(d.opts.PollInterval)
	defer timer.Stop()
	failures := 0
	for {
		if !awaitSlots(ctx, sem, wakeCh, timer, d.opts.ClaimWindow) {
			return
		}
		free := cap(sem) - len(sem)
		claimed := 0
		if free > 0 {
			items, err := claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				failures++
				d.log.Error("claim failed", "queue", kind, "error", err)
			} else {
				failures = 0
			}
			claimed = len(items)
			for _, it := range items {
				sem <- struct{}{}
				jobs <- it
			}
		}
		if ctx.Err() != nil {
			return
		}
		if claimed > 0 && claimed == free {
			continue // maybe more ready; capacity is full now, so the next pass waits
		}
		wait := d.opts.PollInterval
		if failures > 0 {
			wait = d.opts.Backoff.Next(failures)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-wakeCh:
		case <-timer.C:
		}
	}
}

// awaitSlots lets slots of busy workers gather before a claim: under load
// workers finish a few at a time (a completion group commits at once), and
// claiming for each as it frees costs one store transaction per row. It
// waits, at most window, while some but fewer than a quarter of the slots
// are free and others are still working; an idle loop claims at once. It
// reports false when ctx is done.
func awaitSlots(ctx context.Context, sem, wakeCh chan struct{}, timer *time.Timer, window time.Duration) bool {
	enough := max(1, cap(sem)/4)
	free := cap(sem) - len(sem)
	if free == 0 || free >= enough || len(sem) == 0 {
		return true
	}
	deadline := time.Now().Add(window)
	for free < enough && len(sem) > 0 {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		timer.Reset(left)
		select {
		case <-ctx.Done():
			return false
		case <-wakeCh:
		case <-timer.C:
		}
		free = cap(sem) - len(sem)
	}
	return true
}

// claimDeliveries claims the work of up to n lanes: a run of each when the
// store claims runs, else its head alone. Channels that are saturated or
// down are skipped (see channelGate); runs a claim returned beyond a
// channel's limit go back to their lanes, and the claim is made once more
// for the slots they left, now skipping that channel.
func (d *Dispatcher) claimDeliveries(ctx context.Context, n int) ([][]store.Delivery, error) {
	var out [][]store.Delivery
	for try := 0; try < 2 && n > 0; try++ {
		now := time.Now()
		opt := store.ClaimOptions{Owner: d.opts.Owner, Limit: n, Lease: d.opts.Lease, SkipChannels: d.gate.skip(now)}
		var rows []store.Delivery
		var err error
		if rc, ok := d.store.(store.RunClaimer); ok && d.opts.RunLength > 1 {
			rows, err = rc.ClaimDeliveryRuns(ctx, opt, d.opts.RunLength)
		} else {
			rows, err = d.store.ClaimDeliveries(ctx, opt)
		}
		var over []store.Delivery
		for _, run := range lanes(rows) {
			if d.gate.take(run[0].Channel, now) {
				out = append(out, run)
				n--
			} else {
				over = append(over, run...)
			}
		}
		if err != nil || len(over) == 0 {
			return out, err
		}
		d.release(ctx, over)
	}
	return out, nil
}

// lanes splits claimed rows into runs: the rows of a lane are adjacent.
func lanes(rows []store.Delivery) [][]store.Delivery {
	var runs [][]store.Delivery
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].Conversation.ID == rows[i].Conversation.ID && rows[j].Channel == rows[i].Channel {
			j++
		}
		runs = append(runs, rows[i:j:j])
		i = j
	}
	return runs
}

func (d *Dispatcher) claimReplies(ctx context.Context, n int) ([]store.OutgoingReply, error) {
	lease := d.opts.Lease + 3*d.opts.CallTimeout
	return d.store.ClaimReplies(ctx, store.ClaimOptions{Owner: d.opts.Owner, Limit: n, Lease: lease})
}

type nopObserver struct{}

func (nopObserver) Delivered(string, time.Duration) {}
func (nopObserver) DeliveryFailed(string, bool)     {}
func (nopObserver) ReplySent(string, time.Duration) {}
func (nopObserver) ReplyFailed(string, bool)        {}

// telegramOf returns the Telegram of bot.
func (d *Dispatcher) telegramOf(bot string) (Telegram, error) {
	if d.bots == nil {
		return d.telegram, nil
	}
	if tg, ok := d.bots(store.BotOr(bot)); ok {
		return tg, nil
	}
	return nil, fmt.Errorf("bot %q is not configured: the reply waits for it to come back", store.BotOr(bot))
}
