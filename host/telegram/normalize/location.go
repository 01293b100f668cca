package normalize

import (
	"math"
	"strconv"

	"github.com/mymmrac/telego"
	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

// location converts a Telegram location and links it on OpenStreetMap.
func location(l telego.Location) sdk.Location {
	return sdk.Location{
		Latitude:  l.Latitude,
		Longitude: l.Longitude,
		MapURL:    format.MapLink(l.Latitude, l.Longitude),
	}
}

func coordinates(l sdk.Location) string {
	return coord(l.Latitude) + ", " + coord(l.Longitude)
}

// coord prints a coordinate with at most 6 decimals (about 10 cm), which is
// more than a phone's GPS knows.
func coord(f float64) string {
	return strconv.FormatFloat(math.Round(f*1e6)/1e6, 'f', -1, 64)
}
