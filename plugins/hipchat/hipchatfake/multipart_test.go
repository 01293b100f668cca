package hipchatfake

import "testing"

func TestShareFileAcceptsWhatRealClientsSent(t *testing.T) {
	const ct = "multipart/related; boundary=hipfileboundary"
	tests := []struct {
		name, body, caption, data string
	}{
		{"CRLF base64 with terminator",
			"--hipfileboundary\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Disposition: attachment; name=\"metadata\"\r\n\r\n{\"message\":\"#42 label\"}\r\n--hipfileboundary\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; name=\"file\"; filename=\"a.txt\"\r\n\r\naGVs\r\nbG8=\r\n--hipfileboundary--\r\n",
			"#42 label", "hello"},
		{"LF raw without terminator or metadata",
			"--hipfileboundary\nContent-Type: text/plain\nContent-Disposition: attachment; name=\"file\"; filename=\"a.txt\"\n\nhello\n",
			"", "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caption, f, err := parseShare(ct, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if caption != tt.caption || string(f.Data) != tt.data || f.Name != "a.txt" {
				t.Errorf("caption %q, file %q %q", caption, f.Name, f.Data)
			}
		})
	}
	if _, _, err := parseShare(ct, []byte("--hipfileboundary\nContent-Disposition: attachment; name=\"metadata\"\n\n{}\n")); err == nil {
		t.Error("a share without a file part was accepted")
	}
}
