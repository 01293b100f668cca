package main

import (
	"reflect"
	"testing"
)

func TestParseBotShapes(t *testing.T) {
	got, err := parseBotShapes("polling:200, webhook:1000")
	if err != nil {
		t.Fatal(err)
	}
	want := []botsShape{{"polling", 200}, {"webhook", 1000}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseBotShapes = %v, want %v", got, want)
	}
	if got, err := parseBotShapes(""); err != nil || len(got) != 0 {
		t.Errorf(`parseBotShapes("") = %v, %v; want no rows`, got, err)
	}
	for _, bad := range []string{"webhook", "webhook:1", "poll:10", "webhook:x"} {
		if _, err := parseBotShapes(bad); err == nil {
			t.Errorf("parseBotShapes(%q) accepted it", bad)
		}
	}
}
