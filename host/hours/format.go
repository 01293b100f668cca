package hours

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// language holds what Format needs to write a time in one language. A
// small table rather than golang.org/x/text: x/text has no date
// formatting (no CLDR weekday or month names), and a full CLDR library
// would be a large dependency for three phrases.
type language struct {
	weekdays [7]string  // Sunday first
	months   [12]string // January first; the form used after a day number
	today    string     // %s is the time
	tomorrow string
	// other writes a later day.
	other func(weekday string, day int, month, clock string) string
}

var languages = map[string]language{
	"en": {
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		months:   [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		today:    "today at %s", tomorrow: "tomorrow at %s",
		other: func(w string, d int, m, c string) string { return fmt.Sprintf("%s, %d %s at %s", w, d, m, c) },
	},
	"de": {
		weekdays: [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		months:   [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		today:    "heute um %s Uhr", tomorrow: "morgen um %s Uhr",
		other: func(w string, d int, m, c string) string { return fmt.Sprintf("%s, %d. %s um %s Uhr", w, d, m, c) },
	},
	"fr": {
		weekdays: [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
		months:   [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		today:    "aujourd’hui à %s", tomorrow: "demain à %s",
		other: func(w string, d int, m, c string) string { return fmt.Sprintf("%s %d %s à %s", w, d, m, c) },
	},
	"es": {
		weekdays: [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		months:   [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		today:    "hoy a las %s", tomorrow: "mañana a las %s",
		other: func(w string, d int, m, c string) string { return fmt.Sprintf("el %s %d de %s a las %s", w, d, m, c) },
	},
	"it": {
		weekdays: [7]string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"},
		months:   [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
		today:    "oggi alle %s", tomorrow: "domani alle %s",
		other: func(w string, d int, m, c string) string { return fmt.Sprintf("%s %d %s alle %s", w, d, m, c) },
	},
	"ru": {
		weekdays: [7]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"},
		// Genitive, as after a day number: "7 декабря".
		months: [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"},
		today:  "сегодня в %s", tomorrow: "завтра в %s",
		other: func(w string, d int, m, c string) string { return fmt.Sprintf("%s, %d %s, в %s", w, d, m, c) },
	},
}

// Languages are the languages Format writes, sorted.
func Languages() []string {
	out := make([]string, 0, len(languages))
	for l := range languages {
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// HasLanguage reports whether Format writes lang (a base language code,
// "de").
func HasLanguage(lang string) bool {
	_, ok := languages[lang]
	return ok
}

// BaseLanguage is the base of a Telegram language code in lower case:
// "de" for "de-AT", "pt" for "pt-br".
func BaseLanguage(code string) string {
	code = strings.ToLower(strings.TrimSpace(code))
	if i := strings.IndexAny(code, "-_"); i >= 0 {
		code = code[:i]
	}
	return code
}

// Format writes when, as seen at now, in the schedule's time zone and in
// lang (English when Format does not write lang): "today at 09:00",
// "tomorrow at 09:00", "Monday, 7 December at 09:00".
func (s *Schedule) Format(when, now time.Time, lang string) string {
	l, ok := languages[lang]
	if !ok {
		l = languages["en"]
	}
	when, now = when.In(s.loc), now.In(s.loc)
	c := when.Format("15:04")
	y, m, d := now.Date()
	switch dateOf(when) {
	case Date{y, m, d}:
		return fmt.Sprintf(l.today, c)
	case dateOf(time.Date(y, m, d+1, 12, 0, 0, 0, s.loc)):
		return fmt.Sprintf(l.tomorrow, c)
	}
	return l.other(l.weekdays[when.Weekday()], when.Day(), l.months[when.Month()-1], c)
}
