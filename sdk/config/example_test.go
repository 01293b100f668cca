package config_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/config"
)

// deskConfig is a plugin's config table; each tag names a declared key.
type deskConfig struct {
	Token   string        `config:"token"`
	APIURL  *url.URL      `config:"api_url"`
	Timeout time.Duration `config:"timeout"`
}

// deskKeys is what Describe returns as ConfigKeys.
var deskKeys = []sdk.ConfigKey{
	{Name: "token", Description: "API token", Required: true, Secret: true},
	{Name: "api_url", Description: "API base URL", Default: "https://desk.example.com/api/"},
	{Name: "timeout", Description: "How long one API call may take", Default: "10s"},
}

// configure is the Decode part of a plugin's Configure.
func configure(_ context.Context, req sdk.ConfigureRequest) (sdk.ConfigureResponse, error) {
	var cfg deskConfig
	problems, err := config.Decode(req.Config, deskKeys, &cfg)
	if err != nil || len(problems) > 0 {
		return sdk.ConfigureResponse{Errors: problems}, err
	}
	fmt.Println("configured:", cfg.APIURL.Host, cfg.Timeout)
	return sdk.ConfigureResponse{}, nil
}

func ExampleDecode() {
	configure(context.Background(), sdk.ConfigureRequest{Config: json.RawMessage(`{"token": "t0ken"}`)})

	resp, _ := configure(context.Background(), sdk.ConfigureRequest{
		Config: json.RawMessage(`{"token": "", "timeout": "soon", "api_ur": "https://x.example"}`)})
	for _, e := range resp.Errors {
		fmt.Println(e)
	}
	// Output:
	// configured: desk.example.com 10s
	// token: is required: API token
	// timeout: want a duration such as "10s" or "2m", got "soon"
	// api_ur: unknown key; did you mean "api_url"?
}
