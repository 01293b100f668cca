package format

import (
	"fmt"
	"math"
	"strconv"
)

// MapLink is an OpenStreetMap link showing a pin at the point.
func MapLink(lat, lon float64) string {
	la, lo := coord(lat), coord(lon)
	return "https://www.openstreetmap.org/?mlat=" + la + "&mlon=" + lo + "#map=16/" + la + "/" + lo
}

// coord prints a coordinate with at most 6 decimals (about 10 cm), without
// trailing zeros.
func coord(v float64) string {
	return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// HumanSize prints a file size the way chat apps do: "512 B", "1.5 KB",
// "25.0 MB", in multiples of 1024 (Telegram's "20 MB" limit is 20 MiB).
// go-humanize prints SI units or "MiB", neither of which matches, hence
// these few lines.
func HumanSize(bytes int64) string {
	if bytes < 1024 {
		return strconv.FormatInt(bytes, 10) + " B"
	}
	v := float64(bytes)
	units := []string{"KB", "MB", "GB", "TB", "PB", "EB"}
	unit := ""
	for _, u := range units {
		v /= 1024
		unit = u
		if v < 1023.95 { // would print as "1024.0"
			break
		}
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
