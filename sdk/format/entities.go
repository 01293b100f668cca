package format

import (
	"net/url"
	"sort"
	"strings"
	"unicode"

	"github.com/parley-dev/parley/sdk"
)

// The entity types the renderers understand; any other type (mention,
// hashtag, phone_number, ...) is rendered as its plain text.
const (
	entBold        = "bold"
	entItalic      = "italic"
	entUnderline   = "underline"
	entStrike      = "strikethrough"
	entSpoiler     = "spoiler"
	entCode        = "code"
	entPre         = "pre"
	entTextLink    = "text_link"
	entURL         = "url"
	entBlockquote  = "blockquote"
	entExpandQuote = "expandable_blockquote"
	entEmail       = "email"
)

// rank orders entities that cover the same span, outermost first, so that
// same-span entities always nest the same way (a quote around a link around
// bold around code).
var rank = map[string]int{
	entBlockquote: 0, entExpandQuote: 0, entPre: 1, entTextLink: 2, entURL: 2, entEmail: 2,
	entBold: 3, entItalic: 4, entUnderline: 5, entStrike: 6, entSpoiler: 7, entCode: 8,
}

// dialect is one target markup. The renderer handles nesting and overlap;
// a dialect only says how to escape text and how to wrap one entity.
type dialect struct {
	// escape renders plain text; inCode is true inside code and pre.
	escape func(s string, inCode bool) string
	// wrap renders entity e around its already rendered content; raw is the
	// same content as plain text. It returns inner unchanged to drop e.
	wrap func(e sdk.Entity, inner, raw string) string
	// atomic reports entities whose content cannot hold other entities.
	atomic func(e sdk.Entity) bool
	// trimSpace moves leading and trailing spaces out of entities: marker
	// dialects ("*bold*") do not render "* bold *".
	trimSpace bool
	// known reports whether the dialect renders entities of this type.
	known func(typ string) bool
}

// frame is one open entity while rendering.
type frame struct {
	idx   int
	inner strings.Builder
	raw   strings.Builder
}

// render draws text with entities in dialect d. It walks the text in
// segments between entity boundaries and keeps a stack of open entities;
// when the active set changes it closes entities down to the longest
// common prefix and reopens the rest, so overlapping entities become
// correctly nested markup instead of crossed tags.
func render(text string, entities []sdk.Entity, d dialect) string {
	runes := []rune(text)
	ents := normalize(runes, entities, d)
	if len(ents) == 0 {
		return d.escape(text, false)
	}
	cuts := map[int]bool{0: true, len(runes): true}
	for _, e := range ents {
		cuts[e.Offset] = true
		cuts[e.Offset+e.Length] = true
	}
	points := make([]int, 0, len(cuts))
	for p := range cuts {
		points = append(points, p)
	}
	sort.Ints(points)

	root := &frame{idx: -1}
	stack := []*frame{root}
	closeTop := func() {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		parent := stack[len(stack)-1]
		parent.inner.WriteString(wrapFrame(d, ents[f.idx], f.inner.String(), f.raw.String()))
		parent.raw.WriteString(f.raw.String())
	}
	for i := 0; i+1 < len(points); i++ {
		start, end := points[i], points[i+1]
		var active []int
		for j, e := range ents {
			if e.Offset <= start && e.Offset+e.Length >= end {
				active = append(active, j)
				if d.atomic(e) {
					break // nothing renders inside code
				}
			}
		}
		common := 0
		for common < len(active) && common+1 < len(stack) && stack[common+1].idx == active[common] {
			common++
		}
		for len(stack) > common+1 {
			closeTop()
		}
		for _, j := range active[common:] {
			stack = append(stack, &frame{idx: j})
		}
		seg := string(runes[start:end])
		top := stack[len(stack)-1]
		inCode := false
		for _, f := range stack[1:] {
			if t := ents[f.idx].Type; t == entCode || t == entPre {
				inCode = true
			}
		}
		top.inner.WriteString(d.escape(seg, inCode))
		top.raw.WriteString(seg)
	}
	for len(stack) > 1 {
		closeTop()
	}
	return root.inner.String()
}

// normalize clamps entities to the text, drops empty and unknown ones, and
// sorts them outermost first.
func normalize(runes []rune, entities []sdk.Entity, d dialect) []sdk.Entity {
	n := len(runes)
	out := make([]sdk.Entity, 0, len(entities))
	for _, e := range entities {
		if !d.known(e.Type) || e.Length <= 0 || e.Offset >= n || e.Offset+e.Length <= 0 {
			continue
		}
		if e.Offset < 0 {
			e.Length += e.Offset
			e.Offset = 0
		}
		if e.Offset+e.Length > n || e.Offset+e.Length < 0 { // the second catches overflow
			e.Length = n - e.Offset
		}
		if d.trimSpace && e.Type != entPre && e.Type != entCode {
			for e.Length > 0 && unicode.IsSpace(runes[e.Offset]) {
				e.Offset++
				e.Length--
			}
			for e.Length > 0 && unicode.IsSpace(runes[e.Offset+e.Length-1]) {
				e.Length--
			}
		}
		if e.Length > 0 {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		if a.Length != b.Length {
			return a.Length > b.Length
		}
		return rank[a.Type] < rank[b.Type]
	})
	return out
}

func isOneOf(typ string, types ...string) bool {
	for _, t := range types {
		if typ == t {
			return true
		}
	}
	return false
}

// safeURL reports whether a link target may be rendered as a link: only
// schemes a chat client opens safely, never javascript: and friends.
func safeURL(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto", "tg":
		return true
	}
	return false
}

// linkTarget is the URL an entity links to, or "" when it links nowhere.
func linkTarget(e sdk.Entity, raw string) string {
	var target string
	switch e.Type {
	case entTextLink:
		target = e.URL
	case entURL:
		target = raw
		if !strings.Contains(target, "://") {
			target = "https://" + target
		}
	case entEmail:
		target = "mailto:" + raw
	}
	if target == "" || !safeURL(target) {
		return ""
	}
	return strings.TrimSpace(target)
}

func isCode(e sdk.Entity) bool { return e.Type == entCode || e.Type == entPre }

// wrapFrame wraps one closed entity. Marker dialects keep the whitespace at
// either end outside the markers: an entity reopened after an overlap can
// start with a space, and "* bold*" would not render.
func wrapFrame(d dialect, e sdk.Entity, inner, raw string) string {
	if !d.trimSpace || isCode(e) {
		return d.wrap(e, inner, raw)
	}
	core := strings.TrimLeftFunc(inner, unicode.IsSpace)
	lead := inner[:len(inner)-len(core)]
	trimmed := strings.TrimRightFunc(core, unicode.IsSpace)
	trail := core[len(trimmed):]
	if trimmed == "" {
		return inner
	}
	return lead + d.wrap(e, trimmed, strings.TrimSpace(raw)) + trail
}
