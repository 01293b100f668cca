package wire

import (
	"context"
	"fmt"
	"io"

	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fileChunkSize is the size of the data in one streamed FileChunk: well
// below gRPC's default 4 MiB message limit.
const fileChunkSize = 256 << 10

// FileMeta is what the first chunk of a file stream says about the file
// (sdk.FileInfo's fields).
type FileMeta struct {
	Name     string
	MIMEType string
	Size     int64
}

// SendChunks streams r as FileChunks, metadata in the first.
func SendChunks(r io.Reader, info FileMeta, send func(*channelv1.FileChunk) error) error {
	first := &channelv1.FileChunk{Name: info.Name, MimeType: info.MIMEType, Size: info.Size}
	buf := make([]byte, fileChunkSize)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			chunk := &channelv1.FileChunk{Data: append([]byte(nil), buf[:n]...)}
			if first != nil {
				first.Data, chunk = chunk.Data, first
				first = nil
			}
			if err := send(chunk); err != nil {
				return err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return status.Errorf(codes.Unavailable, "read file: %v", err)
		}
	}
	if first != nil { // empty file: still send the metadata
		return send(first)
	}
	return nil
}

// OpenChunkStream reads the first chunk (the metadata) and returns a
// reader over the rest.
func (c *Codec) OpenChunkStream(recv func() (*channelv1.FileChunk, error), cancel context.CancelFunc) (io.ReadCloser, FileMeta, error) {
	first, err := recv()
	if err != nil {
		cancel()
		if err == io.EOF {
			return nil, FileMeta{}, fmt.Errorf("file stream ended before its metadata")
		}
		return nil, FileMeta{}, c.FromStatus(err)
	}
	info := FileMeta{Name: first.GetName(), MIMEType: first.GetMimeType(), Size: first.GetSize()}
	return &chunkReader{codec: c, recv: recv, cancel: cancel, buf: first.GetData()}, info, nil
}

type chunkReader struct {
	codec  *Codec
	recv   func() (*channelv1.FileChunk, error)
	cancel context.CancelFunc
	buf    []byte
	err    error
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		chunk, err := c.recv()
		if err != nil {
			if err == io.EOF {
				c.err = io.EOF
			} else {
				c.err = c.codec.FromStatus(err)
			}
			continue
		}
		c.buf = chunk.GetData()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *chunkReader) Close() error {
	c.cancel()
	return nil
}
