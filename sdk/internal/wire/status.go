package wire

// The one place errors are mapped to gRPC status codes and back.
//
//	RetryAfter(err, d)  <-> Unavailable + google.rpc.RetryInfo
//	  ... wrapping the host's rate-limit error -> ResourceExhausted + google.rpc.RetryInfo
//	Permanent(err)      <-> InvalidArgument (never retried)
//	ErrNotConfigured    <-> FailedPrecondition + ErrorInfo NOT_CONFIGURED
//	context errors      <-> Canceled / DeadlineExceeded
//	anything else       <-> Unknown (retried with backoff)

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	channelv1 "github.com/parley-dev/parley/proto/parley/channel/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	errorDomain         = "parley.channel.v1"
	reasonNotConfigured = "NOT_CONFIGURED"
)

// Codec maps errors across the boundary with package sdk's error markers,
// which this package cannot import: each side fills one in from sdk's
// exported functions, so both map errors the same way.
type Codec struct {
	// RetryAfter, RetryHint, Permanent and IsPermanent are sdk's.
	RetryAfter  func(error, time.Duration) error
	RetryHint   func(error) (time.Duration, bool)
	Permanent   func(error) error
	IsPermanent func(error) bool
	// NotConfigured is sdk.ErrNotConfigured.
	NotConfigured error
	// RateLimited is the host's rate-limit error, which crosses as
	// ResourceExhausted; nil on the plugin side, whose errors never wrap it.
	RateLimited error
	// Remote makes an *sdk.RemoteError: what an error from the other side
	// becomes.
	Remote func(code, message string) error
}

// ToStatus converts a channel's error into a gRPC status error, scrubbing
// secrets from its message first.
func (c *Codec) ToStatus(err error, scrub func(string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if scrub != nil {
		msg = scrub(msg)
	}
	if d, ok := c.RetryHint(err); ok {
		code := codes.Unavailable
		if c.RateLimited != nil && errors.Is(err, c.RateLimited) {
			code = codes.ResourceExhausted
		}
		st := status.New(code, msg)
		if withInfo, e := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)}); e == nil {
			st = withInfo
		}
		return st.Err()
	}
	switch {
	case c.IsPermanent(err):
		return status.Error(codes.InvalidArgument, msg)
	case errors.Is(err, c.NotConfigured):
		st := status.New(codes.FailedPrecondition, msg)
		if withInfo, e := st.WithDetails(&errdetails.ErrorInfo{Reason: reasonNotConfigured, Domain: errorDomain}); e == nil {
			st = withInfo
		}
		return st.Err()
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, msg)
	}
	if _, ok := status.FromError(err); ok {
		return status.Error(status.Code(err), msg)
	}
	return status.Error(codes.Unknown, msg)
}

// FromStatus converts a gRPC error from the other side back into the SDK's
// error markers, so callers use RetryHint, IsPermanent and errors.Is alike
// on both sides of the boundary.
func (c *Codec) FromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	base := c.Remote(st.Code().String(), st.Message())
	switch st.Code() {
	case codes.Unavailable, codes.ResourceExhausted:
		var d time.Duration
		for _, det := range st.Details() {
			if ri, ok := det.(*errdetails.RetryInfo); ok {
				d = ri.GetRetryDelay().AsDuration()
			}
		}
		return c.RetryAfter(base, d)
	case codes.InvalidArgument:
		return c.Permanent(base)
	case codes.FailedPrecondition:
		for _, det := range st.Details() {
			if ei, ok := det.(*errdetails.ErrorInfo); ok && ei.GetReason() == reasonNotConfigured {
				return fmt.Errorf("%w: %s", c.NotConfigured, st.Message())
			}
		}
	case codes.Canceled:
		return fmt.Errorf("%w: %s", context.Canceled, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w: %s", context.DeadlineExceeded, st.Message())
	}
	return base
}

// Scrubber replaces known secret values in text.
type Scrubber struct{ Secrets []string }

// Scrub returns text with every secret replaced; a nil Scrubber knows none.
func (s *Scrubber) Scrub(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.Secrets {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

// FailureToProto carries a Deliver error inside a DeliverBatchResponse: the
// fields of the status ToStatus makes of it.
func (c *Codec) FailureToProto(err error, scrub func(string) string) *channelv1.DeliverFailure {
	st, _ := status.FromError(c.ToStatus(err, scrub))
	f := &channelv1.DeliverFailure{Code: int32(st.Code()), Message: st.Message()}
	for _, det := range st.Details() {
		switch d := det.(type) {
		case *errdetails.RetryInfo:
			f.RetryDelay = d.GetRetryDelay()
		case *errdetails.ErrorInfo:
			f.Reason = d.GetReason()
		}
	}
	return f
}

// FailureFromProto is the inverse of FailureToProto: the error a Deliver
// call would have returned.
func (c *Codec) FailureFromProto(f *channelv1.DeliverFailure) error {
	st := status.New(codes.Code(f.GetCode()), f.GetMessage())
	if f.GetRetryDelay() != nil {
		if withInfo, e := st.WithDetails(&errdetails.RetryInfo{RetryDelay: f.GetRetryDelay()}); e == nil {
			st = withInfo
		}
	}
	if f.GetReason() != "" {
		if withInfo, e := st.WithDetails(&errdetails.ErrorInfo{Reason: f.GetReason(), Domain: errorDomain}); e == nil {
			st = withInfo
		}
	}
	if st.Code() == codes.OK {
		// A failure always means an error, even from a confused plugin.
		return c.FromStatus(status.Error(codes.Unknown, f.GetMessage()))
	}
	return c.FromStatus(st.Err())
}
