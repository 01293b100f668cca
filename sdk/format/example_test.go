package format_test

import (
	"fmt"

	"github.com/parley-dev/parley/sdk"
	"github.com/parley-dev/parley/sdk/format"
)

func ExampleToSlackMrkdwn() {
	msg := sdk.Message{
		Text: "Order #42 is late, see tracking",
		Entities: []sdk.Entity{
			{Type: "bold", Offset: 0, Length: 9},
			{Type: "text_link", Offset: 23, Length: 8, URL: "https://track.example/42"},
		},
	}
	fmt.Println(format.ToSlackMrkdwn(msg.Text, msg.Entities))
	// Output: *Order #42* is late, see <https://track.example/42|tracking>
}

func ExampleToTelegramHTML() {
	fmt.Println(format.ToTelegramHTML("a < b, bold", []sdk.Entity{{Type: "bold", Offset: 7, Length: 4}}))
	// Output: a &lt; b, <b>bold</b>
}

func ExampleToHTML() {
	fmt.Println(format.ToHTML("Hi,\nmy order", []sdk.Entity{{Type: "italic", Offset: 7, Length: 5}}))
	// Output: Hi,<br>my <em>order</em>
}

func ExampleToMarkdown() {
	fmt.Println(format.ToMarkdown("use x_y please", []sdk.Entity{{Type: "code", Offset: 4, Length: 3}}))
	// Output: use `x_y` please
}

func ExampleHTMLToTelegram() {
	body := `<div>Hi Ivan,</div><div><br></div><div>Your order <b>ships today</b> &amp; arrives:</div>` +
		`<ul><li>Monday</li><li>Tuesday</li></ul><script>track()</script>`
	fmt.Println(format.HTMLToTelegram(body))
	// Output:
	// Hi Ivan,
	//
	// Your order <b>ships today</b> &amp; arrives:
	//
	// • Monday
	// • Tuesday
}

func ExampleSlackMrkdwnToTelegramHTML() {
	fmt.Println(format.SlackMrkdwnToTelegramHTML("*Done*, <@U024BE7LH|anna> fixed it: <https://status.example|status>"))
	// Output: <b>Done</b>, @anna fixed it: <a href="https://status.example">status</a>
}

func ExampleSplit() {
	for _, part := range format.Split("First paragraph.\n\nSecond paragraph.", 20) {
		fmt.Printf("%q\n", part)
	}
	// Output:
	// "First paragraph."
	// "Second paragraph."
}

func ExampleSplitHTML() {
	for _, part := range format.SplitHTML("<b>bold words <i>and italic</i></b>", 11) {
		fmt.Println(part)
	}
	// Output:
	// <b>bold words</b>
	// <b><i>and italic</i></b>
}

func ExampleTruncate() {
	fmt.Println(format.Truncate("A very long subject line", 12))
	// Output: A very long…
}

func ExampleEscapeHTML() {
	fmt.Println(format.EscapeHTML(`Tom & "Jerry" <3`))
	// Output: Tom &amp; "Jerry" &lt;3
}

func ExampleStripHTML() {
	fmt.Println(format.StripHTML("<p>Fish &amp; <b>chips</b></p>"))
	// Output: Fish & chips
}

func ExampleMapLink() {
	fmt.Println(format.MapLink(51.5007, -0.1246))
	// Output: https://www.openstreetmap.org/?mlat=51.5007&mlon=-0.1246#map=16/51.5007/-0.1246
}

func ExampleHumanSize() {
	fmt.Println(format.HumanSize(25 << 20))
	// Output: 25.0 MB
}
