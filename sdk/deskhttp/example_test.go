package deskhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/deskhttp"
)

// post is how a plugin's Deliver calls its desk.
func post(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return sdk.Permanent(err)
	}
	resp, err := client.Do(req)
	if err := deskhttp.Check(resp, err); err != nil {
		return err // marked for the host: retry later, retry with backoff, or give up
	}
	defer resp.Body.Close()
	// ... decode the desk's answer ...
	return nil
}

func ExampleCheck() {
	desk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer desk.Close()

	client := deskhttp.NewClient("mydesk", sdk.BuildVersion())
	err := post(context.Background(), client, desk.URL+"/messages?api_key=secret")
	wait, _ := sdk.RetryHint(err)
	fmt.Println(err)
	fmt.Println("retry in", wait, "permanent:", sdk.IsPermanent(err))
	// Output:
	// 127.0.0.1 answered 429 Too Many Requests
	// retry in 30s permanent: false
}

func ExampleParseRetryAfter() {
	now, _ := http.ParseTime("Fri, 04 Dec 2026 10:00:00 GMT")
	for _, v := range []string{"120", "Fri, 04 Dec 2026 10:00:45 GMT", "later"} {
		d, ok := deskhttp.ParseRetryAfter(v, now)
		fmt.Println(d, ok)
	}
	fmt.Println("unusable: wait", deskhttp.FallbackRetryAfter)
	// Output:
	// 2m0s true
	// 45s true
	// 0s false
	// unusable: wait 30s
}
