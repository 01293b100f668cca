package hipchatchannel_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-dev/parley/plugins/hipchat/hipchatfake"
	"github.com/parley-dev/parley/plugins/hipchat/internal/hipchatchannel"
	"github.com/parley-dev/parley/sdk"
)

// TestWebhookJWTTimes checks exp and iat against the channel's clock, with
// 30 s of skew: an expired token, one issued more than 5 minutes ago and
// one issued in the future are refused with 401 and store nothing.
func TestWebhookJWTTimes(t *testing.T) {
	fake, err := hipchatfake.New(hipchatfake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	now := time.Date(2026, 5, 6, 10, 0, 0, 0, time.UTC)
	const oauthSecret, clientID = "addon-oauth-secret-0123456789", "b80f3c24-76ce-442a-9499-33dd895ccebf"
	at := func(n float64) *jwt.NumericDate {
		return jwt.NewNumericDate(now.Add(time.Duration(n * float64(time.Minute))))
	}

	tests := []struct {
		name     string
		iat, exp *jwt.NumericDate
		status   int
	}{
		{"fresh", at(0), at(5), 204},
		{"issued 4 minutes ago", at(-4), at(1), 204},
		{"expired 10 s ago, within skew", at(-1), at(-10.0 / 60), 204},
		{"issued 20 s ahead, within skew", at(20.0 / 60), at(5), 204},
		{"expired", at(-3), at(-1), 401},
		{"issued 6 minutes ago, exp ahead", at(-6), at(60), 401},
		{"issued an hour ago, exp ahead", at(-60), at(60), 401},
		{"issued 2 minutes in the future", at(2), at(7), 401},
		{"no iat", nil, at(5), 401},
		{"no exp", at(0), nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &testHost{known: map[string]bool{"42": true}}
			ch := hipchatchannel.New(hipchatchannel.Options{Version: "test", Now: func() time.Time { return now }})
			cfg := mustJSON(t, map[string]any{"server_url": fake.URL(), "room": itoa(fake.RoomID()), "token": fake.Token(), "webhook_secret": oauthSecret})
			if resp, err := ch.Configure(context.Background(), sdk.ConfigureRequest{ChannelName: "hipchat", Config: cfg, Host: host}); err != nil || len(resp.Errors) > 0 {
				t.Fatalf("Configure: %v %v", err, resp.Errors)
			}
			claims := jwt.MapClaims{"iss": clientID, "sub": "3450167", "jti": "jti-" + tt.name,
				"context": map[string]any{"room_id": fake.RoomID(), "user_tz": "UTC"}}
			if tt.iat != nil {
				claims["iat"] = tt.iat
			}
			if tt.exp != nil {
				claims["exp"] = tt.exp
			}
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(oauthSecret))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{
				"event": "room_message", "oauth_client_id": clientID, "webhook_id": 4694751,
				"item": map[string]any{
					"message": map[string]any{"id": "2b7b3ba8-" + strconv.Itoa(len(tt.name)), "type": "message", "message": "#42 Your parcel ships today",
						"from": map[string]any{"id": 3450167, "name": "Anna Agent", "mention_name": "AnnaAgent"}},
					"room": map[string]any{"id": fake.RoomID(), "name": "Support"},
				},
			})
			resp, err := ch.HandleWebhook(context.Background(), sdk.WebhookRequest{Method: "POST", Path: "",
				Header: map[string][]string{"Authorization": {"JWT " + tok}}, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.status {
				t.Errorf("status %d, want %d", resp.Status, tt.status)
			}
			if got := len(host.Replies()); (got == 1) != (tt.status == 204) {
				t.Errorf("%d replies stored", got)
			}
		})
	}
}
