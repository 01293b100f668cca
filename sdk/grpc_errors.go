package sdk

// The one place errors are mapped to gRPC status codes and back.
//
//	RetryAfter(err, d)  <-> Unavailable + google.rpc.RetryInfo
//	  ... wrapping ErrRateLimited -> ResourceExhausted + google.rpc.RetryInfo
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

// toStatus converts a channel's error into a gRPC status error, scrubbing
// secrets from its message first.
func toStatus(err error, scrub func(string) string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if scrub != nil {
		msg = scrub(msg)
	}
	if d, ok := RetryHint(err); ok {
		code := codes.Unavailable
		if errors.Is(err, ErrRateLimited) {
			code = codes.ResourceExhausted
		}
		st := status.New(code, msg)
		if withInfo, e := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)}); e == nil {
			st = withInfo
		}
		return st.Err()
	}
	switch {
	case IsPermanent(err):
		return status.Error(codes.InvalidArgument, msg)
	case errors.Is(err, ErrNotConfigured):
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

// fromStatus converts a gRPC error from the other side back into the SDK's
// error markers, so callers use RetryHint, IsPermanent and errors.Is alike
// on both sides of the boundary.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	base := &RemoteError{Code: st.Code().String(), Message: st.Message()}
	switch st.Code() {
	case codes.Unavailable, codes.ResourceExhausted:
		var d time.Duration
		for _, det := range st.Details() {
			if ri, ok := det.(*errdetails.RetryInfo); ok {
				d = ri.GetRetryDelay().AsDuration()
			}
		}
		return RetryAfter(base, d)
	case codes.InvalidArgument:
		return Permanent(base)
	case codes.FailedPrecondition:
		for _, det := range st.Details() {
			if ei, ok := det.(*errdetails.ErrorInfo); ok && ei.GetReason() == reasonNotConfigured {
				return fmt.Errorf("%w: %s", ErrNotConfigured, st.Message())
			}
		}
	case codes.Canceled:
		return fmt.Errorf("%w: %s", context.Canceled, st.Message())
	case codes.DeadlineExceeded:
		return fmt.Errorf("%w: %s", context.DeadlineExceeded, st.Message())
	}
	return base
}

// RemoteError is an error that crossed the plugin boundary.
type RemoteError struct {
	// Code is the gRPC code name, e.g. "Unavailable".
	Code    string
	Message string
}

func (e *RemoteError) Error() string {
	if e.Message == "" {
		return strings.ToLower(e.Code)
	}
	return e.Message
}

// secretScrubber replaces known secret values in text.
type secretScrubber struct{ secrets []string }

func (s *secretScrubber) scrub(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, "[redacted]")
	}
	return text
}

// failureToProto carries a Deliver error inside a DeliverBatchResponse: the
// fields of the status toStatus makes of it.
func failureToProto(err error, scrub func(string) string) *channelv1.DeliverFailure {
	st, _ := status.FromError(toStatus(err, scrub))
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

// failureFromProto is the inverse of failureToProto: the error a Deliver
// call would have returned.
func failureFromProto(f *channelv1.DeliverFailure) error {
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
		return fromStatus(status.Error(codes.Unknown, f.GetMessage()))
	}
	return fromStatus(st.Err())
}
