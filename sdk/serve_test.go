package sdk

import (
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/parley-dev/parley/sdk/grpcplugin"
)

func TestPluginLogLevelFollowsEnvironment(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want hclog.Level
	}{
		{"", hclog.Trace},
		{"info", hclog.Info},
		{"DEBUG", hclog.Debug},
		{"warn", hclog.Warn},
		{"loud", hclog.Trace},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(grpcplugin.LogLevelEnv, tc.env)
			if got := levelFromEnv(); got != tc.want {
				t.Errorf("%s=%q: level %s, want %s", grpcplugin.LogLevelEnv, tc.env, got, tc.want)
			}
		})
	}
}
