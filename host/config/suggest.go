package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/agnivade/levenshtein"
)

// unknown reports a key the schema does not have, suggesting the nearest
// valid key at the same level when one is close enough to be a typo.
func (d *decoder) unknown(path []string, valid []string) {
	key := path[len(path)-1]
	if s := suggest(key, valid); s != "" {
		d.add(path, "unknown key", fmt.Sprintf("did you mean %q?", s))
		return
	}
	sorted := slices.Sorted(slices.Values(valid))
	d.add(path, "unknown key", "valid keys here: "+strings.Join(sorted, ", "))
}

// suggest returns the valid key nearest to key by Levenshtein distance, or
// "" when none is within two edits or a third of the key's length.
func suggest(key string, valid []string) string {
	best, bestDist := "", -1
	for _, v := range slices.Sorted(slices.Values(valid)) {
		dist := levenshtein.ComputeDistance(strings.ToLower(key), v)
		if bestDist < 0 || dist < bestDist {
			best, bestDist = v, dist
		}
	}
	if bestDist < 0 || (bestDist > 2 && bestDist > len(key)/3) {
		return ""
	}
	return best
}
