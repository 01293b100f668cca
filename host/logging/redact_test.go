package logging

import "testing"

// A secret a config reload brings is redacted from then on, and the ones
// known before still are.
func TestRedactorLearnsSecrets(t *testing.T) {
	r := NewRedactor([]string{"first-secret-value"})
	if got := r.Redact("new-secret-value"); got != "new-secret-value" {
		t.Fatalf("redacted an unknown value: %q", got)
	}
	r.Add("new-secret-value", "")
	got := r.Redact("first-secret-value and new-secret-value")
	if got != Redacted+" and "+Redacted {
		t.Errorf("Redact = %q, want both secrets redacted", got)
	}
}
