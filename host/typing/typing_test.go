package typing

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// recorder records when each chat action was sent, in seconds since start.
type recorder struct {
	mu    sync.Mutex
	start time.Time
	at    map[int64][]int
}

func (r *recorder) send(_ context.Context, chat int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at[chat] = append(r.at[chat], int(time.Since(r.start)/time.Second))
	return nil
}

func (r *recorder) sent(chat int64) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.at[chat])
}

func run(t *testing.T, script func(k *Keeper, at func(sec int)), want map[int64][]int) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{start: time.Now(), at: map[int64][]int{}}
		k := New(r.send, nil)
		at := func(sec int) {
			time.Sleep(time.Until(r.start.Add(time.Duration(sec) * time.Second)))
			synctest.Wait()
		}
		script(k, at)
		at(120)
		k.Close()
		for chat, w := range want {
			if got := r.sent(chat); !slices.Equal(got, w) {
				t.Errorf("chat %d: chat actions at %v s, want %v", chat, got, w)
			}
		}
	})
}

func TestOneTypingActionLastsThirtySeconds(t *testing.T) {
	run(t, func(k *Keeper, at func(int)) { k.Start(1) }, map[int64][]int{1: {0, 4, 8, 12, 16, 20, 24, 28}})
}

func TestRepeatedTypingExtendsButKeepsTheRate(t *testing.T) {
	run(t, func(k *Keeper, at func(int)) {
		k.Start(1)
		at(1)
		k.Start(1)
		k.Start(1)
		at(10)
		k.Start(1) // until 40
		k.Start(2)
	}, map[int64][]int{1: {0, 4, 8, 12, 16, 20, 24, 28, 32, 36}, 2: {10, 14, 18, 22, 26, 30, 34, 38}})
}

func TestAReplyStopsTyping(t *testing.T) {
	run(t, func(k *Keeper, at func(int)) {
		k.Start(1)
		at(5)
		k.Stop(1)
		at(6)
		k.Start(1) // within the interval of the last action: waits for it
		at(9)
		k.Stop(1)
	}, map[int64][]int{1: {0, 4, 8}})
}
