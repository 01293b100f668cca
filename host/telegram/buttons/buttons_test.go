package buttons

import (
	"errors"
	"strings"
	"testing"
)

func TestSignAndVerify(t *testing.T) {
	s := New([]byte("0123456789abcdef0123456789abcdef"))
	b := Button{Kind: "r", ID: "Ab3_x-9QzPk", Value: 4}
	data, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > MaxData {
		t.Fatalf("%q is %d bytes", data, len(data))
	}
	got, err := s.Verify(data)
	if err != nil || got != b {
		t.Fatalf("Verify(%q) = %+v, %v", data, got, err)
	}
	other := New([]byte("another host's key, also 32 byte"))
	body := data[:strings.LastIndexByte(data, '.')]
	for name, forged := range map[string]string{
		"score changed": strings.Replace(data, ".4.", ".5.", 1),
		"id changed":    strings.Replace(data, "Ab3", "Ab4", 1),
		"mac cut":       data[:len(data)-1],
		"no mac":        body,
		"another host":  func() string { d, _ := other.Sign(b); return d }(),
		"empty":         "",
		"plain text":    "5",
		"too long":      data + strings.Repeat("x", 64),
		"extra field":   "r.a.b.4." + data[strings.LastIndexByte(data, '.')+1:],
	} {
		if _, err := s.Verify(forged); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify(%q) = %v, want ErrInvalid", name, forged, err)
		}
	}
	if _, err := s.Sign(Button{Kind: "r", ID: "a.b", Value: 1}); err == nil {
		t.Error("an id with a dot was signed")
	}
}
