package helpscoutchannel_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-dev/parley/plugins/helpscout/helpscoutfake"
	"github.com/parley-dev/parley/sdk"
)

func fileMessage(id string, atts ...sdk.Attachment) sdk.Message {
	return sdk.Message{ID: id, Kind: sdk.KindDocument, Text: "see attached", Attachments: atts}
}

func TestFiles(t *testing.T) {
	pdf := bytes.Repeat([]byte("%PDF-1.7 parley "), 1000)
	small := sdk.Attachment{Kind: "document", Name: `invoice "May".pdf`, MIMEType: "application/pdf", Size: int64(len(pdf)),
		FileRef: "f-pdf", URL: "http://127.0.0.1/files/signed-pdf"}
	big := sdk.Attachment{Kind: "video", Name: "clip.mp4", MIMEType: "video/mp4", Size: 15 << 20,
		FileRef: "f-big", URL: "http://127.0.0.1/files/signed-big"}
	huge := sdk.Attachment{Kind: "document", Name: "backup.zip", Size: 25 << 20, TooLarge: true, FileRef: "f-huge"}

	tests := []struct {
		name     string
		upload   bool
		att      sdk.Attachment
		fault    *helpscoutfake.Fault
		attached bool
		wantText []string
	}{
		{"linked by default", false, small, nil, false, []string{`<a href="http://127.0.0.1/files/signed-pdf">invoice &#34;May&#34;.pdf</a>`}},
		{"uploaded when asked", true, small, nil, true, nil},
		{"over Help Scout's limit: link and note", true, big, nil, false, []string{"signed-big", "not attached: over Help Scout"}},
		{"too large for Telegram: alert", true, huge, nil, false, []string{"⚠️", "backup.zip", "too large"}},
		{"upload refused (413): link", true, small, &helpscoutfake.Fault{Method: "POST", Path: "/customer$", Status: http.StatusRequestEntityTooLarge}, false,
			[]string{"signed-pdf", "Help Scout refused the upload"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, func(c map[string]any) { c["upload_files"] = tt.upload })
			e.host.AddFile("f-pdf", small.Name, small.MIMEType, pdf)
			ref := e.mustDeliver(t, text("m1", "hello"), nil)
			if tt.fault != nil {
				if err := e.fake.Inject(*tt.fault); err != nil {
					t.Fatal(err)
				}
			}
			e.mustDeliver(t, fileMessage("m2", tt.att), ref)
			threads := e.conversation(t, ref).CustomerThreads()
			th := threads[len(threads)-1]
			if tt.attached {
				if len(th.Files) != 1 || !bytes.Equal(th.Files[0].Data, pdf) || th.Files[0].Name != small.Name || th.Files[0].MIMEType != "application/pdf" {
					t.Fatalf("thread files = %d, want the PDF byte for byte", len(th.Files))
				}
			} else if len(th.Files) != 0 {
				t.Errorf("thread has %d files, want none", len(th.Files))
			}
			for _, w := range tt.wantText {
				if !strings.Contains(th.Text, w) {
					t.Errorf("thread text %q lacks %q", th.Text, w)
				}
			}
		})
	}
}

func TestFirstMessageWithPhotoUploadsIt(t *testing.T) {
	e := setup(t, func(c map[string]any) { c["upload_files"] = true })
	jpg := []byte("\xff\xd8\xff\xe0 fake jpeg")
	e.host.AddFile("f-photo", "photo.jpg", "image/jpeg", jpg)
	ref := e.mustDeliver(t, sdk.Message{ID: "p", Kind: sdk.KindPhoto, Attachments: []sdk.Attachment{
		{Kind: "photo", MIMEType: "image/jpeg", Size: int64(len(jpg)), FileRef: "f-photo", URL: "http://127.0.0.1/files/x"}}}, nil)
	th := e.conversation(t, ref).Threads[0]
	if len(th.Files) != 1 || th.Files[0].Name != "photo.jpg" || !bytes.Equal(th.Files[0].Data, jpg) {
		t.Errorf("first thread files = %+v", th.Files)
	}
}

func TestUploadIsReplayedAfterTokenRefresh(t *testing.T) {
	e := setup(t, func(c map[string]any) { c["upload_files"] = true })
	data := bytes.Repeat([]byte("0123456789"), 5000)
	e.host.AddFile("f", "data.bin", "application/octet-stream", data)
	ref := e.mustDeliver(t, text("m1", "hello"), nil)
	e.fake.ExpireTokens() // the upload is answered 401, then sent again with a new token
	e.mustDeliver(t, fileMessage("m2", sdk.Attachment{Name: "data.bin", Size: int64(len(data)), FileRef: "f", URL: "http://127.0.0.1/f"}), ref)
	threads := e.conversation(t, ref).CustomerThreads()
	if th := threads[len(threads)-1]; len(th.Files) != 1 || !bytes.Equal(th.Files[0].Data, data) {
		t.Errorf("replayed upload lost the file: %d files", len(th.Files))
	}
}
